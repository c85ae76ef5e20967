"""Restart intensity, OTP's brake on a restart loop: at most ``max_restarts`` in ``period`` s."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from alara.actors._validation import check_int, check_positive_float

__all__ = ["Clock", "RestartIntensity"]

Clock = Callable[[], float]
"""A monotonic clock in seconds, for restart intensity (default: the running loop's time)."""


class RestartIntensity:
    """The restarts of one supervisor within the last ``period`` seconds.

    Raises:
        TypeError, ValueError: ``max_restarts`` is not an int in [0, 10**9], or ``period``
            not a positive number of seconds.
    """

    __slots__ = ("_clock", "_times", "max_restarts", "period")

    def __init__(self, max_restarts: int, period: float, clock: Clock | None) -> None:
        self.max_restarts = check_int("max_restarts", max_restarts, 0, 1_000_000_000)
        self.period = check_positive_float("period", period)
        self._clock = clock
        self._times: deque[float] = deque()

    def admit(self) -> bool:
        """Count one restart now; ``False`` if that is more than the intensity allows."""
        now = (self._clock or asyncio.get_running_loop().time)()
        times = self._times
        times.append(now)
        while times[0] < now - self.period:
            times.popleft()
        return len(times) <= self.max_restarts
