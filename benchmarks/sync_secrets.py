"""Sync ``alara.secrets.token_bytes(32)`` from 1 and 8 threads, against ``secrets.token_bytes``.

``python -m benchmarks.sync_secrets`` (``make bench-sync``). For each thread count, the
standard ``secrets.token_bytes(32)`` and ``alara.secrets.token_bytes(32)`` are timed in
alternating repeats in the same process, so a noisy neighbour slows both alike; the report
gives per-call latency (p50, p99 over every call of every thread), throughput (calls per
second of wall time) and their ratios, plus two counts that show how the sync path works:

* **hand-offs per call**: calls to the network loop's ``call_soon_threadsafe`` (the only
  way a thread can reach the loop) divided by calls; at most 1.
* **calls per round**: calls divided by the rounds the network ran (each round reads every
  worker's source once, so the reads of one counting source are the rounds). Above 1, calls
  from different threads were served by one round together.

An ``await`` row runs the same number of callers as asyncio tasks on one loop (the async
path, for comparison of latency and of calls per round), and a last row times the call
through anyio's ``BlockingPortal.call`` (the generic way to
call async code from a thread) to show what the direct ``run_coroutine_threadsafe``
hand-off saves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from anyio.from_thread import start_blocking_portal

import alara
from alara import BlockingNetwork

__all__ = ["Figures", "main", "measure"]

SIZE = 32


class _CountingSource:
    """``os.urandom`` that counts its reads: one read per round.

    Declares, as ``OsSource`` does, that small reads never block, so they stay on the loop
    (an undeclared synchronous source is read in a worker thread: one more hand-off).
    """

    max_inline_read = alara.OsSource.max_inline_read

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reads = 0

    def read(self, n: int) -> bytes:
        with self._lock:
            self.reads += 1
        return os.urandom(n)


@dataclass(frozen=True)
class Figures:
    """One way of calling, from one number of threads."""

    name: str
    threads: int
    calls: int
    p50_us: float
    p99_us: float
    calls_per_second: float
    handoffs_per_call: float | None = None
    calls_per_round: float | None = None


def _run_threads(call: Callable[[], object], threads: int, calls: int) -> tuple[list[int], float]:
    """Per-call nanoseconds of every call of every thread, and the wall time of the lot."""
    samples: list[list[int]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        own = samples[index]
        clock = time.perf_counter_ns
        barrier.wait()
        for _ in range(calls):
            start = clock()
            call()
            own.append(clock() - start)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    return [sample for own in samples for sample in own], wall


def _run_tasks(tasks: int, calls: int, workers: int) -> tuple[list[int], float, float]:
    """The async path: ``tasks`` tasks awaiting ``token_bytes`` on one network's loop.

    Returns per-call nanoseconds, the wall time and the calls per round.
    """
    async def main() -> tuple[list[int], float, float]:
        sources = [_CountingSource() for _ in range(workers)]
        async with alara.create_network(sources=sources) as net:
            for _ in range(100):
                await net.token_bytes(SIZE)
            samples: list[int] = []
            clock = time.perf_counter_ns

            async def caller() -> None:
                for _ in range(calls):
                    start = clock()
                    await net.token_bytes(SIZE)
                    samples.append(clock() - start)

            before = sources[0].reads
            started = time.perf_counter()
            await asyncio.gather(*(caller() for _ in range(tasks)))
            wall = time.perf_counter() - started
            return samples, wall, len(samples) / (sources[0].reads - before)

    return asyncio.run(main())


def _figures(name: str, threads: int, samples: list[int], wall: float,
             handoffs_per_call: float | None = None,
             calls_per_round: float | None = None) -> Figures:
    ordered = sorted(samples)
    return Figures(
        name=name, threads=threads, calls=len(ordered),
        p50_us=ordered[len(ordered) // 2] / 1e3,
        p99_us=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e3,
        calls_per_second=len(ordered) / wall,
        handoffs_per_call=handoffs_per_call, calls_per_round=calls_per_round,
    )


@contextmanager
def _counting_handoffs(net: BlockingNetwork) -> Iterator[list[int]]:
    """Count the network loop's ``call_soon_threadsafe`` calls (instrumentation only)."""
    loop = net._loop
    assert loop is not None
    count = [0]
    original = loop.call_soon_threadsafe

    def counted(*args: object, **kwargs: object) -> object:
        count[0] += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    loop.call_soon_threadsafe = counted  # type: ignore[method-assign,assignment]
    try:
        yield count
    finally:
        del loop.call_soon_threadsafe  # back to the class's method


