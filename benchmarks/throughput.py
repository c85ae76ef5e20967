"""Scenario 2: many concurrent callers on one loop, against the direct baseline.

pyperf and pytest-benchmark time one call at a time; hundreds of callers sharing one event
loop is exactly what they cannot do, so this loop is written by hand. Each caller is a task
that awaits its requests one after another; the figure is total requests over wall time,
from the moment the callers are released to the moment the last one finishes.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass

import alara
from benchmarks.baseline import direct_request
from benchmarks.latency import REQUEST
from benchmarks.measure import LoopKind, clock, run_on, settle
from benchmarks.results import Row

__all__ = ["Rates", "measure_throughput", "row_for"]


async def _alara_rate(net: alara.Network, callers: int, calls: int) -> float:
    random_bytes = net.random_bytes

    async def caller() -> None:
        for _ in range(calls):
            await random_bytes(REQUEST)

    start = clock()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return callers * calls / ((clock() - start) / 1e9)


def _direct_rate(workers: int, requests: int) -> float:
    start = clock()
    for _ in range(requests):
        direct_request(workers, REQUEST)
    return requests / ((clock() - start) / 1e9)


@dataclass(frozen=True, slots=True)
class Rates:
    """Requests per second over the rounds: medians (reported) and bests (in the note)."""

    alara: float
    direct: float
    alara_best: float
    direct_best: float
    rounds: int


async def _sample(workers: int, callers: int, calls: int, rounds: int) -> Rates:
    """Alternate direct and alara rounds; the direct one runs before *and* after each alara
    round, so drift in the machine's speed (a shared CI box) hits both sides alike."""
    async with alara.create_network(workers) as net:
        await _alara_rate(net, min(callers, 50), 2)
        await settle()
        alara_rates: list[float] = []
        direct_rates = [_direct_rate(workers, callers * calls)]
        for _ in range(rounds):
            alara_rates.append(await _alara_rate(net, callers, calls))
            direct_rates.append(_direct_rate(workers, callers * calls))
    return Rates(statistics.median(alara_rates), statistics.median(direct_rates),
                 max(alara_rates), max(direct_rates), rounds)


def measure_throughput(loop: LoopKind, workers: int, callers: int, calls: int,
                       rounds: int) -> Rates:
    """alara and direct requests per second over ``rounds`` alternating rounds."""
    return run_on(loop, lambda: _sample(workers, callers, calls, rounds))


def row_for(loop: LoopKind, workers: int, callers: int, calls: int, rates: Rates) -> Row:
    """The calls/s row of one configuration (median over rounds)."""
    return Row(
        key=f"throughput.{loop}.w{workers}",
        scenario="2. concurrent throughput" if workers == 3 else "4. scale: throughput vs pool",
        case=f"{workers} worker{'s' if workers > 1 else ''}, {callers} callers x {calls} calls",
        metric="calls/s",
        unit="calls/s",
        value=rates.alara,
        baseline=rates.direct,
        baseline_name="direct",
        higher_is_better=True,
        workers=workers,
        loop=loop,
        note=f"median of {rates.rounds}; best {rates.alara_best:,.0f}/s vs "
        f"{rates.direct_best:,.0f}/s" if rates.rounds > 1 else "1 round",
    )
