"""The deadlines of one ref's timed calls, kept without a timer per call.

``ActorRef.call`` is ``ask`` plus an entry here. Nearly every call is answered long before its
timeout, so a timer per call would be armed and cancelled for nothing. Instead the table notes
each call, and a sweep a few milliseconds later (on the loop's shared coarse deadlines,
``alara.actors._timers``) forgets the answered ones and gives the others a deadline, checked
by one coarse timer per ref. A deadline never fires early, and at most about ``timeout / 32``
+ 2 ms late.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Final

from alara.actors._errors import CallTimeoutError
from alara.actors._timers import deadlines_of, sweep_delay

__all__ = ["TimedCalls"]

_NEVER: Final = math.inf
_PRUNE_EVERY: Final = 256
"""Calls noted between prunes of the answered ones: futures kept alive for milliseconds are
what sets off the garbage collector under a burst."""


class TimedCalls:
    """The timed calls of one actor that may still need a ``CallTimeoutError``."""

    __slots__ = ("_check_at", "_loop", "_name", "_recent", "_slow", "_sweep_floor")

    def __init__(self, name: str, loop: asyncio.AbstractEventLoop) -> None:
        self._name = name
        self._loop = loop
        self._recent: list[tuple[asyncio.Future[Any], float]] = []  # since the last sweep
        self._sweep_floor = _NEVER  # the armed sweep comes soon enough for timeouts >= this
        self._slow: dict[asyncio.Future[Any], tuple[float, float]] = {}  # due, timeout
        self._check_at = _NEVER  # when the next look at ``_slow`` is due

    def __len__(self) -> int:
        """How many calls the table still tracks (answered ones until the next sweep)."""
        return len(self._recent) + len(self._slow)

    def add(self, reply: asyncio.Future[Any], timeout: float) -> None:
        """Fail ``reply`` with ``CallTimeoutError`` if still pending ``timeout`` s from now."""
        recent = self._recent
        recent.append((reply, timeout))
        if timeout < self._sweep_floor:
            self._sweep_floor = timeout
            self._after(sweep_delay(timeout), TimedCalls._sweep)
        elif not len(recent) % _PRUNE_EVERY:
            recent[:] = [entry for entry in recent if not entry[0].done()]

    def close(self) -> list[asyncio.Future[Any]]:
        """Every reply still tracked; the table forgets them (the actor ended: the ref fails
        them) and its pending sweeps find nothing to do."""
        replies = [reply for reply, _timeout in self._recent]
        replies.extend(self._slow)
        self._recent = []
        self._slow = {}
        return replies

    def _after(self, delay: float, callback: Any) -> None:
        deadlines_of(self._loop).call_after(self._loop, delay, callback, self)

    def _sweep(self) -> None:
        """Forget the calls answered since the last sweep; give the others deadlines.

        A call still unanswered here was sent no later than now, so a deadline of now plus
        its timeout never fires early.
        """
        self._sweep_floor = _NEVER
        slow = self._slow
        for reply in [reply for reply in slow if reply.done()]:
            del slow[reply]
        recent, self._recent = self._recent, []
        now = self._loop.time()
        first_due = _NEVER
        for reply, timeout in recent:
            if not reply.done():
                due = now + timeout
                slow[reply] = (due, timeout)
                first_due = min(first_due, due)
        self._check(first_due, now)

    def _expire(self) -> None:
        """Fail the slow calls whose deadline passed; forget the ones answered since."""
        self._check_at = _NEVER
        now = self._loop.time()
        next_due = _NEVER
        for reply, (due, timeout) in list(self._slow.items()):
            if reply.done():
                del self._slow[reply]
            elif due <= now:
                del self._slow[reply]
                reply.set_exception(CallTimeoutError(
                    f"actor {self._name!r} did not reply within {timeout:g}s"))
                reply.exception()  # a caller that gave up already must not log it as lost
            else:
                next_due = min(next_due, due)
        self._check(next_due, now)

    def _check(self, due: float, now: float) -> None:
        """Make sure the slow calls are looked at by ``due``."""
        if due < self._check_at:
            self._check_at = due
            self._after(due - now, TimedCalls._expire)
