"""The request rows: one caller's 32-byte requests, 500 callers, 1 MiB, a 1,000-worker start.

Each next to a baseline of the same run: **direct** (one ``os.urandom(32)`` per worker and the
same ``alara.mix``, no actors: alara ÷ direct is the actor machinery's price), SHAKE256 alone
(the bulk of a large request), bare tasks on queues (the floor of a task per actor).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import alara
from benchmarks._harness import LoopKind, Row, clock, percentile, run_on, settle

WORKERS = 3
REQUEST = 32
MIB = 1 << 20
Call = Callable[[], object]  # a request: its result awaited when it is awaitable


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


FULL = Settings("full", 40_000, 8, 500, 100, 5, 60, 5)
QUICK = Settings("quick", 3_000, 2, 500, 10, 1, 5, 1)


def os_pool(workers: int = WORKERS) -> alara.Network:
    """OS sources only, as direct reads (``benchmarks.sources`` weighs the default pool)."""
    return alara.create_network(sources=[alara.OsSource()] * workers)


def direct_request(n: int = REQUEST) -> bytes:
    """One request's entropy work with no actors: a contribution per worker, one mix."""
    return alara.mix([os.urandom(32) for _ in range(WORKERS)], n)


async def _once(call: Call) -> None:
    result = call()
    if inspect.isawaitable(result):
        await result


async def alternating(sides: Mapping[str, Call], calls: int, rounds: int, warmup: int = 500
                      ) -> dict[str, list[int]]:
    """Per-call nanoseconds of each side, one call at a time, the sides taking turns in
    ``rounds`` rounds, after ``warmup`` untimed calls each."""
    for call in sides.values():
        for _ in range(warmup):
            await _once(call)
    await settle()
    samples: dict[str, list[int]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            for _ in range(calls // rounds):
                start = clock()
                await _once(call)
                samples[name].append(clock() - start)
    return samples


async def rates(sides: Mapping[str, Call], callers: int, calls: int, rounds: int
                ) -> dict[str, float]:
    """Median calls per second of each side with ``callers`` callers making ``calls`` calls
    each (a synchronous side runs them one after another), the sides taking turns."""
    async def caller(call: Call) -> None:
        for _ in range(calls):
            await _once(call)

    async def rate(call: Call) -> float:
        start = clock()
        await asyncio.gather(*(caller(call) for _ in range(callers)))
        return callers * calls / ((clock() - start) / 1e9)

    for call in sides.values():
        await rate(call)  # warm-up
    found: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            found[name].append(await rate(call))
    return {name: statistics.median(values) for name, values in found.items()}


def small(s: Settings, loop: LoopKind) -> list[Row]:
    """32-byte requests against direct on one pool: one caller's p50 and p99 (one request at
    a time), then the rate of 500 callers awaiting their requests on one loop."""
    async def measure() -> tuple[dict[str, list[int]], dict[str, float]]:
        async with os_pool() as net:
            sides: dict[str, Call] = {"direct": direct_request,
                                      "alara": lambda: net.random_bytes(REQUEST)}
            return (await alternating(sides, s.sequential_calls, s.sequential_rounds),
                    await rates(sides, s.callers, s.caller_calls, s.concurrent_rounds))

    times, found = run_on(loop, measure)
    on = "" if loop == "default" else f", {loop}"
    return [*(Row(f"sequential.{loop}.{name}", f"sequential 32 B request, 3 workers, {name}{on}",
                  "µs", percentile(times["alara"], q) / 1e3,
                  percentile(times["direct"], q) / 1e3, "direct",
                  note=f"{len(times['alara']):,} calls")
              for name, q in (("p50", 0.5), ("p99", 0.99))),
            Row(f"concurrent.{loop}", f"{s.callers} concurrent callers, 32 B, 3 workers{on}",
                "calls/s", found["alara"], found["direct"], "direct", higher_is_better=True,
                note=f"median of {s.concurrent_rounds} rounds x {s.callers * s.caller_calls:,}")]


async def mib_rates(repeats: int) -> dict[str, float]:
    """MB/s (10^6 B/s) of 1 MiB requests from alara, from SHAKE256 alone and from direct."""
    async with os_pool() as net:
        found = await alternating({"shake": lambda: hashlib.shake_256(bytes(64)).digest(MIB),
                                   "direct": lambda: direct_request(MIB),
                                   "alara": lambda: net.random_bytes(MIB)}, repeats, repeats, 1)
    return {name: MIB / statistics.median(ns) * 1e3 for name, ns in found.items()}


def large(s: Settings, loop: LoopKind) -> list[Row]:
    """1 MiB requests against SHAKE256 alone and against direct."""
    found = run_on(loop, lambda: mib_rates(s.mib_repeats))
    return [Row(f"mib.vs_{name}", "1 MiB request, 3 workers", "MB/s", found["alara"],
                found[name], label, higher_is_better=True, note=f"median of {s.mib_repeats}")
            for name, label in (("shake", "SHAKE256 alone"), ("direct", "direct"))]


async def start_ms(workers: int) -> float:
    """Milliseconds from ``create_network`` to a first request served by every worker."""
    begin = clock()
    async with os_pool(workers) as net:
        await net.random_bytes(REQUEST)
        ready = clock()
    return (ready - begin) / 1e6


async def _bare_start_ms(workers: int) -> float:
    begin = clock()
    tasks = [asyncio.create_task(asyncio.Queue[object]().get()) for _ in range(workers)]
    await settle(1)
    elapsed = (clock() - begin) / 1e6
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return elapsed


def start(s: Settings, loop: LoopKind) -> list[Row]:
    """A 1,000-worker pool, start to first reply, against as many bare tasks."""
    ours = statistics.median(run_on(loop, lambda: start_ms(1000)) for _ in range(s.starts))
    bare = statistics.median(run_on(loop, lambda: _bare_start_ms(1000)) for _ in range(s.starts))
    return [Row("start.ms", "1,000-worker start to first reply", "ms", ours, bare,
                "bare tasks + queues", note=f"median of {s.starts}")]
