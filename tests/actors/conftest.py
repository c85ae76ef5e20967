"""Fixtures for the actor framework tests: a strict event loop and a controllable clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from alara.actors import ActorRef


class FakeClock:
    """A restart-intensity clock moved only by the test: pass it as ``clock=`` to a supervisor.

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
def clock() -> FakeClock:
    """A clock that stands still unless the test advances it."""
    return FakeClock()


@pytest.fixture(autouse=True)
def no_loop_errors(no_loop_errors: None) -> None:
    """Every actor test runs under ``tests/conftest.py``'s ``no_loop_errors``.

    A crash that escapes its actor is only logged by the loop; here it fails the test.
    """


def task_of(ref: ActorRef) -> asyncio.Task[Any]:
    """The running task of ``ref``'s actor, found by the name ``spawn`` gives it."""
    name = f"alara:{ref.name}#{ref.id}"
    [task] = [task for task in asyncio.all_tasks() if task.get_name() == name]
    return task


@contextmanager
def recording_task_factory() -> Iterator[list[asyncio.Task[Any]]]:
    """Install a task factory on the running loop that records every task it makes; the
    list of them while it is installed, and the loop without a factory afterwards."""
    loop = asyncio.get_running_loop()
    made: list[asyncio.Task[Any]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **options)
        made.append(task)
        return task

    loop.set_task_factory(factory)
    try:
        yield made
    finally:
        loop.set_task_factory(None)
