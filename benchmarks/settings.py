"""How much to measure: the full run (``make bench``) and the CI smoke run (``make bench-quick``).

Both run every scenario with the same code; the quick run only takes fewer samples and smaller
repeat counts so that it finishes well under a minute on a 2-core machine. Its figures are for
spotting crashes, not for quoting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = ["FULL", "QUICK", "Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Sample counts for one run. Latency calls are per worker count, split over rounds."""

    name: str
    latency_calls: Mapping[int, int]
    latency_rounds: int
    latency_warmup: int
    uvloop_latency_workers: tuple[int, ...]
    throughput_callers: int
    throughput_calls: int
    throughput_rounds: int
    sweep_workers: tuple[int, ...]
    sweep_callers: int
    sweep_asks: int
    large_sizes: tuple[int, ...]
    large_repeats: Mapping[int, int]
    scale_pools: tuple[int, ...]
    scale_repeats: int
    restart_kills: int
    restart_warmup: int


MIB = 1 << 20

FULL = Settings(
    name="full",
    latency_calls={1: 40_000, 3: 40_000, 10: 20_000, 100: 3_000, 1000: 400},
    latency_rounds=8,
    latency_warmup=500,
    uvloop_latency_workers=(1, 3, 10),
    throughput_callers=500,
    throughput_calls=100,
    throughput_rounds=5,
    sweep_workers=(1, 10, 100, 1000),
    sweep_callers=500,
    sweep_asks=150_000,
    large_sizes=(MIB, 16 * MIB),
    large_repeats={MIB: 60, 16 * MIB: 12},
    scale_pools=(1000, 10_000),
    scale_repeats=3,
    restart_kills=2_000,
    restart_warmup=50,
)

QUICK = replace(
    FULL,
    name="quick",
    latency_calls={1: 3_000, 3: 3_000, 10: 2_000, 100: 300, 1000: 30},
    latency_rounds=2,
    latency_warmup=100,
    throughput_rounds=1,
    sweep_callers=100,
    sweep_asks=20_000,
    large_repeats={MIB: 5, 16 * MIB: 2},
    scale_repeats=1,
    restart_kills=200,
    restart_warmup=10,
)
"""The same scenarios and pool sizes as ``FULL``; only the sample and repeat counts shrink."""
