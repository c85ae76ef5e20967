"""A started network whose close is bounded, for tests whose workers hang, crash or give up.

``async with alara.create_network(...)`` closes without a time limit: a graceful stop stuck
behind a hung worker would stall the suite instead of failing the test. ``bounded_network``
starts the network the same way and closes it within ``CLOSE_WITHIN`` seconds, whatever the
test did, so such a hang fails with a ``TimeoutError`` in that test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import alara
from alara import Network

__all__ = ["CLOSE_WITHIN", "bounded_network"]

CLOSE_WITHIN = 5.0
"""Seconds a network may take to close; far above a healthy close, so only a hang reaches it."""


@asynccontextmanager
async def bounded_network(workers: int | None = None, **options: Any) -> AsyncIterator[Network]:
    """``alara.create_network(workers, **options)``, started, and closed within ``CLOSE_WITHIN``."""
    net = await alara.create_network(workers, **options)
    try:
        yield net
    finally:
        async with asyncio.timeout(CLOSE_WITHIN):
            await net.close()
