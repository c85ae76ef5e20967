"""The sync rows: ``alara.secrets`` and ``alara.Random`` against ``secrets`` and ``SystemRandom``.

Plain threads call ``alara.secrets.token_bytes(32)`` (1 and 8 threads) and
``alara.Random().random()``, the stdlib's twin is timed in alternating repeats in the same
process, and the report gives p50 per call and calls per second of wall time. Each network
source counts its reads (one per round), so the run also shows how many calls one round served:
above 1, calls from different threads were served together.
"""

from __future__ import annotations

import os
import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

import alara
import alara.secrets
from benchmarks._harness import Row, clock, percentile

SIZE = 32


class _CountingSource:
    """``os.urandom`` that counts its reads. It declares, as ``OsSource`` does, that small
    reads never block, so they stay on the loop like the default source's."""

    max_inline_read = alara.OsSource.max_inline_read

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reads = 0

    def read(self, n: int) -> bytes:
        with self._lock:
            self.reads += 1
        return os.urandom(n)


@dataclass(frozen=True, slots=True)
class Figures:
    """One way of calling, from one number of threads (the median repeat by calls/s)."""

    name: str
    threads: int
    calls: int
    p50_us: float
    calls_per_second: float
    calls_per_round: float | None = None


def _run_threads(call: Callable[[], object], threads: int, calls: int) -> tuple[list[int], float]:
    """Per-call nanoseconds of every call of every thread, and the wall time of them all."""
    samples: list[list[int]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def worker(own: list[int]) -> None:
        barrier.wait()
        for _ in range(calls):
            start = clock()
            call()
            own.append(clock() - start)

    pool = [threading.Thread(target=worker, args=(own,)) for own in samples]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = clock()
    for thread in pool:
        thread.join()
    return [sample for own in samples for sample in own], (clock() - started) / 1e9


def measure(threads: int, calls: int, repeats: int, workers: int) -> list[Figures]:
    """Every way of calling, ``repeats`` times each in alternating order, from ``threads``."""
    sources = [_CountingSource() for _ in range(workers)]
    ours_random, system_random = alara.Random(), random.SystemRandom()
    ways: dict[str, Callable[[], object]] = {
        "secrets": lambda: secrets.token_bytes(SIZE),
        "alara.secrets": lambda: alara.secrets.token_bytes(SIZE),
        "SystemRandom": system_random.random,
        "alara.Random": ours_random.random,
    }
    runs: dict[str, list[Figures]] = {name: [] for name in ways}
    with alara.BlockingNetwork(sources=sources) as net, alara.use_blocking_network(net):
        for call in ways.values():  # warm-up
            for _ in range(100):
                call()
        for repeat in range(repeats):
            for name in list(ways) if repeat % 2 == 0 else list(ways)[::-1]:
                before = sources[0].reads
                samples, wall = _run_threads(ways[name], threads, calls)
                rounds = sources[0].reads - before
                runs[name].append(Figures(
                    name, threads, len(samples), percentile(samples, 0.5) / 1e3,
                    len(samples) / wall, len(samples) / rounds if rounds else None))
    return [sorted(done, key=lambda f: f.calls_per_second)[len(done) // 2]
            for done in runs.values()]


def sync_rows(quick: bool) -> list[Row]:
    """p50 of one thread's calls and calls/s of 8 threads, each against the stdlib's."""
    calls, repeats = (300, 1) if quick else (5_000, 3)
    rows: list[Row] = []
    for threads in (1, 8):
        got = {f.name: f for f in measure(threads, calls, repeats, workers=3)}
        for ours, theirs, what in (("alara.secrets", "secrets", "token_bytes(32)"),
                                   ("alara.Random", "SystemRandom", "random()")):
            mine, base = got[ours], got[theirs]
            note = f"{mine.calls_per_round:,.1f} calls per round" if mine.calls_per_round else ""
            if threads == 1:
                rows.append(Row(f"sync.{ours}.p50", f"sync `{ours}.{what}`, 1 thread, p50",
                                "µs", mine.p50_us, base.p50_us, theirs, note=note))
            else:
                rows.append(Row(f"sync.{ours}.rate8", f"sync `{ours}.{what}`, 8 threads",
                                "calls/s", mine.calls_per_second, base.calls_per_second, theirs,
                                higher_is_better=True, note=note))
    return rows
