"""Blocking reads in worker threads, at most ``MAX_THREADS_PER_SOURCE`` at once per source.

A thread cannot be cancelled: a worker killed while its source blocks in a thread leaves that
thread blocked, and its replacement reads in a new one. Without a bound, a source that blocks
for ever under ``quarantine_after=None`` would cost one OS thread per kill, for ever. So the
reads of one source (whichever worker, whichever restart) hold at most
``MAX_THREADS_PER_SOURCE`` threads. At the cap, a read waits on the loop, holding no thread,
until one of the source's reads returns; meanwhile it is as hung as the reads before it (judged
at its contribution deadline, killed, restarted), so the network behaves as it did below the
cap, without growing. A source whose blocked reads return (a device that recovers) is read
again in a thread at once: the waiting read is woken.

The cap is checked and taken inside the thread, under one lock, so it is exact: a read that
finds the source at the cap registers its waiter and gives its thread back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, Final

import anyio
import anyio.to_thread

__all__ = ["MAX_THREADS_PER_SOURCE", "read_in_thread"]

MAX_THREADS_PER_SOURCE: Final = 4
"""Most threads the reads of one source may hold at once (the blocked ones included)."""

_AT_CAP: Final[Any] = object()  # what the thread returns when it did not read


class _Account:
    """One source's reads in threads: how many are reading, and the reads waiting."""

    __slots__ = ("reading", "waiting")

    def __init__(self) -> None:
        self.reading = 0
        self.waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []


_lock = threading.Lock()
_accounts: dict[int, _Account] = {}
"""By ``id`` of the source: an entry exists only while a thread reading it (and so holding a
reference to it) is running, so an id is never reused while it is a key."""


async def read_in_thread(
    source: object, read: Callable[[int], Any], n: int, limiter: anyio.CapacityLimiter
) -> Any:
    """``read(n)`` in a worker thread under ``limiter``, counted against ``source``'s cap.

    Abandoned on cancellation (the thread runs on; its result is dropped).
    """
    loop = asyncio.get_running_loop()
    while True:
        waiter: asyncio.Future[None] = loop.create_future()
        data = await anyio.to_thread.run_sync(
            _counted, source, read, n, waiter, limiter=limiter, abandon_on_cancel=True
        )
        if data is not _AT_CAP:
            return data
        await waiter


def _counted(
    source: object, read: Callable[[int], Any], n: int, waiter: asyncio.Future[None]
) -> Any:
    """In the thread: ``read(n)`` if ``source`` is below its cap, else register ``waiter``."""
    key = id(source)
    with _lock:
        account = _accounts.get(key)
        if account is None:
            account = _accounts[key] = _Account()
        if account.reading >= MAX_THREADS_PER_SOURCE:
            account.waiting.append((waiter.get_loop(), waiter))
            return _AT_CAP
        account.reading += 1
    try:
        return read(n)
    finally:
        with _lock:
            account.reading -= 1
            waiting, account.waiting = account.waiting, []
            if not account.reading:
                del _accounts[key]
        for loop, woken in waiting:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_wake, woken)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
