"""The slow path of a round: which slots failed, and the restarted workers to ask again.

A round's replies are sorted slot by slot (by worker name) into a ``Tally``; a worker judged
hung is killed as its reply is sorted, so its supervisor restarts (or quarantines) it. The
collector then waits, until the request's deadline, for ``replacements`` of the failed
workers and asks them again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alara.actors import ActorRef, OneForOneSupervisor
from alara.entropy._deadlines import ContributionTimeout, RequestExpired
from alara.entropy._quarantine import HANG_REASON
from alara.errors import ActorDiedError

__all__ = ["DEAD", "Tally", "replacements"]

DEAD = object()
"""The reply of a slot whose child was not running when the round started."""


class Tally:
    """What a request's replies came to so far, by worker name."""

    __slots__ = ("died", "failed", "got", "hung", "last_error", "late", "lost")

    def __init__(self) -> None:
        self.got: dict[str, bytes] = {}
        self.failed: dict[str, ActorRef] = {}  # to ask again once restarted
        self.lost: list[str] = []  # hung while enough arrived, or gone (quarantined, terminated)
        self.late: list[str] = []  # still missing at the request deadline
        self.hung: list[str] = []  # judged hung in the latest gathering
        self.last_error = "no reply"
        self.died = False  # whether any worker died or hung during this request

    def add(self, refs: Sequence[ActorRef], results: Sequence[object], timeout: float) -> None:
        """Sort one gathering's replies; a worker judged hung is killed here.

        Raises:
            BaseException: a reply that is an unexpected error (a bug, not a worker's failure).
        """
        for ref, result in zip(refs, results, strict=True):
            if type(result) is bytes:
                self.got[ref.name] = result
            elif isinstance(result, ContributionTimeout):
                ref.kill(f"{HANG_REASON} {timeout}s")
                self.last_error = f"no contribution within {timeout}s"
                self.failed[ref.name] = ref
                self.hung.append(ref.name)
            elif isinstance(result, RequestExpired):
                self.late.append(ref.name)
            elif isinstance(result, ActorDiedError):
                self.last_error = result.reason
                self.failed[ref.name] = ref
            elif result is DEAD:
                self.last_error = "restarting"
                self.failed[ref.name] = ref
            elif isinstance(result, BaseException):
                raise result
        self.died = self.died or bool(self.failed)

    def settle(self, required: int) -> None:
        """With ``required`` contributions in hand, give up on the hung workers: no caller
        waits on a hang it does not need."""
        if len(self.got) >= required:
            for name in self.hung:
                if self.failed.pop(name, None) is not None:
                    self.lost.append(name)
        self.hung.clear()


async def replacements(
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
