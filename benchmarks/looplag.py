"""Loop lag: the worst stall of the event loop while alara serves large or hostile requests.

A ticker task sleeps 1 ms at a time next to the request and records the longest gap between
two of its wake-ups; the stall is that gap minus the 1 ms it asked for. Two stalls are
reported: by the wall clock, and by the loop thread's own CPU time between two ticks
(``time.thread_time``). On a shared, overloaded machine the wall-clock gap also counts the
time the OS did not run the process at all (see the idle row: the noise floor); the CPU-time
gap is what the loop thread itself spent away from the ticker, i.e. the stall alara causes.
Each scenario is run ``--repeat`` times and the worst of all runs is reported. The result of
each request is kept until the ticker has stopped: freeing a 16 Mi-element list (the caller's
own object) costs the caller what any list that size costs. Uses only the public API, so the same
script measures any version of alara (``--label`` names the tree in the output).

    python -m benchmarks.looplag            # all scenarios (make bench-looplag)
    python -m benchmarks.looplag --quick    # no 1 GiB request
    python -m benchmarks.looplag --loop uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import time
from collections.abc import Awaitable, Callable
from typing import Any

import alara
from benchmarks._harness import run_on

__all__ = ["Scenario", "main", "measure", "scenarios"]

TICK = 0.001
TARGET_MS = 5.0
LIMIT_MS = 50.0

Scenario = tuple[str, Callable[[], Awaitable[Any]]]


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


def scenarios(net: Any, blocking: Any, quick: bool) -> list[Scenario]:
    """The requests of issue 7: sizes, bits, and a network with a blocking source."""
    sizes = [1 << 20, 64 << 20] + ([] if quick else [1 << 30])
    rows: list[Scenario] = [("idle loop (noise floor)", lambda: asyncio.sleep(0.3))]
    for size in sizes:
        label = f"random_bytes({size >> 20} MiB)" if size < 1 << 30 else "random_bytes(1 GiB)"
        rows.append((label, functools.partial(net.random_bytes, size)))
    rows.append(("token_hex(64 MiB)", lambda: net.token_hex(64 << 20)))
    rows.append(("token_urlsafe(64 MiB)", lambda: net.token_urlsafe(64 << 20)))
    rows.append(("sample(range(10**6), 10**6)", lambda: net.sample(range(10**6), 10**6)))
    rows.append(("random_bits(2**24)", lambda: net.random_bits(1 << 24)))
    rows.append(("random_int(2**24 bits)", lambda: net.random_int(1 << 24)))
    rows.append(("blocking source, 3 requests (200 ms reads)",
                 lambda: asyncio.gather(*(blocking.random_bytes(32) for _ in range(3)))))
    return rows


async def _run(quick: bool, repeat: int) -> list[tuple[str, float, float, float]]:
    results: list[tuple[str, float, float, float]] = []
    async with alara.create_network(3) as net, alara.create_network(
        sources=[_BlockingSource(), alara.OsSource(), alara.OsSource()],
        contribution_timeout=5.0, timeout=10.0,
    ) as blocking:
        for label, work in scenarios(net, blocking, quick):
            stalls, cpus, walls = [], [], []
            for _ in range(repeat):
                stall, cpu, wall = await measure(work)
                stalls.append(stall)
                cpus.append(cpu)
                walls.append(wall)
            results.append((label, max(stalls), max(cpus), min(walls)))
    return results


def main(argv: list[str] | None = None) -> None:
    """Run the scenarios and print a markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.looplag", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 1 GiB request")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--label", default="this tree", help="name of the tree measured")
    parser.add_argument("--loop", choices=["default", "uvloop"], default="default",
                        help="event loop to measure on (default: asyncio's)")
    args = parser.parse_args(argv)
    results = run_on(args.loop, lambda: _run(args.quick, args.repeat))
    load = os.getloadavg()
    print(f"Loop lag, {args.label}, {args.loop} loop: alara {alara.__version__}, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, "
          f"worst of {args.repeat} runs\n")
    print("| scenario | worst stall, wall clock (ms) | worst stall, loop CPU (ms) "
          "| request time (s) | CPU stall < 5 ms | CPU stall < 50 ms |")
    print("|---|---:|---:|---:|:---:|:---:|")
    for label, stall, cpu, wall in results:
        print(f"| {label} | {stall:.1f} | {cpu:.1f} | {wall:.2f} "
              f"| {'yes' if cpu < TARGET_MS else 'no'} | {'yes' if cpu < LIMIT_MS else 'no'} |")


if __name__ == "__main__":
    main()
