"""The floor of alara's architecture on one event loop: bare tasks, bare mailboxes, one gather.

alara's design fixes three things the issue asks for: one asyncio task per worker, a request
that reaches every worker through its mailbox, and ``asyncio.gather`` over the workers' reply
futures. This module builds exactly that and nothing else: each worker is a bare task woken
through a ``deque`` plus one waiter future, answers with ``os.urandom(32)`` (and, optionally, the
same health check alara runs), and the caller awaits one ``asyncio.gather`` per request. No
supervisor, no refs, no state checks, no deadline, no rounds. Whatever alara does on top of
this costs time; nothing alara could do *within* the design can go below it.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable

from alara import mix

__all__ = ["FloorPool"]

_urandom = os.urandom


class _FloorWorker:
    """A deque mailbox with a single waiter future, drained by one task."""

    __slots__ = ("_check", "_items", "_loop", "_waiter", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int,
                 check: Callable[[bytes], None] | None) -> None:
        self._loop = loop
        self._items: deque[asyncio.Future[bytes]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._check = check
        self.task = loop.create_task(self._run(size))

    def ask(self) -> asyncio.Future[bytes]:
        """Enqueue one request; wake the task if it sleeps."""
        reply: asyncio.Future[bytes] = self._loop.create_future()
        self._items.append(reply)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set_result(None)
        return reply

    async def _run(self, size: int) -> None:
        items, check, loop = self._items, self._check, self._loop
        while True:
            while not items:
                waiter = self._waiter = loop.create_future()
                await waiter
            while items:
                reply = items.popleft()
                data = _urandom(size)
                if check is not None:
                    check(data)
                reply.set_result(data)


class FloorPool:
    """``workers`` floor workers; ``request()`` is one fan-out and one gather (and a mix)."""

    def __init__(self, workers: int, size: int, *, mixed: bool,
                 health: Callable[[], Callable[[bytes], None]] | None) -> None:
        loop = asyncio.get_running_loop()
        self._workers = [_FloorWorker(loop, size, None if health is None else health())
                         for _ in range(workers)]
        self._size = size
        self._mixed = mixed

    async def request(self, n: int) -> bytes:
        """Every worker's contribution, mixed to ``n`` bytes (unmixed: the first one, as is)."""
        replies = await asyncio.gather(*[worker.ask() for worker in self._workers])
        if self._mixed:
            return mix(replies, n)
        return replies[0]

    async def close(self) -> None:
        """Cancel the worker tasks and wait for them to end."""
        tasks = [worker.task for worker in self._workers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
