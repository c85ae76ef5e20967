"""``python -m benchmarks.looplag``: the longest the event loop is held while alara serves.

A ticker task sleeping 1 ms at a time records the longest gap between two wake-ups, by the wall
clock (which on a loaded machine counts time the process was not run: the idle row) and by the
loop thread's own CPU time (the stall alara causes); the worst of ``--repeat`` runs. Results are
kept until the ticker stops (freeing a huge list costs its owner). ``--quick``: no 1 GiB request.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import alara
from benchmarks._harness import arguments, heading, provenance, run_on, write_files

TICK = 0.001


class _BlockingSource:
    """A synchronous source that blocks 200 ms per read (a slow device or a hostile driver)."""

    def read(self, n: int) -> bytes:
        time.sleep(0.2)
        return os.urandom(n)


async def _ticker(stop: asyncio.Event, worst: list[float]) -> None:
    last, last_cpu = time.perf_counter(), time.thread_time()
    while not stop.is_set():
        await asyncio.sleep(TICK)
        now, cpu = time.perf_counter(), time.thread_time()
        worst[0] = max(worst[0], now - last - TICK)
        worst[1] = max(worst[1], cpu - last_cpu)
        last, last_cpu = now, cpu


async def measure(work: Callable[[], Awaitable[Any]]) -> tuple[float, float, float]:
    """(worst wall-clock stall ms, worst loop-thread CPU stall ms, wall time s) of ``work()``."""
    stop = asyncio.Event()
    worst = [0.0, 0.0]
    ticker = asyncio.create_task(_ticker(stop, worst))
    await asyncio.sleep(0.02)  # the ticker is running before the work starts
    worst[:] = [0.0, 0.0]
    started = time.perf_counter()
    result = await work()
    wall = time.perf_counter() - started
    stop.set()
    await ticker
    del result
    return worst[0] * 1000, worst[1] * 1000, wall


async def _run(quick: bool, repeat: int) -> list[tuple[str, float, float, float]]:
    results = []
    async with alara.create_network(3) as net, alara.create_network(
            sources=[_BlockingSource(), alara.OsSource(), alara.OsSource()],
            contribution_timeout=5.0, timeout=10.0) as blocking:
        scenarios: dict[str, Callable[[], Awaitable[Any]]] = {
            "idle loop (noise floor)": lambda: asyncio.sleep(0.3),
            "random_bytes(1 MiB)": lambda: net.random_bytes(1 << 20),
            "random_bytes(64 MiB)": lambda: net.random_bytes(64 << 20),
            "random_bytes(1 GiB)": lambda: net.random_bytes(1 << 30),
            "token_hex(64 MiB)": lambda: net.token_hex(64 << 20),
            "token_urlsafe(64 MiB)": lambda: net.token_urlsafe(64 << 20),
            "sample(range(10**6), 10**6)": lambda: net.sample(range(10**6), 10**6),
            "random_bits(2**24)": lambda: net.random_bits(1 << 24),
            "random_int(2**24 bits)": lambda: net.random_int(1 << 24),
            "blocking source, 3 requests (200 ms reads)":
                lambda: asyncio.gather(*(blocking.random_bytes(32) for _ in range(3))),
        }
        for label, work in scenarios.items():
            if not (quick and "GiB" in label):
                runs = [await measure(work) for _ in range(repeat)]
                results.append((label, max(r[0] for r in runs), max(r[1] for r in runs),
                                 min(r[2] for r in runs)))
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios; print and write the table."""
    parser = arguments("python -m benchmarks.looplag", __doc__, "looplag")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--loop", choices=["default", "uvloop"], default="default")
    args = parser.parse_args(argv)
    meta = provenance()
    results = run_on(args.loop, lambda: _run(args.quick, args.repeat))
    lines = ["| scenario | worst stall, wall clock | worst stall, loop CPU | request time "
             "| CPU stall < 5 ms |", "|---|---:|---:|---:|:---:|"]
    lines += [f"| {label} | {stall:.1f} ms | {cpu:.1f} ms | {wall:.2f} s "
              f"| {'yes' if cpu < 5 else 'no'} |" for label, stall, cpu, wall in results]
    text = heading(meta, f"{args.loop} loop, worst of {args.repeat} runs") + "\n".join(lines)
    write_files(args, {"meta": meta, "results": results}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
