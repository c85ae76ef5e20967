"""Deadlines of the rounds in flight: one lazily armed timer, and honest hang judgements.

A timer per request (``asyncio.timeout``) costs more than the rest of a small request's
bookkeeping. Rounds start and finish in nearly FIFO order, so one timer armed for the oldest
unfinished round is enough: finished rounds are dropped from the front as new ones arrive.

Each round has two deadlines: the request's (``expires``: its oldest caller's arrival plus
``timeout``), after which its unanswered replies fail with ``RequestExpired`` and nobody is
blamed; and the contribution deadline, after which a worker may be judged hung. A worker is
judged only on its *own* lateness: it is hung when the read it is doing has lasted
``contribution_timeout`` (``busy_since``), never for time it spent queued, nor for a reply
that has already arrived.

A worker is judged only on evidence that it had the loop after its read could have finished.
A loop held by someone else (a source read on the loop, a slow callback) delays the timer and
the worker alike, and when the loop runs again an honest read still needs loop time: to start
or finish its I/O, then a few steps to hand its bytes over (a ``wait_for`` around the I/O, a
second ``await``, a thread's result coming back). So a timer that fires judges the rounds due
at that moment only ``JUDGE_GRACE`` seconds and then ``JUDGE_STEPS`` loop steps later; a round
that falls due in between waits for a grace and steps of its own. Nothing is judged on how late
the timer fired: on a busy loop whose every step is slow every timer is late, and a rule
"judge nobody when the timer is late" would never judge a real hang there.

Expiry needs no such evidence, since it blames nobody: when the timer fires, the replies of
expired rounds whose workers are not suspected of a hang fail at once, so a request ends at
its deadline.

A judged-hung reply fails with ``ContributionTimeout``; the collector kills that worker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from alara.actors import ActorRef

__all__ = [
    "JUDGE_GRACE",
    "JUDGE_STEPS",
    "ContributionTimeout",
    "DeadlineWatch",
    "RequestExpired",
]

JUDGE_GRACE = 0.05
"""Loop time (seconds) from a deadline timer firing to the judgement: what an honest read that
a stall kept from even starting its I/O may need once the loop runs again."""
JUDGE_STEPS = 16
"""Loop steps after the grace, before the judgement: what an honest read whose I/O is done may
still need to hand its bytes over (each ``await`` of a pending future is one)."""

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

    @property
    def armed(self) -> bool:
        """Whether the one timer is set (it goes idle when nothing is left to watch)."""
        return self._timer is not None

    @property
    def watching(self) -> int:
        """How many rounds are watched now (an answered round is dropped, keeping nothing)."""
        return len(self._rounds)

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
            self._timer = loop.call_at(check_at, self._fire, loop)

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

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        """The timer fired: judge what is due now, after ``JUDGE_GRACE`` and ``JUDGE_STEPS``.

        Expiry needs no evidence (it blames nobody): the replies of expired rounds whose
        workers are not suspected of a hang fail at once, so a request ends at its deadline.
        """
        fired = loop.time()
        self._expire(fired)
        self.forget()
        if any(not done.done() and check_at <= fired
               for check_at, _, done, _, _ in self._rounds):
            self._timer = loop.call_at(fired + JUDGE_GRACE, self._count, loop, JUDGE_STEPS, fired)
        else:  # nothing due (the usual case: the rounds were answered): re-arm, or go idle
            self._judge(loop, fired)

    def _expire(self, now: float) -> None:
        timeout, busy_since = self._timeout, self._busy_since
        for _, expires, done, refs, replies in self._rounds:
            if expires > now or done.done():
                continue
            for ref, reply in zip(refs, replies, strict=True):
                if not reply.done():
                    since = busy_since(ref)
                    if since is None or now - since < timeout:
                        reply.set_exception(RequestExpired())

    def _count(self, loop: asyncio.AbstractEventLoop, steps: int, fired: float) -> None:
        if steps:
            self._timer = loop.call_soon(self._count, loop, steps - 1, fired)
        else:
            self._judge(loop, fired)

    def _judge(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        """Judge the rounds due at ``now`` (when the timer fired): a round that fell due
        since then waits for a grace and steps of its own."""
        self._timer = None
        self.forget()
        next_check: float | None = None
        watched: deque[_Round] = deque()
        for round_ in self._rounds:
            check_at, expires, done, refs, replies = round_
            if done.done():
                continue
            if check_at <= now:
                judged = self._judge_round(expires, refs, replies, now)
                if judged is None:  # every reply is in, or failed: nothing left to watch
                    continue
                check_at = judged
                round_ = (check_at, expires, done, refs, replies)
            watched.append(round_)
            if next_check is None or check_at < next_check:
                next_check = check_at
        self._rounds = watched
        if next_check is not None:
            self._timer = loop.call_at(next_check, self._fire, loop)

    def _judge_round(
        self,
        expires: float,
        refs: Sequence[ActorRef],
        replies: Sequence[asyncio.Future[Any]],
        now: float,
    ) -> float | None:
        """Fail the replies that are due; when to look at the round again (``None``: never)."""
        expired = expires <= now
        check_at = expires
        pending = False
        for ref, reply in zip(refs, replies, strict=True):
            if reply.done():
                continue
            since = self._busy_since(ref)
            if since is not None and now - since >= self._timeout:
                reply.set_exception(ContributionTimeout())
                continue
            if expired:
                reply.set_exception(RequestExpired())
                continue
            pending = True
            if since is not None:
                check_at = min(check_at, since + self._timeout)
            else:  # not reading yet (queued, or not run): its own clock has not started
                check_at = min(check_at, now + self._timeout)
        return check_at if pending else None
