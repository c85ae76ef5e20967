"""Collection: one fresh contribution from every worker for every caller, whatever happens.

**Rounds.** Callers that arrive while a round is in flight wait for the next one; a round asks
every worker *once* for ``k x size`` bytes (``k`` = callers in the round) and gathers the reply
futures with ``asyncio.gather`` (no task per worker per request). Caller ``i`` gets slice ``i`` of
every worker's reply: disjoint, fresh bytes that no other caller sees, so each caller's output
still depends on a fresh ``size``-byte contribution from every worker. Under load this turns
``k x workers`` messages and system calls into ``workers``; a lone caller pays nothing extra.
The caller that runs a round (the leader) hands the next one to the first caller waiting.

**Failures.** The slow path exists so that no caller ever hangs: a worker that dies mid-round
is asked again once its supervisor has restarted it, and a child that is restarting when the
round starts is waited for too, so the output depends on the whole pool whenever the deadline
allows. A worker that does not answer within ``contribution_timeout`` is killed (its
supervisor restarts it, or quarantines a source that keeps hanging); its replacement is asked
only while fewer than ``min_sources`` contributions have arrived, since it would likely hang
again and make every caller wait the whole deadline. At the deadline the callers get what
arrived if that is at least ``min_sources`` contributions, or a clear error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, replace

from alara.actors.actor import ActorRef
from alara.actors.supervisor import OneForOneSupervisor
from alara.entropy.deadlines import ContributionTimeout, DeadlineWatch
from alara.entropy.quarantine import HANG_REASON
from alara.errors import ActorDiedError, NoWorkersError, WorkerDiedError

__all__ = ["CollectPolicy", "Collector"]

_HUNG = object()  # marks a reply that did not arrive within the contribution timeout
_DEAD = object()  # marks a child that was not running when the round started


@dataclass(frozen=True, slots=True)
class CollectPolicy:
    """How much to ask for, how long to wait, and how many contributions are enough.

    ``size``: bytes each worker gives each caller. ``timeout``: the whole request's deadline,
    retries included. ``contribution_timeout``: how long one worker may take to answer before
    it is judged hung and killed. ``min_sources``: the fewest contributions a caller may be
    served from.
    """

    size: int
    timeout: float
    contribution_timeout: float
    min_sources: int


class _Lead:
    """Handed to a waiting caller: "you run the next round, for these callers too"."""

    __slots__ = ("followers",)

    def __init__(self, followers: list[asyncio.Future[object]]) -> None:
        self.followers = followers


class Collector:
    """Serves every caller of one network, in rounds (see the module docstring)."""

    def __init__(self, supervisor: OneForOneSupervisor, policy: CollectPolicy) -> None:
        self._supervisor = supervisor
        self._policy = policy
        self._watch = DeadlineWatch(policy.contribution_timeout)
        self._leading = False
        self._waiting: list[asyncio.Future[object]] = []

    @property
    def policy(self) -> CollectPolicy:
        """The policy every round follows."""
        return self._policy

    def close(self) -> None:
        """Drop the deadline timer (the network is closing)."""
        self._watch.close()

    async def collect(self) -> list[bytes]:
        """One ``policy.size``-byte contribution from every worker, for one caller."""
        if self._leading:
            return await self._follow()
        self._leading = True
        try:
            return await self._round(1)
        finally:
            self._hand_over([])

    async def _follow(self) -> list[bytes]:
        waiter: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            outcome = await waiter
        except asyncio.CancelledError:
            # Cancelled after the outcome was set but before running: pass on a lead, and
            # end cancelled even if the round failed (``result()`` would raise its error).
            if not waiter.cancelled() and waiter.exception() is None:
                outcome = waiter.result()
                if type(outcome) is _Lead:
                    self._hand_over(outcome.followers)
            raise
        if type(outcome) is _Lead:
            return await self._lead(outcome.followers)
        return outcome  # type: ignore[return-value]

    async def _lead(self, followers: list[asyncio.Future[object]]) -> list[bytes]:
        try:
            replies = await self._round(1 + len(followers))
        except asyncio.CancelledError:
            self._hand_over(followers)
            raise
        except BaseException as error:
            for follower in followers:
                if not follower.done():
                    follower.set_exception(error)
            self._hand_over([])
            raise
        size = self._policy.size
        start = size
        for follower in followers:
            if not follower.done():
                end = start + size
                follower.set_result([reply[start:end] for reply in replies])
            start += size
        self._hand_over([])
        return [reply[:size] for reply in replies]

    def _hand_over(self, followers: list[asyncio.Future[object]]) -> None:
        """Give the next round to the first caller still waiting (or stop leading)."""
        waiting = self._waiting
        if not waiting and not followers:
            self._leading = False
            return
        if followers:
            waiting = followers + waiting
        self._waiting = []
        while waiting:
            first = waiting.pop(0)
            if not first.done():
                first.set_result(_Lead([w for w in waiting if not w.done()]))
                return
        self._leading = False

    async def _round(self, callers: int) -> list[bytes]:
        """One gather of ``callers x size`` bytes from every child (the slow path if needed)."""
        supervisor, policy = self._supervisor, self._policy
        if supervisor.size < policy.min_sources:  # e.g. a child terminated: never serve from fewer
            _raise_too_few(supervisor, supervisor.size, policy)
        size = policy.size * callers
        refs = supervisor.live_refs()
        everyone = len(refs) == supervisor.size
        if not everyone:  # some child is restarting: ask the others, wait for it in _recover
            children = [child.ref for child in supervisor.which_children()]
            if not children:
                _raise_too_few(supervisor, 0, policy)
        try:
            results: list[object] = await self._ask(refs, size)
        finally:
            self._watch.forget()
        if everyone:
            for result in results:
                if type(result) is not bytes:
                    break
            else:
                return results  # type: ignore[return-value]
        else:
            answers = iter(results)
            asked = {id(ref) for ref in refs}
            results = [next(answers) if id(ref) in asked else _DEAD for ref in children]
            refs = children
        return await _recover(supervisor, replace(policy, size=size), refs, results)

    def _ask(self, refs: list[ActorRef], size: int) -> Awaitable[list[object]]:
        """Ask every ref for ``size`` bytes; their replies, gathered, under the deadline watch.

        Replies that miss the contribution deadline come back as ``ContributionTimeout``,
        errors as values: ``_recover`` sorts them out. Not a coroutine, to keep the hot path
        one frame shorter.
        """
        replies = [ref.ask(size) for ref in refs]
        gathered = asyncio.gather(*replies, return_exceptions=True)
        self._watch.watch(gathered, replies)
        return gathered


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
    """Retry the slots whose worker died on its restarted worker, until the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.timeout
    got: dict[str, bytes] = {}
    failed: dict[str, ActorRef] = {}
    lost: list[str] = []  # hung, or gone for good (quarantined, terminated, temporary)
    hung: list[str] = []
    last_error = "no reply"
    while True:
        for ref, result in zip(refs, results, strict=True):
            if type(result) is bytes:
                got[ref.name] = result
            elif result is _HUNG or isinstance(result, ContributionTimeout):
                ref.kill(f"{HANG_REASON} {policy.contribution_timeout}s")
                last_error = "contribution timeout"
                failed[ref.name] = ref
                hung.append(ref.name)
            elif isinstance(result, ActorDiedError):
                last_error = result.reason
                failed[ref.name] = ref
            elif result is _DEAD:
                last_error = "restarting"
                failed[ref.name] = ref
            elif isinstance(result, BaseException):
                raise result
        if len(got) >= policy.min_sources:  # enough: do not make every caller wait on a hang
            for name in hung:
                if failed.pop(name, None) is not None:
                    lost.append(name)
        hung.clear()
        if not failed:
            break
        refs = await _replacements(supervisor, failed, lost, deadline)
        if not refs:
            break
        replies = [ref.ask(policy.size) for ref in refs]
        remaining = max(deadline - loop.time(), 0.001)
        results = await _gather(replies, min(policy.contribution_timeout, remaining))
    if supervisor.error is not None:
        raise supervisor.error
    if len(got) < policy.min_sources:
        names = sorted(failed) + [f"{name} (lost)" for name in lost]
        raise WorkerDiedError(", ".join(names) or "all workers", last_error)
    return [got[name] for name in _order(supervisor, got)]


async def _replacements(
    supervisor: OneForOneSupervisor,
    failed: dict[str, ActorRef],
    lost: list[str],
    deadline: float,
) -> list[ActorRef]:
    """Wait (until ``deadline``) for new, live refs for the failed children.

    Children that are gone for good move from ``failed`` to ``lost``; the ones that came back
    are removed from ``failed`` and returned.
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
                lost.append(name)
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
