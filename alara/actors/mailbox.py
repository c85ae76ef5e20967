"""The actor mailbox: an ``asyncio.Queue`` with a fast path for its one consumer.

Every request to an actor goes through ``put_nowait`` and the actor's ``get``; in
``asyncio.Queue`` each of these is general code for many producers and many consumers
(getter and putter deques, unfinished-task counting for ``join``). An actor's mailbox is
unbounded and has exactly one consumer, the actor's own task, so it can keep a single waiter
and skip the rest. It stays an ``asyncio.Queue`` (``qsize``, ``empty``, ``get_nowait`` work as
usual); ``join``/``task_done`` are not used for mailboxes.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["Mailbox"]


class Mailbox(asyncio.Queue[Any]):
    """Unbounded, single-consumer queue: only the owning actor's task may ``get``."""

    def __init__(self) -> None:
        super().__init__()
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        """Append ``item`` and wake the consumer if it is waiting."""
        self._queue.append(item)  # type: ignore[attr-defined]
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> Any:
        """The next item, waiting for one if the mailbox is empty."""
        queue = self._queue  # type: ignore[attr-defined]
        if not queue:
            await self._arrival()
        return queue.popleft()

    async def get_all(self) -> list[Any]:
        """Everything waiting, in order, waiting for at least one item: an actor's next batch."""
        queue = self._queue  # type: ignore[attr-defined]
        if not queue:
            await self._arrival()
        if len(queue) == 1:
            return [queue.popleft()]
        batch = list(queue)
        queue.clear()
        return batch

    async def _arrival(self) -> None:
        """Wait until the mailbox holds at least one item."""
        queue = self._queue  # type: ignore[attr-defined]
        while not queue:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    def get_nowait(self) -> Any:
        """The next item; ``asyncio.QueueEmpty`` if there is none."""
        queue = self._queue  # type: ignore[attr-defined]
        if not queue:
            raise asyncio.QueueEmpty
        return queue.popleft()
