"""Deadlines of the rounds in flight: one lazily armed timer, and honest hang judgements.

A timer per request (``asyncio.timeout``) costs more than the rest of a small request's
bookkeeping. Rounds start and finish in nearly FIFO order, so one timer armed for the oldest
unfinished round is enough: finished rounds are dropped from the front as new ones arrive.

Each round has two deadlines: the request's (``expires``: its oldest caller's arrival plus
``timeout``), after which its unanswered replies fail with ``RequestExpired`` and nobody is
blamed; and the contribution deadline, after which a worker may be judged hung. A worker is
judged only on its *own* lateness: it is hung when the read it is doing has lasted
``contribution_timeout`` (``busy_since``), never for time it spent queued, nor for a reply
that has already arrived. Two more rules keep the judgement honest:

* the judgement runs one loop step after the timer (``call_soon``), so the tasks that were
  ready when the timer fired (a worker about to reply) run first;
* a timer that fires more than ``STALL_TOLERANCE`` late means the loop itself was stalled, so
  nobody could run: nobody is judged then, and the round is looked at again
  ``STALL_GRACE`` later, once the workers have had the loop.

A judged-hung reply fails with ``ContributionTimeout``; the collector kills that worker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from alara.actors import ActorRef

__all__ = [
    "STALL_GRACE",
    "STALL_TOLERANCE",
    "ContributionTimeout",
    "DeadlineWatch",
    "RequestExpired",
]

STALL_TOLERANCE = 0.02
"""A timer firing more than this late (seconds) shows the loop was stalled: nobody is judged."""
STALL_GRACE = 0.02
"""After a stall, how long the workers get (seconds) before they are judged."""

BusySince = Callable[[ActorRef], "float | None"]


class ContributionTimeout(Exception):
    """Set on a reply whose worker has been reading for longer than the contribution timeout."""


class RequestExpired(Exception):
    """Set on a reply still missing when the request's deadline passed (nobody is blamed)."""


_Round = tuple[
    float, float, "asyncio.Future[Any]", Sequence[ActorRef], Sequence["asyncio.Future[Any]"]
]
"""One watched round: (check_at, expires, done, refs, replies). A tuple: one per request."""


class DeadlineWatch:
    """Fails the replies of rounds past their deadlines (see the module docstring)."""

    __slots__ = ("_busy_since", "_rounds", "_timeout", "_timer")

    def __init__(self, timeout: float, busy_since: BusySince) -> None:
        self._timeout = timeout
        self._busy_since = busy_since
        self._rounds: deque[_Round] = deque()
        self._timer: asyncio.Handle | None = None

    def watch(
        self,
        done: asyncio.Future[Any],
        refs: Sequence[ActorRef],
        replies: Sequence[asyncio.Future[Any]],
        expires: float,
        now: float,
    ) -> None:
        """Watch one round, started at loop time ``now``: ``done`` completes when all of
        ``replies`` (from ``refs``) have; its callers' deadline is ``expires``."""
        rounds = self._rounds
        while rounds and rounds[0][2].done():  # normally dropped already (``forget``)
            rounds.popleft()
        check_at = now + self._timeout
        if expires < check_at:
            check_at = expires
        rounds.append((check_at, expires, done, refs, replies))
        if self._timer is None:
            loop = done.get_loop()
            self._timer = loop.call_at(check_at, self._fire, loop, check_at)

    def forget(self) -> None:
        """Drop the finished rounds now instead of at the next ``watch``.

        A finished round's replies are the contributions it was served from; the collector
        calls this as soon as its round is gathered, so that no entropy stays referenced
        between requests. An armed timer then finds nothing to do and goes idle.
        """
        rounds = self._rounds
        while rounds and rounds[0][2].done():
            rounds.popleft()

    def close(self) -> None:
        """Stop the timer (the replies still pending are left to their owners)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._rounds.clear()

    def _fire(self, loop: asyncio.AbstractEventLoop, scheduled: float) -> None:
        stalled = loop.time() - scheduled > STALL_TOLERANCE
        self._timer = loop.call_soon(self._judge, loop, stalled)

    def _judge(self, loop: asyncio.AbstractEventLoop, stalled: bool) -> None:
        self._timer = None
        self.forget()
        now = loop.time()
        next_check: float | None = None
        watched: deque[_Round] = deque()
        for round_ in self._rounds:
            check_at, expires, done, refs, replies = round_
            if done.done():
                continue
            if check_at <= now:
                judged = self._judge_round(expires, refs, replies, now, stalled)
                if judged is None:  # every reply is in, or failed: nothing left to watch
                    continue
                check_at = judged
                round_ = (check_at, expires, done, refs, replies)
            watched.append(round_)
            if next_check is None or check_at < next_check:
                next_check = check_at
        self._rounds = watched
        if next_check is not None:
            self._timer = loop.call_at(next_check, self._fire, loop, next_check)

    def _judge_round(
        self,
        expires: float,
        refs: Sequence[ActorRef],
        replies: Sequence[asyncio.Future[Any]],
        now: float,
        stalled: bool,
    ) -> float | None:
        """Fail the replies that are due; when to look at the round again (``None``: never)."""
        expired = expires <= now
        check_at = expires
        pending = False
        for ref, reply in zip(refs, replies, strict=True):
            if reply.done():
                continue
            since = None if stalled else self._busy_since(ref)
            if since is not None and now - since >= self._timeout:
                reply.set_exception(ContributionTimeout())
                continue
            if expired:
                reply.set_exception(RequestExpired())
                continue
            pending = True
            if stalled:
                check_at = min(check_at, now + STALL_GRACE)
            elif since is not None:
                check_at = min(check_at, since + self._timeout)
            else:  # not reading yet (queued, or not run): its own clock has not started
                check_at = min(check_at, now + self._timeout)
        return check_at if pending else None
