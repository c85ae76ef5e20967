"""Collection: one fresh contribution from every live worker, whatever happens to them.

The fast path asks every live worker at once and ``asyncio.gather``s the reply futures: no
task per worker per request. The slow path exists so that no caller ever hangs: a worker that
dies mid-request is asked again once its supervisor has restarted it, a worker that does not
answer within ``contribution_timeout`` is killed (its supervisor restarts it) and treated the
same way, and at the request deadline the caller gets what arrived, if that is at least
``min_sources`` contributions, or a clear error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alara.actors.actor import ActorRef
from alara.actors.supervisor import OneForOneSupervisor
from alara.errors import ActorDiedError, NoWorkersError, WorkerDiedError

__all__ = ["CollectPolicy", "collect"]

_HUNG = object()  # marks a reply that did not arrive within the contribution timeout
_DEAD = object()  # marks a child that was not running when the request started


@dataclass(frozen=True, slots=True)
class CollectPolicy:
    """How long to wait, and how many contributions are enough.

    ``timeout``: the whole request's deadline, retries included. ``contribution_timeout``:
    how long one worker may take to answer before it is judged hung and killed.
    ``min_sources``: the fewest contributions a caller may be served from.
    """

    size: int
    timeout: float
    contribution_timeout: float
    min_sources: int


async def collect(supervisor: OneForOneSupervisor, policy: CollectPolicy) -> list[bytes]:
    """One ``policy.size``-byte contribution from every child, in registry order.

    A child that is restarting when the request starts is waited for, like one that dies
    during it: the output depends on the whole pool unless the deadline says otherwise.
    """
    if supervisor.size < policy.min_sources:  # e.g. a child terminated: never serve from fewer
        _raise_too_few(supervisor, supervisor.size, policy)
    refs = supervisor.live_refs()
    if refs and len(refs) == supervisor.size:
        size = policy.size
        results = await _gather([ref.ask(size) for ref in refs], policy.contribution_timeout)
        if all(type(result) is bytes for result in results):
            return results  # type: ignore[return-value]
    else:
        refs = [child.ref for child in supervisor.which_children()]
        if not refs:
            _raise_too_few(supervisor, 0, policy)
        alive = [ref for ref in refs if ref.is_alive()]
        answers = iter(await _gather([ref.ask(policy.size) for ref in alive],
                                     policy.contribution_timeout))
        asked = {id(ref) for ref in alive}
        results = [next(answers) if id(ref) in asked else _DEAD for ref in refs]
    return await _recover(supervisor, policy, refs, results)


async def _gather(replies: list[asyncio.Future[bytes]], timeout: float) -> list[object]:
    """Gather replies; those not answered in time come back as ``_HUNG``, errors as values."""
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.gather(*replies, return_exceptions=True)
    except TimeoutError:
        return [_outcome(reply) for reply in replies]


def _outcome(reply: asyncio.Future[bytes]) -> object:
    if not reply.done() or reply.cancelled():
        return _HUNG
    error = reply.exception()
    return reply.result() if error is None else error


async def _recover(
    supervisor: OneForOneSupervisor,
    policy: CollectPolicy,
    refs: list[ActorRef],
    results: list[object],
) -> list[bytes]:
    """Retry the slots that failed on their restarted workers until the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.timeout
    got: dict[str, bytes] = {}
    failed: dict[str, ActorRef] = {}
    last_error = "no reply"
    while True:
        for ref, result in zip(refs, results, strict=True):
            if type(result) is bytes:
                got[ref.name] = result
                continue
            if result is _HUNG:
                ref.kill(f"no contribution within {policy.contribution_timeout}s")
                last_error = "contribution timeout"
            elif isinstance(result, ActorDiedError):
                last_error = result.reason
            elif result is _DEAD:
                last_error = "restarting"
            elif isinstance(result, BaseException):
                raise result
            failed[ref.name] = ref
        if not failed:
            break
        refs = await _replacements(supervisor, failed, deadline)
        if not refs:
            break
        replies = [ref.ask(policy.size) for ref in refs]
        remaining = max(deadline - loop.time(), 0.001)
        results = await _gather(replies, min(policy.contribution_timeout, remaining))
    if supervisor.error is not None:
        raise supervisor.error
    if len(got) < policy.min_sources:
        raise WorkerDiedError(", ".join(sorted(failed)) or "all workers", last_error)
    return [got[name] for name in _order(supervisor, got)]


async def _replacements(
    supervisor: OneForOneSupervisor, failed: dict[str, ActorRef], deadline: float
) -> list[ActorRef]:
    """Wait (until ``deadline``) for new, live refs for the failed children.

    Children that are gone for good (temporary, terminated) are dropped from ``failed``; the
    ones that came back are removed from it and returned.
    """
    loop = asyncio.get_running_loop()
    while True:
        if supervisor.error is not None:
            raise supervisor.error
        ready = []
        for name, old in list(failed.items()):
            current = supervisor.child_ref(name)
            if current is None:
                del failed[name]
            elif current is not old and current.is_alive():
                del failed[name]
                ready.append(current)
        if ready or not failed:
            return ready
        remaining = deadline - loop.time()
        if remaining <= 0 or not supervisor.running:
            return []
        waiter = supervisor.changed()
        try:
            async with asyncio.timeout(remaining):
                await waiter
        except TimeoutError:
            return []


def _order(supervisor: OneForOneSupervisor, got: dict[str, bytes]) -> list[str]:
    """Registry order, so the mix input order does not depend on who answered first."""
    names = [child.id for child in supervisor.which_children() if child.id in got]
    return names + [name for name in got if name not in names]


def _raise_too_few(supervisor: OneForOneSupervisor, live: int, policy: CollectPolicy) -> None:
    if supervisor.error is not None:
        raise supervisor.error
    raise NoWorkersError(f"{live} live worker(s), at least {policy.min_sources} required")
