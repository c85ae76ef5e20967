"""Contribution deadlines for every round in flight, kept by one lazily armed timer.

A timer per request (``asyncio.timeout``) costs more than the rest of a small request's
bookkeeping. Rounds start and finish in nearly FIFO order, so one timer armed for the oldest
unfinished round is enough: finished rounds are dropped from the front as new ones arrive,
and when the timer fires, the replies of every round past its deadline are failed with
``ContributionTimeout``. Their gather then completes, and the collector treats those workers
as hung.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

__all__ = ["ContributionTimeout", "DeadlineWatch"]


class ContributionTimeout(Exception):
    """Set on a reply future that was not answered within the contribution timeout."""


class DeadlineWatch:
    """Fails the unanswered replies of rounds older than ``timeout`` seconds."""

    __slots__ = ("_rounds", "_timeout", "_timer")

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._rounds: deque[tuple[float, asyncio.Future[Any], Sequence[asyncio.Future[Any]]]] = (
            deque()
        )
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, done: asyncio.Future[Any], replies: Sequence[asyncio.Future[Any]]) -> None:
        """Watch one round: ``done`` completes when all of ``replies`` have."""
        self.forget()  # normally done already, by the owner of the round before this one
        loop = done.get_loop()
        deadline = loop.time() + self._timeout
        self._rounds.append((deadline, done, replies))
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._fire, loop)

    def forget(self) -> None:
        """Drop the finished rounds now instead of at the next ``watch``.

        A finished round's replies are the contributions it was served from; the collector
        calls this as soon as its round is gathered, so that no entropy stays referenced
        between requests. An armed timer then finds nothing to do and goes idle.
        """
        rounds = self._rounds
        while rounds and rounds[0][1].done():
            rounds.popleft()

    def close(self) -> None:
        """Stop the timer (the replies still pending are left to their owners)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._rounds.clear()

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        rounds = self._rounds
        now = loop.time()
        while rounds:
            deadline, done, replies = rounds[0]
            if not done.done():
                if deadline > now:
                    self._timer = loop.call_at(deadline, self._fire, loop)
                    return
                for reply in replies:
                    if not reply.done():
                        reply.set_exception(ContributionTimeout())
            rounds.popleft()
