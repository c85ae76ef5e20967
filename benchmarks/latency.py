"""Scenarios 1 and 4b: sequential request latency against the direct baseline.

One caller, one request at a time, so every figure is the full cost of one request: the
façade, the fan-out to every worker, the replies and the mix. The direct baseline and alara
are timed in alternating rounds on the same loop, so a noisy neighbour slows both alike
rather than skewing the ratio.
"""

from __future__ import annotations

import asyncio
import os

import alara
from alara.entropy import DEFAULT_HEALTH, mix
from benchmarks.baseline import direct_request
from benchmarks.measure import LoopKind, Summary, clock, run_on, settle, summarize
from benchmarks.results import Row

__all__ = ["REQUEST", "bare_sequential", "measure_latency", "rows_for"]

REQUEST = 32
"""Request size of the latency and throughput scenarios: one 256-bit key."""


async def _sample(workers: int, calls: int, rounds: int, warmup: int) -> tuple[Summary, Summary]:
    """Per-call nanoseconds of alara and of the direct baseline."""
    async with alara.create_network(workers) as net:
        random_bytes = net.random_bytes
        for _ in range(warmup):
            direct_request(workers, REQUEST)
            await random_bytes(REQUEST)
        await settle()
        per_round = max(1, calls // rounds)
        direct_ns: list[int] = []
        alara_ns: list[int] = []
        for _ in range(rounds):
            for _ in range(per_round):
                start = clock()
                direct_request(workers, REQUEST)
                direct_ns.append(clock() - start)
            for _ in range(per_round):
                start = clock()
                await random_bytes(REQUEST)
                alara_ns.append(clock() - start)
    return summarize(alara_ns), summarize(direct_ns)


def measure_latency(
    loop: LoopKind, workers: int, calls: int, rounds: int, warmup: int
) -> tuple[Summary, Summary]:
    """(alara, direct) latency summaries for a pool of ``workers`` on a fresh ``loop``."""
    return run_on(loop, lambda: _sample(workers, calls, rounds, warmup))


async def _bare_sample(workers: int, calls: int, warmup: int) -> Summary:
    """The floor of the sequential row in plain asyncio: ``workers`` tasks, each draining a
    mailbox of its own (a list and one waiter future) and answering with ``os.urandom``
    through alara's health tests; the caller asks each with a future, ``asyncio.gather``s
    the replies and mixes them with alara's ``mix``. The shape the design asks for (a task
    and a mailbox per worker, a gather before the mix), with no framework around it."""
    loop = asyncio.get_running_loop()
    boxes: list[tuple[list[tuple[int, asyncio.Future[bytes]]], list[asyncio.Future[None]]]] = [
        ([], []) for _ in range(workers)]

    async def worker(items: list[tuple[int, asyncio.Future[bytes]]],
                     waiter: list[asyncio.Future[None]]) -> None:
        health = DEFAULT_HEALTH()
        while True:
            while not items:
                waiter.append(loop.create_future())
                await waiter[0]
                waiter.clear()
            batch = items[:]
            items.clear()
            for n, reply in batch:
                data = os.urandom(n)
                health(data)
                if not reply.done():
                    reply.set_result(data)

    def ask(items: list[tuple[int, asyncio.Future[bytes]]],
            waiter: list[asyncio.Future[None]]) -> asyncio.Future[bytes]:
        reply = loop.create_future()
        items.append((REQUEST, reply))
        if waiter and not waiter[0].done():
            waiter[0].set_result(None)
        return reply

    async def request() -> bytes:
        return mix(await asyncio.gather(*[ask(*box) for box in boxes]), REQUEST)

    tasks = [loop.create_task(worker(*box)) for box in boxes]
    try:
        for _ in range(warmup):
            await request()
        await settle()
        samples: list[int] = []
        for _ in range(calls):
            start = clock()
            await request()
            samples.append(clock() - start)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return summarize(samples)


def bare_sequential(loop: LoopKind, workers: int, calls: int, warmup: int) -> float:
    """p50 in microseconds of the plain-asyncio floor of the sequential row."""
    return run_on(loop, lambda: _bare_sample(workers, calls, warmup)).p50 / 1e3


def rows_for(loop: LoopKind, workers: int, alara_ns: Summary, direct_ns: Summary) -> list[Row]:
    """The p50 and p99 rows of one pool size, in microseconds."""
    scenario = ("1. sequential latency" if workers <= 10
                else "4. scale: latency vs pool (1, 3, 10 workers: see 1.)")
    case = f"{workers} worker{'s' if workers > 1 else ''}, {REQUEST} B"
    return [
        Row(
            key=f"latency.{loop}.w{workers}.{name}",
            scenario=scenario,
            case=case,
            metric=name,
            unit="µs",
            value=getattr(alara_ns, name) / 1e3,
            baseline=getattr(direct_ns, name) / 1e3,
            baseline_name="direct",
            workers=workers,
            loop=loop,
            note=f"{alara_ns.n} calls",
        )
        for name in ("p50", "p99")
    ]
