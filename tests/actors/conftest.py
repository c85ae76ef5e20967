"""Fixtures for the actor framework tests: a strict event loop and a controllable clock."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from alara.actors import supervisor as supervisor_module


class FakeClock:
    """The supervisor's intensity clock, moved only by the test.

    Restart intensity is about time, but a test that sleeps to let time pass is slow and
    flaky; with this clock "five seconds later" is one assignment.
    """

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Replace the supervisor's clock for the test; it stands still unless advanced."""
    fake = FakeClock()
    monkeypatch.setattr(supervisor_module, "_now", fake)
    return fake


@pytest.fixture(autouse=True)
async def no_loop_errors() -> AsyncIterator[None]:
    """Fail any test after which the loop reported an error nobody handled.

    "Task exception was never retrieved" and "Future exception was never retrieved" only go
    to a log; this makes them test failures, so a crash that escapes its actor, or an error
    left on a future nobody awaits, cannot pass unnoticed.
    """
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        yield
        gc.collect()  # unretrieved errors are reported when their future is collected
    finally:
        loop.set_exception_handler(previous)
    assert not reported, [context.get("message") for context in reported]
