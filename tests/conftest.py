"""Shared fixtures: a started network that is always closed, log capture, a strict loop."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import pytest
import structlog

import alara

# A network made without ``sources`` uses every kind of source the machine offers (os, hwrng,
# cpu). The hardware RNG device is slow and shared by every test process on the machine, and
# the suite is about collection, supervision and mixing, so it runs on OS sources unless a test
# asks for discovery (``tests/entropy/test_sources_pool.py`` lifts this).
os.environ.setdefault("ALARA_SOURCES", "os")


@pytest.fixture
async def network() -> AsyncIterator[alara.Network]:
    """A started 3-worker network, closed after the test."""
    async with alara.create_network(3) as net:
        yield net


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every structlog event emitted during the test, as dicts."""
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture
async def no_loop_errors() -> AsyncIterator[None]:
    """Fail the test after which the loop reported an error nobody handled.

    "Task exception was never retrieved" and "Future exception was never retrieved" only go
    to a log; this makes them test failures, so a crash that escapes its actor, or an error
    left on a future nobody awaits (a ``ContributionTimeout`` nobody retrieved), cannot pass
    unnoticed. Opt in with ``pytestmark = pytest.mark.usefixtures("no_loop_errors")`` or by
    requesting it from an autouse fixture, as ``tests/actors/conftest.py`` does.
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


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The cyclic garbage collector off: what is freed now was freed by reference counting."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