def _median(figures: list[Figures]) -> Figures:
    """The repeat with the median throughput (its latencies come with it)."""
    return sorted(figures, key=lambda f: f.calls_per_second)[len(figures) // 2]


def measure(threads: int, calls: int, repeats: int, workers: int) -> list[Figures]:
    """The standard module, alara.secrets and the portal, ``repeats`` times each, alternating."""
    sources = [_CountingSource() for _ in range(workers)]
    runs: dict[str, list[Figures]] = {
        "secrets": [], "alara.secrets": [], "await (tasks)": [], "portal.call": []}
    with BlockingNetwork(sources=sources) as net, alara.use_blocking_network(net), \
            start_blocking_portal() as portal:
        portal_net = portal.call(alara.create_network(workers).start)
        for _ in range(100):  # warm-up
            secrets.token_bytes(SIZE)
            alara.secrets.token_bytes(SIZE)
            portal.call(portal_net.token_bytes, SIZE)
        for _ in range(repeats):
            samples, wall = _run_threads(lambda: secrets.token_bytes(SIZE), threads, calls)
            runs["secrets"].append(_figures("secrets", threads, samples, wall))

            before = sources[0].reads
            with _counting_handoffs(net) as handoffs:
                samples, wall = _run_threads(lambda: alara.secrets.token_bytes(SIZE),
                                             threads, calls)
            total = len(samples)
            rounds = sources[0].reads - before
            runs["alara.secrets"].append(_figures(
                "alara.secrets", threads, samples, wall,
                handoffs_per_call=handoffs[0] / total, calls_per_round=total / rounds))

            samples, wall, per_round = _run_tasks(threads, calls, workers)
            runs["await (tasks)"].append(_figures("await (tasks)", threads, samples, wall,
                                                  calls_per_round=per_round))

            samples, wall = _run_threads(lambda: portal.call(portal_net.token_bytes, SIZE),
                                         threads, calls)
            runs["portal.call"].append(_figures("portal.call", threads, samples, wall))
        portal.call(portal_net.close)
    return [_median(figures) for figures in runs.values()]


def _table(results: list[Figures]) -> str:
    lines = [
        "| threads | way | p50 µs | p99 µs | calls/s | p50 ratio | calls/s ratio "
        "| hand-offs/call | calls/round |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    baselines = {f.threads: f for f in results if f.name == "secrets"}
    for f in results:
        base = baselines[f.threads]
        lines.append(
            f"| {f.threads} | {f.name} | {f.p50_us:.1f} | {f.p99_us:.1f} "
            f"| {f.calls_per_second:,.0f} | {f.p50_us / base.p50_us:.0f}x "
            f"| {f.calls_per_second / base.calls_per_second:.4f} "
            f"| {'' if f.handoffs_per_call is None else f'{f.handoffs_per_call:.2f}'} "
            f"| {'' if f.calls_per_round is None else f'{f.calls_per_round:.2f}'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a markdown table (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per thread per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    results: list[Figures] = []
    for threads in args.threads:
        results.extend(measure(threads, args.calls, args.repeats, args.workers))
    load_after = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"{args.workers} workers; {args.calls} calls per thread, median of {args.repeats} "
          f"repeats; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"{os.cpu_count()} CPUs")
    print(_table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2))


if __name__ == "__main__":
    main()
