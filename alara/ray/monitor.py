"""The cluster monitor (ALARA's ``alara_cluster_monitor``): follows Ray's node membership.

Ray keeps membership and failure detection in its control store (GCS); it has no public push
API, so the monitor reads the node table every ``poll_interval`` seconds, in a worker thread
(``ray.nodes()`` is a blocking RPC), and hands it to its cluster to reconcile. A worker that
sees its node fail casts ``"poll"`` to look again at once. It is a supervised actor: a crash
(Ray unreachable for a moment) restarts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import ray

from alara import Actor
from alara.actors import Envelope

__all__ = ["POLL", "ClusterMonitor"]

POLL = "poll"
"""The one message the monitor understands: read the node table now."""


class ClusterMonitor(Actor):
    """Reads Ray's node table now and then, and whenever asked to, and reconciles it."""

    def __init__(
        self, reconcile: Callable[[list[dict[str, Any]]], Awaitable[None]], interval: float
    ) -> None:
        self._reconcile = reconcile
        self._interval = interval
        self._timer: asyncio.TimerHandle | None = None

    async def on_start(self) -> None:
        """Look at once: membership may have changed while the monitor was down."""
        await self._poll()

    async def handle_batch(self, batch: list[Envelope]) -> None:
        """Any number of waiting ``"poll"`` requests is served by one look."""
        for message, reply in batch:
            if message != POLL:
                error = ValueError(f"cluster monitor: unknown message {message!r}")
                if reply is not None and not reply.done():
                    reply.set_exception(error)
        if any(message == POLL for message, _ in batch):
            await self._poll()
        for message, reply in batch:
            if message == POLL and reply is not None and not reply.done():
                reply.set_result(None)

    def on_exit(self, exit: Any) -> None:
        """Stop the timer: a dead monitor must not keep casting to itself."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _poll(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        table: list[dict[str, Any]] = await anyio.to_thread.run_sync(ray.nodes)
        await self._reconcile(table)
        ref = self.ref
        if ref is not None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, ref.cast, POLL)
