"""The async rows: a sequential request, 500 concurrent callers, 1 MiB, a 1,000-worker start.

Each is measured next to a baseline in the same run. The **direct** baseline is the entropy
work of one request with no actors at all: one ``os.urandom(32)`` per worker and the same
``alara.mix``, in the caller's own frame; the ratio to it is the price of the actor machinery.
A large request's bulk is SHAKE256's expand step, so its ceiling is SHAKE256 alone; a pool's
start is compared with the floor of any task-per-actor design (bare tasks on queues).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
from dataclasses import dataclass

import alara
from benchmarks._harness import LoopKind, MemoryProbe, Row, clock, percentile, run_on, settle

WORKERS = 3
REQUEST = 32
MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class Settings:
    """How much one run measures; the quick run (CI) only takes fewer samples."""

    name: str
    sequential_calls: int
    sequential_rounds: int
    callers: int
    caller_calls: int
    concurrent_rounds: int
    mib_repeats: int
    starts: int
    start_workers: int = 1000


FULL = Settings("full", 40_000, 8, 500, 100, 5, 60, 5)
QUICK = Settings("quick", 3_000, 2, 500, 10, 1, 5, 1)


def direct_request(workers: int, n: int) -> bytes:
    """One request's entropy work with no actors: a contribution per worker, one mix."""
    return alara.mix([os.urandom(32) for _ in range(workers)], n)


