"""Recovery's schedule and probe on their own: back-off, re-admission, operator retries.

The network-level behaviour (a real pool quarantining, retrying and serving again) is in
``test_sources_readmit.py``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from alara import AlaraError, HealthPolicy, HealthTestError, OsSource, SourceError
from alara.entropy._recovery import Recovery, probe


class Pool:
    """The network's side: a check that fails ``failures`` times, and the admitted workers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.checks: list[str] = []
        self.admitted: asyncio.Queue[str] = asyncio.Queue()

    async def check(self, worker: str) -> None:
        self.checks.append(worker)
        if len(self.checks) <= self.failures:
            raise HealthTestError("health_test: still stuck")

    async def admit(self, worker: str) -> None:
        await self.admitted.put(worker)


def test_the_back_off_doubles_up_to_the_cap() -> None:
    pool = Pool(0)
    recovery = Recovery(60.0, 600.0, pool.check, pool.admit)
    assert [recovery.delay(n) for n in range(6)] == [60, 120, 240, 480, 600, 600]
    assert recovery.delay(10_000) == 600


async def test_a_worker_is_retried_until_it_passes_then_admitted() -> None:
    pool = Pool(failures=2)
    recovery = Recovery(0.01, 1.0, pool.check, pool.admit)
    before = time.time()
    recovery.schedule("worker-1")
    info = recovery.info("worker-1")
    assert info is not None
    assert (info.retries, info.last_failure) == (0, "")
    assert before + 0.01 <= info.next_retry <= time.time() + 0.01
    async with asyncio.timeout(5):
        assert await pool.admitted.get() == "worker-1"
    assert pool.checks == ["worker-1"] * 3
    assert recovery.info("worker-1") is None


async def test_status_shows_the_failed_retries_and_the_next_one() -> None:
    pool = Pool(failures=1)
    recovery = Recovery(0.01, 3600.0, pool.check, pool.admit)
    recovery.schedule("worker-0")
    with pytest.raises(SourceError, match="worker-0 failed its start-up tests"):
        await recovery.retry_now("worker-0")
    info = recovery.info("worker-0")
    assert info is not None
    assert info.retries == 1
    assert info.last_failure == "HealthTestError: health_test: still stuck"
    assert info.next_retry > time.time()
    recovery.close()


async def test_retry_now_admits_at_once() -> None:
    pool = Pool(failures=0)
    recovery = Recovery(3600.0, 3600.0, pool.check, pool.admit)
    recovery.schedule("worker-2")
    await recovery.retry_now("worker-2")
    assert pool.admitted.get_nowait() == "worker-2"
    with pytest.raises(AlaraError, match="worker-2 is not quarantined"):
        await recovery.retry_now("worker-2")


async def test_a_forgotten_worker_is_not_retried() -> None:
    pool = Pool(failures=0)
    recovery = Recovery(0.01, 0.01, pool.check, pool.admit)
    recovery.schedule("worker-0")
    recovery.forget("worker-0")
    recovery.schedule("worker-1")
    async with asyncio.timeout(5):
        assert await pool.admitted.get() == "worker-1"
    assert pool.checks == ["worker-1"]


@pytest.mark.parametrize(("period", "cap"), [(0, 1.0), (1.0, -1), ("1", 1.0)])
def test_arguments_are_checked(period: object, cap: object) -> None:
    pool = Pool(0)
    with pytest.raises((TypeError, ValueError), match="quarantine_"):
        Recovery(period, cap, pool.check, pool.admit)  # type: ignore[arg-type]


async def test_the_probe_reads_fresh_samples_through_the_health_tests() -> None:
    class Stuck:
        def read(self, n: int) -> bytes:
            return bytes(n)

    tests = HealthPolicy()
    await probe(OsSource(), tests(), timeout=5.0)
    with pytest.raises(HealthTestError, match="repetition count"):
        await probe(Stuck(), tests(), timeout=5.0)


async def test_the_probe_of_a_source_that_hangs_ends_at_its_deadline() -> None:
    class Hung:
        async def read(self, n: int) -> bytes:
            await asyncio.Event().wait()
            return b""

    with pytest.raises(SourceError, match=r"no start-up samples within 0.05 s"):
        await probe(Hung(), None, timeout=0.05)
