"""Quarantine: retire a worker whose source keeps failing, instead of restarting it forever.

A restart is the right answer to a glitch (an unplugged device that comes back, one hung read).
It is the wrong answer to a source that is broken for good: a stuck or attacker-controlled
source would crash, restart, slip a few contributions past the statistics, crash again, and
burn the supervisor's restart intensity until the whole pool gives up. So the network counts
each worker's *source failures* and, at ``after`` of them within ``period`` seconds, tells its
supervisor not to restart it: the worker is gone from the registry, contributes nothing more,
and is listed by ``Network.quarantined()`` and a ``network.quarantined`` log event, until
recovery (``_recovery.py``) re-admits it after it passes the start-up tests again.

A source failure is a crash (a health test, a wrong length, an exception from ``read``, and
what the worker turns into ``SourceError``: a ``CancelledError`` it did not get from its own
cancellation, a ``SystemExit`` or ``KeyboardInterrupt`` out of ``read``) or a kill for missing
the per-contribution deadline (a hang). A kill for any other reason (an
operator, a chaos test) says nothing about the source and is not counted.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from alara.actors import (
    Exit,
    ExitKind,
    check_callable,
    check_int,
    check_positive_float,
    get_logger,
)

__all__ = [
    "DEFAULT_QUARANTINE_AFTER",
    "DEFAULT_QUARANTINE_PERIOD",
    "HANG_REASON",
    "Quarantine",
    "QuarantineRecord",
    "is_source_failure",
]

DEFAULT_QUARANTINE_AFTER = 3
"""Source failures, within the period, that quarantine a worker (the first two are restarts)."""
DEFAULT_QUARANTINE_PERIOD = 60.0
"""Seconds over which source failures are counted."""
HANG_REASON = "no contribution within"
"""How ``collect`` words the kill of a worker that missed its contribution deadline."""

_log = get_logger("network")


_CRASHED, _KILLED = ExitKind.CRASHED, ExitKind.KILLED  # read at every restart


def is_source_failure(exit: Exit) -> bool:
    """Whether ``exit`` blames the worker's source: a crash, or a kill for hanging."""
    kind = exit.kind
    if kind is _CRASHED:
        return True
    return kind is _KILLED and exit.reason.startswith(HANG_REASON)


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """Why a worker was quarantined: its id, the failures counted, and the last reason."""

    worker: str
    failures: int
    reason: str


class Quarantine:
    """Counts source failures per worker and vetoes the restart of a worker that keeps failing.

    ``on_exit`` is the supervisor's ``on_child_exit`` listener. ``after=None`` counts nothing
    and never quarantines (every failure is restarted, within the restart intensity).
    ``clock`` gives monotonic seconds (``time.monotonic`` by default); tests pass one
    they move themselves instead of sleeping through the period.
    """

    __slots__ = ("_clock", "_failures", "_records", "after", "on_quarantine", "period")

    def __init__(
        self,
        after: int | None = DEFAULT_QUARANTINE_AFTER,
        period: float = DEFAULT_QUARANTINE_PERIOD,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = check_callable("clock", clock, "seconds")
        self.after = None if after is None else check_int("quarantine_after", after, 1, 1_000_000)
        self.period = check_positive_float("quarantine_period", period, 86_400.0)
        self._failures: dict[str, deque[float]] = {}
        self._records: dict[str, QuarantineRecord] = {}
        self.on_quarantine: Callable[[str], None] | None = None
        """Called with a worker's id once it is quarantined (the network schedules its retry)."""

    def __repr__(self) -> str:
        return f"Quarantine(after={self.after}, period={self.period}, held={len(self._records)})"

    def on_exit(self, worker: str, exit: Exit) -> bool:
        """Record a failure; ``False`` (do not restart) when it is one too many."""
        kind = exit.kind
        if self.after is None or (kind is not _CRASHED and (
                kind is not _KILLED or not exit.reason.startswith(HANG_REASON))):
            return True  # ``is_source_failure``, inlined: it runs at every restart
        now = self._clock()
        times = self._failures.setdefault(worker, deque())
        times.append(now)
        while times[0] < now - self.period:
            times.popleft()
        if len(times) < self.after:
            return True
        del self._failures[worker]
        self._records[worker] = QuarantineRecord(worker, len(times), exit.reason)
        _log.error("network.quarantined", worker=worker, failures=len(times),
                   period=self.period, reason=exit.reason)
        if self.on_quarantine is not None:
            self.on_quarantine(worker)
        return False

    def release(self, worker: str) -> None:
        """Forget ``worker``'s record and counted failures: it was re-admitted, replaced or
        removed, and starts again with a clean slate."""
        self._records.pop(worker, None)
        self._failures.pop(worker, None)

    def quarantined(self) -> list[str]:
        """Ids of the quarantined workers, in the order they were quarantined."""
        return list(self._records)

    def records(self) -> list[QuarantineRecord]:
        """The quarantine records, in the order they were made."""
        return list(self._records.values())

    def failures(self, worker: str) -> int:
        """Source failures of ``worker`` counted at its latest one, within the period."""
        times = self._failures.get(worker)
        return 0 if times is None else len(times)
