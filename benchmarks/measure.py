"""Clocks, percentiles, event loops and memory probes shared by every scenario.

Kept apart from the scenarios so that every figure in the report is computed the same way:
per-call samples in integer nanoseconds from ``time.perf_counter_ns``, percentiles by linear
interpolation, memory as a ``tracemalloc`` peak or an RSS delta.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import os
import time
import tracemalloc
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

__all__ = [
    "LoopKind",
    "MemoryProbe",
    "Summary",
    "clock",
    "loop_available",
    "percentile",
    "rss_bytes",
    "run_on",
    "settle",
    "summarize",
]

T = TypeVar("T")

LoopKind = Literal["default", "uvloop"]

clock = time.perf_counter_ns
"""The one clock of the suite: monotonic, highest resolution, integer nanoseconds."""


@dataclass(frozen=True, slots=True)
class Summary:
    """Distribution of per-call samples, in nanoseconds."""

    n: int
    p50: float
    p99: float
    mean: float
    minimum: float


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of already sorted values, linearly interpolated."""
    if not ordered:
        raise ValueError("percentile of no samples")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(samples: Sequence[float]) -> Summary:
    """p50, p99, mean and minimum of ``samples``."""
    ordered = sorted(samples)
    return Summary(
        n=len(ordered),
        p50=percentile(ordered, 0.50),
        p99=percentile(ordered, 0.99),
        mean=sum(ordered) / len(ordered),
        minimum=ordered[0],
    )


def loop_available(kind: LoopKind) -> bool:
    """Whether the event loop ``kind`` can be used here (uvloop is an optional extra)."""
    return kind == "default" or importlib.util.find_spec("uvloop") is not None


def _loop_factory(kind: LoopKind) -> Callable[[], asyncio.AbstractEventLoop]:
    if kind == "uvloop":
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        return factory
    return asyncio.new_event_loop


def run_on(kind: LoopKind, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` on a fresh event loop of ``kind``.

    A fresh loop per scenario means no scenario inherits another's tasks, callbacks or
    allocator state; a full collection first keeps one scenario's garbage out of the next
    one's timings.
    """
    gc.collect()
    with asyncio.Runner(loop_factory=_loop_factory(kind)) as runner:
        return runner.run(main())


async def settle(rounds: int = 3) -> None:
    """Let every ready callback run (a few loop turns), so a pool is idle before timing."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class MemoryProbe:
    """Peak and net ``tracemalloc`` bytes allocated inside a ``with`` block.

    ``tracemalloc`` slows Python down a lot, so it is only ever on in memory passes, never
    while timing.
    """

    peak: int
    net: int

    def __enter__(self) -> MemoryProbe:
        gc.collect()
        self._was_tracing = tracemalloc.is_tracing()
        if not self._was_tracing:
            tracemalloc.start()
        self._before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        return self

    def __exit__(self, *exc_info: object) -> None:
        current, peak = tracemalloc.get_traced_memory()
        self.peak = peak - self._before
        self.net = current - self._before
        if not self._was_tracing:
            tracemalloc.stop()


def rss_bytes() -> int | None:
    """Resident set size now (Linux ``/proc``), or ``None`` where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE")
