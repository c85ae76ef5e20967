"""The default pool (one worker per discovered kind) next to the OS-only pool.

Both pools have 3 workers and are open at once; their rounds alternate, so a drift of the
machine's speed hits both alike. The default pool here is ``os`` + ``hwrng`` (behind its
reservoir) + ``cpu`` where the machine offers them (``discover_sources``); the rows say which
kinds it had. The goal: the default pool within 1.5x of the OS-only pool.
"""

from __future__ import annotations

import asyncio
import statistics

import alara
from benchmarks._harness import LoopKind, Row, clock, percentile, run_on, settle
from benchmarks.requests import REQUEST, WORKERS, Settings

__all__ = ["source_rows"]


def _pools() -> tuple[alara.Network, alara.Network, str]:
    """The default pool, the OS-only pool, and the default pool's kinds (``os+hwrng+cpu``)."""
    sources = alara.default_sources(WORKERS)
    kinds = "+".join(getattr(source, "kind", type(source).__name__) for source in sources)
    default = alara.create_network(sources=sources)
    return default, alara.create_network(sources=[alara.OsSource()] * WORKERS), kinds


async def _sequential(calls: int, rounds: int) -> tuple[list[int], list[int], str]:
    samples: tuple[list[int], list[int]] = ([], [])
    default, plain, kinds = _pools()
    async with default, plain:
        for net in (default, plain):
            for _ in range(500):
                await net.random_bytes(REQUEST)
        await settle()
        for _ in range(rounds):
            for net, times in zip((default, plain), samples, strict=True):
                for _ in range(calls // rounds):
                    start = clock()
                    await net.random_bytes(REQUEST)
                    times.append(clock() - start)
    return samples[0], samples[1], kinds


async def _concurrent(callers: int, calls: int, rounds: int) -> tuple[float, float]:
    async def rate(net: alara.Network) -> float:
        async def caller() -> None:
            for _ in range(calls):
                await net.random_bytes(REQUEST)

        start = clock()
        await asyncio.gather(*(caller() for _ in range(callers)))
        return callers * calls / ((clock() - start) / 1e9)

    default, plain, _ = _pools()
    async with default, plain:
        await rate(default)
        await rate(plain)
        ours, theirs = [], []
        for _ in range(rounds):
            ours.append(await rate(default))
            theirs.append(await rate(plain))
    return statistics.median(ours), statistics.median(theirs)


def source_rows(s: Settings, loop: LoopKind) -> list[Row]:
    """Sequential p50/p99 and 500-caller rate of the default pool against the OS-only pool."""
    ours, plain, kinds = run_on(loop, lambda: _sequential(s.sequential_calls,
                                                          s.sequential_rounds))
    rate, plain_rate = run_on(loop, lambda: _concurrent(s.callers, s.caller_calls,
                                                        s.concurrent_rounds))
    rows = [Row(f"sources.sequential.{name}", f"sequential 32 B, default pool ({kinds}), {name}",
                "µs", percentile(ours, q) / 1e3, percentile(plain, q) / 1e3, "OS-only pool",
                note=f"{len(ours):,} calls")
            for name, q in (("p50", 0.5), ("p99", 0.99))]
    rows.append(Row("sources.concurrent", f"{s.callers} callers, 32 B, default pool ({kinds})",
                    "calls/s", rate, plain_rate, "OS-only pool", higher_is_better=True,
                    note=f"median of {s.concurrent_rounds} rounds"))
    return rows
