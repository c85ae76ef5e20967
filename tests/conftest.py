"""Shared fixtures: a started network that is always closed, and log capture."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import pytest
import structlog

import alara


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
