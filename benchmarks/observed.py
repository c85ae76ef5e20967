"""The observer hook's price on the request rows (``python -m benchmarks --only observed``): with
an ``AlaraCollector`` registered and scraped after every wave, waves counted as shipped alternate
with waves whose observer methods (the round's timing, a failure's count) are stubbed; the bytes
count and the arrival each waiting caller carries stay on both sides (an addition and a tuple).
A wave's figure is the loop thread's CPU time per request, which preemption does not inflate;
a row gives the medians, the stubbed one as its baseline, and the median of the ratios of the
pairs of adjacent waves (one of each side; goal: at most 1.03)."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from alara.entropy import _observe  # the hook itself, stubbed for the comparison
from alara.prometheus import AlaraCollector
from benchmarks._harness import LoopKind, Row, run_on
from benchmarks.requests import os_pool

SEQUENTIAL = 2_000
CALLERS, CALLS = 500, 10


def _timed(self: _observe.Observer, arrivals: Sequence[float], ended: float) -> None:
    """``Observer.timed``, counting nothing."""


def _timed_alone(self: _observe.Observer, seconds: float) -> None:
    """``Observer.timed_alone``, counting nothing."""


def _failed(self: _observe.Observer, error: BaseException, seconds: float) -> None:
    """``Observer.failed``, counting nothing."""


_HOOK = ("timed", "timed_alone", "failed")
_COUNTED = tuple(getattr(_observe.Observer, name) for name in _HOOK)
_STUBBED = (_timed, _timed_alone, _failed)


def _use(hook: tuple[Any, ...]) -> None:
    for name, method in zip(_HOOK, hook, strict=True):
        setattr(_observe.Observer, name, method)


async def _cpu_per_request(wave: Callable[[], Awaitable[None]], requests: int) -> float:
    gc.collect()  # no wave pays for the garbage of the one before
    start = time.thread_time_ns()
    await wave()
    return (time.thread_time_ns() - start) / requests


async def _figures(waves: int) -> dict[str, dict[str, list[float]]]:
    figures: dict[str, dict[str, list[float]]] = {
        row: {"counted": [], "stubbed": []} for row in ("sequential", "concurrent")}
    async with os_pool() as net:
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

        try:
            for index in range(2 * waves + 2):  # the first pair warms up
                side = ("counted", "stubbed", "stubbed", "counted")[index % 4]  # no drift
                _use(_COUNTED if side == "counted" else _STUBBED)
                for row, wave, requests in (("sequential", sequential, SEQUENTIAL),
                                            ("concurrent", crowd, CALLERS * CALLS)):
                    figure = await _cpu_per_request(wave, requests)
                    if index >= 2:
                        figures[row][side].append(figure / 1e3)
                generate_latest(registry)
        finally:
            _use(_COUNTED)
    return figures


def observed_rows(waves: int, loop: LoopKind) -> list[Row]:
    """The two rows' loop CPU per request, counted against stubbed (the baseline)."""
    figures = run_on(loop, lambda: _figures(waves))
    labels = {"sequential": "observer cost: sequential 32 B request, loop CPU",
              "concurrent": f"observer cost: {CALLERS} callers, loop CPU per request"}
    return [Row(f"observed.{row}", labels[row], "µs", statistics.median(sides["counted"]),
                statistics.median(sides["stubbed"]), "hook stubbed",
                note=f"median of {waves} pairs of waves, collector registered",
                paired=statistics.median(counted / stubbed for counted, stubbed
                                         in zip(sides["counted"], sides["stubbed"],
                                                strict=True)))
            for row, sides in figures.items()]