async def sequential_samples(calls: int, rounds: int) -> tuple[list[int], list[int]]:
    """Per-call nanoseconds of alara and of direct, timed in alternating rounds."""
    ours: list[int] = []
    direct: list[int] = []
    async with alara.create_network(WORKERS) as net:
        for _ in range(500):
            direct_request(WORKERS, REQUEST)
            await net.random_bytes(REQUEST)
        await settle()
        for _ in range(rounds):
            for _ in range(calls // rounds):
                start = clock()
                direct_request(WORKERS, REQUEST)
                direct.append(clock() - start)
            for _ in range(calls // rounds):
                start = clock()
                await net.random_bytes(REQUEST)
                ours.append(clock() - start)
    return ours, direct


def sequential(s: Settings, loop: LoopKind) -> list[Row]:
    """p50 and p99 of one caller's 32-byte requests, one at a time."""
    ours, direct = run_on(loop, lambda: sequential_samples(s.sequential_calls,
                                                           s.sequential_rounds))
    on = "" if loop == "default" else f", {loop}"
    return [Row(f"sequential.{loop}.{name}", f"sequential 32 B request, 3 workers, {name}{on}",
                "µs", percentile(ours, q) / 1e3, percentile(direct, q) / 1e3, "direct",
                note=f"{len(ours):,} calls")
            for name, q in (("p50", 0.5), ("p99", 0.99))]


async def concurrent_rates(callers: int, calls: int, rounds: int) -> tuple[float, float]:
    """Median requests per second of alara and of direct; direct runs before and after each
    alara round, so a drift of the machine's speed hits both sides alike."""
    requests = callers * calls

    async def caller(net: alara.Network) -> None:
        for _ in range(calls):
            await net.random_bytes(REQUEST)

    async def alara_rate(net: alara.Network) -> float:
        start = clock()
        await asyncio.gather(*(caller(net) for _ in range(callers)))
        return requests / ((clock() - start) / 1e9)

    def direct_rate() -> float:
        start = clock()
        for _ in range(requests):
            direct_request(WORKERS, REQUEST)
        return requests / ((clock() - start) / 1e9)

    async with alara.create_network(WORKERS) as net:
        await alara_rate(net)  # warm-up
        ours, direct = [], [direct_rate()]
        for _ in range(rounds):
            ours.append(await alara_rate(net))
            direct.append(direct_rate())
    return statistics.median(ours), statistics.median(direct)


def concurrent(s: Settings, loop: LoopKind) -> list[Row]:
    """Requests per second with 500 callers awaiting their requests on one loop."""
    ours, direct = run_on(loop, lambda: concurrent_rates(s.callers, s.caller_calls,
                                                         s.concurrent_rounds))
    on = "" if loop == "default" else f", {loop}"
    return [Row(f"concurrent.{loop}", f"{s.callers} concurrent callers, 32 B, 3 workers{on}",
                "calls/s", ours, direct, "direct", higher_is_better=True,
                note=f"median of {s.concurrent_rounds} rounds x {s.callers * s.caller_calls:,}")]


async def mib_rates(repeats: int) -> tuple[dict[str, float], int]:
    """MB/s of 1 MiB requests (alara, SHAKE256 alone, direct) and alara's peak extra bytes."""
    seed = bytes(64)  # SHAKE256 squeezing from a short input, as the expand step does
    times: dict[str, list[int]] = {"alara": [], "shake": [], "direct": []}
    async with alara.create_network(WORKERS) as net:
        await net.random_bytes(MIB)
        for _ in range(repeats):
            start = clock()
            hashlib.shake_256(seed).digest(MIB)
            times["shake"].append(clock() - start)
            start = clock()
            direct_request(WORKERS, MIB)
            times["direct"].append(clock() - start)
            start = clock()
            await net.random_bytes(MIB)
            times["alara"].append(clock() - start)
        with MemoryProbe() as probe:
            await net.random_bytes(MIB)
    return {name: MIB / (statistics.median(ns) / 1e9) / 1e6 for name, ns in times.items()}, \
        probe.peak


def large(s: Settings, loop: LoopKind) -> list[Row]:
    """1 MiB requests in MB/s (10^6 B/s), against SHAKE256 alone and direct; peak memory."""
    rates, peak = run_on(loop, lambda: mib_rates(s.mib_repeats))
    note = f"median of {s.mib_repeats}"
    return [
        Row("mib.vs_shake", "1 MiB request, 3 workers", "MB/s", rates["alara"], rates["shake"],
            "SHAKE256 alone", higher_is_better=True, note=note),
        Row("mib.vs_direct", "1 MiB request, 3 workers", "MB/s", rates["alara"], rates["direct"],
            "direct", higher_is_better=True, note=note),
        Row("mib.memory", "1 MiB request, peak extra memory", "x request", peak / MIB,
            note="tracemalloc"),
    ]


async def start_ms(workers: int) -> float:
    """Milliseconds from ``create_network`` to the first request served by every worker."""
    begin = clock()
    async with alara.create_network(workers) as net:
        await net.random_bytes(REQUEST)
        ready = clock()
    return (ready - begin) / 1e6


async def _bare_start(workers: int) -> float:
    """Milliseconds to start ``workers`` bare tasks, each waiting on its own queue."""
    begin = clock()
    queues: list[asyncio.Queue[object]] = [asyncio.Queue() for _ in range(workers)]
    tasks = [asyncio.create_task(queue.get()) for queue in queues]
    await settle(1)
    elapsed = (clock() - begin) / 1e6
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return elapsed


async def _idle_memory(workers: int) -> float:
    """KiB of ``tracemalloc`` growth per idle worker of a started pool."""
    with MemoryProbe() as probe:
        net = await alara.create_network(workers)
        await net.random_bytes(REQUEST)
        await settle()
    await net.close()
    return probe.net / workers / 1024


def start(s: Settings, loop: LoopKind) -> list[Row]:
    """A 1,000-worker pool: start to first reply against bare tasks, and memory per worker."""
    n = s.start_workers
    ours = statistics.median(run_on(loop, lambda: start_ms(n)) for _ in range(s.starts))
    bare = statistics.median(run_on(loop, lambda: _bare_start(n)) for _ in range(s.starts))
    return [
        Row("start.ms", f"{n:,}-worker start to first reply", "ms", ours, bare,
            "bare tasks + queues", note=f"median of {s.starts}"),
        Row("start.memory", "memory per idle worker", "KiB", run_on(loop, lambda: _idle_memory(n)),
            note="tracemalloc"),
    ]
