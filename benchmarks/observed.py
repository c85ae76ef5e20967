"""The observer hook's price on the request path: ``python -m benchmarks.observed``.

The sequential and 500-caller rows, with an ``AlaraCollector`` registered and scraped after
every wave, run in alternating waves in one process: counted as shipped, then with the
request path's clock and the observer's per-request methods stubbed out (all that differs;
what remains of the hook is a call to a no-op). Each wave's figure is the loop thread's CPU
time per request, which preemption by other processes does not inflate; the table gives the
medians and their ratio (goal: at most 1.03).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

import alara
from alara.entropy import _network, _observe  # the hook itself, stubbed for the comparison
from alara.prometheus import AlaraCollector

WAVES = 12
SEQUENTIAL = 4_000
CALLERS, CALLS = 500, 40


async def _cpu_per_request(wave: Callable[[], Awaitable[None]], requests: int) -> float:
    start = time.thread_time_ns()
    await wave()
    return (time.thread_time_ns() - start) / requests


async def _rows(waves: int) -> dict[str, dict[str, list[float]]]:
    counted = (_observe.Observer.served, _observe.Observer.failed, _network._clock)
    stubbed = (lambda *_: None, lambda *_: None, float)  # float(): 0.0, the cheapest clock
    figures: dict[str, dict[str, list[float]]] = {
        row: {"counted": [], "stubbed": []} for row in ("sequential", "500 callers")}
    async with alara.create_network(3) as net:
        registry = CollectorRegistry()
        registry.register(AlaraCollector(net))

        async def sequential() -> None:
            for _ in range(SEQUENTIAL):
                await net.random_bytes(32)

        async def caller() -> None:
            for _ in range(CALLS):
                await net.random_bytes(32)

        async def crowd() -> None:
            await asyncio.gather(*(caller() for _ in range(CALLERS)))

        for index in range(2 * waves + 2):  # the first pair warms up
            side = "counted" if index % 2 == 0 else "stubbed"
            methods: Any = counted if side == "counted" else stubbed
            _observe.Observer.served, _observe.Observer.failed, _network._clock = methods  # type: ignore[method-assign]
            for row, wave, requests in (("sequential", sequential, SEQUENTIAL),
                                        ("500 callers", crowd, CALLERS * CALLS)):
                figure = await _cpu_per_request(wave, requests)
                if index >= 2:
                    figures[row][side].append(figure)
            generate_latest(registry)
        _observe.Observer.served, _observe.Observer.failed, _network._clock = counted  # type: ignore[method-assign]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 0 whatever the figures are."""
    args = sys.argv[1:] if argv is None else argv
    waves = int(args[0]) if args else WAVES
    figures = asyncio.run(_rows(waves))
    print(f"observer cost, {waves} alternating waves, loop CPU per request (median)")
    print("| row | counted | stubbed | counted / stubbed |\n|---|---:|---:|---:|")
    for row, sides in figures.items():
        counted, stubbed = (statistics.median(sides[side]) for side in ("counted", "stubbed"))
        print(f"| {row} | {counted / 1e3:.2f} µs | {stubbed / 1e3:.2f} µs | "
              f"{counted / stubbed:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
