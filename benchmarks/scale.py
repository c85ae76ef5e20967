"""Scenario 4a: what a big pool costs to start and to keep, idle.

"Started" means ready: ``start()`` has returned *and* a first request has been served, which
needs every worker's task to have run. The baseline is the floor of any task-per-actor design:
the same number of bare asyncio tasks, each waiting on its own ``asyncio.Queue``. Memory is
the ``tracemalloc`` growth while the idle pool is alive, with the RSS growth of the same pool in
a fresh process as a cross-check (in this process the allocator reuses memory freed by earlier
scenarios, which would hide it).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import alara
from benchmarks.latency import REQUEST
from benchmarks.measure import MemoryProbe, clock, run_on, settle
from benchmarks.results import Row

__all__ = ["StartTimes", "measure_scale", "start_once"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class StartTimes:
    """How long a pool of a given size takes to start, serve its first request, and close."""

    started: float  # seconds until start() returned
    ready: float  # seconds until the first request was served
    closed: float  # seconds for close()


async def start_once(workers: int) -> StartTimes:
    """Start a network of ``workers``, serve one request, close it; time each step."""
    begin = clock()
    net = alara.create_network(workers)
    await net.start()
    started = clock()
    await net.random_bytes(REQUEST)
    ready = clock()
    await net.close()
    closed = clock()
    return StartTimes((started - begin) / 1e9, (ready - begin) / 1e9, (closed - ready) / 1e9)


def _fresh_process_rss(workers: int) -> float:
    """RSS growth of an idle pool in a fresh interpreter (see ``benchmarks.rss_probe``)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.rss_probe", str(workers)],
                          capture_output=True, text=True, check=True, timeout=300, cwd=ROOT)
    delta = json.loads(done.stdout)["rss_delta"]
    return float("nan") if delta is None else float(delta)


async def _bare_tasks(workers: int) -> float:
    begin = clock()
    queues: list[asyncio.Queue[object]] = [asyncio.Queue() for _ in range(workers)]
    tasks = [asyncio.create_task(queue.get()) for queue in queues]
    await settle(1)
    elapsed = (clock() - begin) / 1e9
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return elapsed


async def _pool_memory(workers: int) -> int:
    with MemoryProbe() as probe:
        net = alara.create_network(workers)
        await net.start()
        await net.random_bytes(REQUEST)
        await settle()
    await net.close()
    return probe.net


async def _bare_memory(workers: int) -> int:
    with MemoryProbe() as probe:
        queues: list[asyncio.Queue[object]] = [asyncio.Queue() for _ in range(workers)]
        tasks = [asyncio.create_task(queue.get()) for queue in queues]
        await settle()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return probe.net


def measure_scale(workers: int, repeats: int) -> list[Row]:
    """Start time, close time and memory per idle worker for a pool of ``workers``."""
    runs = [run_on("default", lambda: start_once(workers)) for _ in range(repeats)]
    bare = statistics.median(
        run_on("default", lambda: _bare_tasks(workers)) for _ in range(repeats)
    )
    memory = run_on("default", lambda: _pool_memory(workers))
    bare_memory = run_on("default", lambda: _bare_memory(workers))
    rss = _fresh_process_rss(workers)
    case = f"{workers:,} workers"

    def row(key: str, metric: str, unit: str, value: float, **extra: Any) -> Row:
        return Row(key=f"scale.w{workers}.{key}", scenario="4. scale: start and memory",
                   case=case, metric=metric, unit=unit, value=value, workers=workers, **extra)

    return [
        row("start", "start to first reply", "s", statistics.median(run.ready for run in runs),
            baseline=bare, baseline_name="bare tasks + queues", note=f"median of {repeats}"),
        row("start_call", "start() returns", "s", statistics.median(run.started for run in runs)),
        row("close", "close()", "s", statistics.median(run.closed for run in runs)),
        row("memory", "memory per idle worker", "KiB", memory / workers / 1024,
            baseline=bare_memory / workers / 1024, baseline_name="bare tasks + queues",
            note="tracemalloc"),
        row("rss", "RSS per idle worker", "KiB", rss / workers / 1024,
            note="RSS delta, fresh process"),
    ]
