"""Scenario 3: large requests, where the cost should be SHAKE256's and nothing else's.

A large request still takes one 32-byte contribution per worker; the bulk is the expand step,
SHAKE256 squeezing ``n`` bytes. So the fair ceilings are SHAKE256 alone and ``os.urandom``
alone, plus the usual direct baseline (same contributions, same mix, no actors). Speed and
memory are separate passes because ``tracemalloc`` would distort the timings.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import partial

import alara
from benchmarks.baseline import direct_request, shake_alone, urandom_alone
from benchmarks.measure import LoopKind, MemoryProbe, clock, run_on
from benchmarks.results import Row

__all__ = ["measure_large", "size_label"]

WORKERS = 3

_BASELINES: dict[str, Callable[[int], bytes]] = {
    "urandom": urandom_alone,
    "shake": shake_alone,
    "direct": lambda n: direct_request(WORKERS, n),
}
_NAMES = {"urandom": "os.urandom alone", "shake": "SHAKE256 alone", "direct": "direct"}


def size_label(n: int) -> str:
    """``1MiB``-style label of a request size."""
    return f"{n >> 20}MiB" if n >= 1 << 20 else f"{n >> 10}KiB"


async def _sample(n: int, repeats: int) -> tuple[dict[str, float], dict[str, int]]:
    """Median seconds per request and peak extra bytes, per contender."""
    seconds: dict[str, list[float]] = {name: [] for name in (*_BASELINES, "alara")}
    peaks: dict[str, int] = {}
    async with alara.create_network(WORKERS) as net:
        for function in _BASELINES.values():
            function(n)
        await net.random_bytes(n)
        for _ in range(repeats):
            for name, function in _BASELINES.items():
                start = clock()
                function(n)
                seconds[name].append((clock() - start) / 1e9)
            start = clock()
            await net.random_bytes(n)
            seconds["alara"].append((clock() - start) / 1e9)
        for name, function in _BASELINES.items():
            with MemoryProbe() as probe:
                function(n)
            peaks[name] = probe.peak
        with MemoryProbe() as probe:
            await net.random_bytes(n)
        peaks["alara"] = probe.peak
    return {name: statistics.median(times) for name, times in seconds.items()}, peaks


def measure_large(n: int, repeats: int, loop: LoopKind = "default") -> list[Row]:
    """MB/s against each ceiling, and peak memory per request, for ``n``-byte requests."""
    seconds, peaks = run_on(loop, lambda: _sample(n, repeats))
    label = size_label(n)
    rate = {name: n / value / 1e6 for name, value in seconds.items()}
    row = partial(Row, scenario="3. large requests", case=f"{label}, {WORKERS} workers",
                  workers=WORKERS)
    rows = [
        row(
            key=f"large.{label}.vs_{name}",
            metric="MB/s",
            unit="MB/s",
            value=rate["alara"],
            baseline=rate[name],
            baseline_name=_NAMES[name],
            higher_is_better=True,
            note=f"{repeats} requests",
        )
        for name in ("shake", "urandom", "direct")
    ]
    rows.append(
        row(
            key=f"large.{label}.memory",
            metric="peak extra memory",
            unit="x request",
            value=peaks["alara"] / n,
            baseline=peaks["shake"] / n,
            baseline_name="SHAKE256 alone",
            note=f"alara {peaks['alara'] / 1024:.0f} KiB, direct {peaks['direct'] / 1024:.0f} KiB",
        )
    )
    return rows
