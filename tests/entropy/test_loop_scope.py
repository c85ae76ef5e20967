"""The README's pytest-asyncio recipe: a session-scoped network shared by session-loop tests.

If the fixture's loop and the tests' loop differed, every request would raise
``WrongLoopError``; these tests pass only because both use the session loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

import alara


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_network() -> AsyncIterator[alara.Network]:
    async with alara.create_network(3) as net:
        yield net


@pytest.mark.asyncio(loop_scope="session")
async def test_uses_the_shared_pool(shared_network: alara.Network) -> None:
    assert len(await shared_network.random_bytes(32)) == 32


@pytest.mark.asyncio(loop_scope="session")
async def test_runs_on_the_loop_the_pool_was_started_on(shared_network: alara.Network) -> None:
    assert len(await shared_network.random_bytes(8)) == 8  # WrongLoopError on any other loop
    assert shared_network.status().serving
