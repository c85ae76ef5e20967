"""Recovery from quarantine: a retired worker is retried, and re-admitted once it passes.

Quarantine stops a source that keeps failing from crash-looping through the pool; it must
not be forever, or a pool that fails closed stays down after one bad minute of a device or a
remote machine. NIST SP 800-90B 4.3 lets a noise source that failed return once it passes the
start-up tests again. So each quarantined worker is retried ``period`` seconds after it was
retired, then after twice that, and so on up to ``cap``: a retry reads ``STARTUP_SAMPLES``
(1,024) fresh bytes from its source through fresh health tests, under a deadline, in a probe
that is not part of the pool (it serves no one and is not counted toward the floor). Passing
re-admits the worker as a new child of the pool; failing schedules the next retry.

An operator can also act at once: ``retry_now`` (behind ``Network.readmit``) runs the probe
now and re-admits on success; ``forget`` drops a worker's schedule (it was replaced or
removed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alara.actors import check_positive_float, get_logger
from alara.entropy._health import STARTUP_SAMPLES, HealthCheck
from alara.entropy._sources import EntropySource
from alara.entropy._worker import EntropyWorker
from alara.errors import AlaraError, SourceError

__all__ = ["DEFAULT_RETRY_CAP", "Recovery", "RetryInfo", "probe"]

DEFAULT_RETRY_CAP = 3600.0
"""Longest wait between two retries of a quarantined worker (one hour)."""

_log = get_logger("network")


@dataclass(frozen=True, slots=True)
class RetryInfo:
    """A quarantined worker's retry schedule: failed retries so far, the last retry's
    failure (empty before the first), and when the next one runs (``time.time()`` seconds)."""

    retries: int
    last_failure: str
    next_retry: float


async def probe(
    source: EntropySource | None,
    health: HealthCheck | None,
    timeout: float,
    samples: int = STARTUP_SAMPLES,
) -> None:
    """Read ``samples`` fresh bytes from ``source`` through ``health`` and discard them.

    The read goes where a worker's would (on the loop, or in a thread of its own), in a
    worker that belongs to no pool.

    Raises:
        SourceError: the source failed, failed a health test, or gave nothing in ``timeout``.
    """
    worker = EntropyWorker(source, health, 0)
    try:
        async with asyncio.timeout(timeout):
            await worker.read(samples)
    except TimeoutError:
        raise SourceError(f"no start-up samples within {timeout:g} s") from None


async def _closed(worker: str) -> None:
    raise AlaraError(f"network is closed; {worker} is not retried")


class _Schedule:
    """One worker's retries: how many failed, the last failure, the timer of the next."""

    __slots__ = ("failure", "handle", "next_retry", "retries", "task")

    def __init__(self) -> None:
        self.retries = 0
        self.failure = ""
        self.next_retry = 0.0  # wall-clock seconds, for operators
        self.handle: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[bool] | None = None


class Recovery:
    """Retries quarantined workers with a doubling back-off, and re-admits those that pass.

    ``check(worker)`` runs the start-up tests on fresh output of the worker's source (raising
    ``SourceError`` if they fail); ``admit(worker)`` puts it back in the pool. Both belong to
    the network, which knows the sources and the pool.
    """

    def __init__(
        self,
        period: float,
        cap: float,
        check: Callable[[str], Awaitable[None]],
        admit: Callable[[str], Awaitable[None]],
    ) -> None:
        self.period = check_positive_float("quarantine_period", period, 86_400.0)
        self.cap = check_positive_float("quarantine_retry_cap", cap, 30 * 86_400.0)
        self._check = check
        self._admit = admit
        self._schedules: dict[str, _Schedule] = {}

    def __repr__(self) -> str:
        return f"Recovery(period={self.period}, cap={self.cap}, waiting={len(self._schedules)})"

    def delay(self, retries: int) -> float:
        """Seconds before the retry that follows ``retries`` failed ones."""
        return min(self.period * 2.0 ** min(retries, 64), self.cap)

    def schedule(self, worker: str) -> None:
        """``worker`` was just quarantined: retry it after ``period`` seconds."""
        schedule = self._schedules.get(worker)
        if schedule is None:
            schedule = self._schedules[worker] = _Schedule()
        self._arm(worker, schedule)

    def info(self, worker: str) -> RetryInfo | None:
        """``worker``'s retry schedule, or ``None`` if none is scheduled."""
        schedule = self._schedules.get(worker)
        if schedule is None:
            return None
        return RetryInfo(schedule.retries, schedule.failure, schedule.next_retry)

    async def retry_now(self, worker: str) -> None:
        """Run ``worker``'s retry now; re-admitted when this returns.

        Raises:
            SourceError: the start-up tests failed (the next automatic retry is scheduled).
            AlaraError: ``worker`` is not quarantined.
        """
        schedule = self._schedules.get(worker)
        if schedule is None:
            raise AlaraError(f"{worker} is not quarantined")
        if schedule.task is None:  # else a retry is running: its verdict is ours
            if schedule.handle is not None:
                schedule.handle.cancel()
            self._start(worker, schedule)
        assert schedule.task is not None
        # Shielded: a caller that stops waiting leaves the retry to finish (and re-arm).
        if not await asyncio.shield(schedule.task):
            raise SourceError(f"{worker} failed its start-up tests: {schedule.failure}")

    def forget(self, worker: str) -> None:
        """Stop retrying ``worker`` (replaced, removed, or the network closing)."""
        schedule = self._schedules.pop(worker, None)
        if schedule is None:
            return
        if schedule.handle is not None:
            schedule.handle.cancel()
        if schedule.task is not None:
            schedule.task.cancel()

    def close(self) -> None:
        """Stop every retry (the network is closing) and let go of the network's callbacks,
        so a closed network is freed by reference counting."""
        for worker in list(self._schedules):
            self.forget(worker)
        self._check = self._admit = _closed

    def _arm(self, worker: str, schedule: _Schedule) -> None:
        loop = asyncio.get_running_loop()
        delay = self.delay(schedule.retries)
        schedule.next_retry = time.time() + delay
        schedule.handle = loop.call_later(delay, self._start, worker, schedule)
        _log.info("network.retry_scheduled", worker=worker, delay=delay,
                  retries=schedule.retries)

    def _start(self, worker: str, schedule: _Schedule) -> None:
        schedule.handle = None
        schedule.task = asyncio.get_running_loop().create_task(self._retry(worker, schedule))

    async def _retry(self, worker: str, schedule: _Schedule) -> bool:
        """One retry: check, then admit (``True``), or count the failure and re-arm."""
        try:
            await self._check(worker)
        except Exception as error:  # whatever the source did, it is the source's failure
            schedule.retries += 1
            schedule.failure = f"{type(error).__name__}: {error}"
            schedule.task = None
            _log.warning("network.retry_failed", worker=worker, retries=schedule.retries,
                         reason=schedule.failure)
            if self._schedules.get(worker) is schedule:
                self._arm(worker, schedule)
            return False
        if self._schedules.get(worker) is not schedule:
            return False  # forgotten (replaced, removed, closing) while the check ran
        del self._schedules[worker]
        try:
            await self._admit(worker)
        except AlaraError as error:  # the pool is closing or gave up: nothing to re-admit to
            _log.warning("network.readmit_failed", worker=worker, error=str(error))
            return False
        _log.info("network.readmitted", worker=worker, retries=schedule.retries)
        return True
