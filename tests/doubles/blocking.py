"""Hostile sources that attack through time, not content: they block, stall or swallow.

They live in the test suite, not in the package. Every blocking wait here is bounded or
released by the test (an ``threading.Event``), so no test leaves a thread behind forever.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

__all__ = [
    "ATTACKER_BYTES",
    "BlockingSource",
    "CancellationSwallower",
    "HostileStaller",
    "LoopStaller",
    "SteppingSource",
    "ThreadBlocker",
]

ATTACKER_BYTES = bytes(range(7, 39))
"""What the hostile staller returns when it answers: bytes the attacker knows (32 of them)."""


class HostileStaller:
    """A synchronous source that blocks ``stall`` seconds on its first ``stalls`` reads.

    It returns attacker-known bytes, repeated to length (health tests off, or it would be
    caught by content before time). ``stall`` just over the contribution timeout makes every
    stalled read a hang; a synchronous ``time.sleep`` is exactly what a blocking driver does.
    """

    def __init__(self, stall: float = 1.05, stalls: int = 3) -> None:
        self.stall = stall
        self.stalls = stalls
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        if self.reads <= self.stalls:
            time.sleep(self.stall)
        return (ATTACKER_BYTES * (n // len(ATTACKER_BYTES) + 1))[:n]


class BlockingSource:
    """An honest synchronous source whose every read blocks ``delay`` seconds (a slow device)."""

    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        time.sleep(self.delay)
        return os.urandom(n)


class ThreadBlocker:
    """A synchronous source that blocks until the test releases it (a wedged driver).

    ``entered`` is set from the reading thread when a read starts; ``release()`` ends every
    blocked read (the test calls it at teardown, so no thread outlives the test for long).
    """

    def __init__(self) -> None:
        self._gate = threading.Event()
        self.entered = threading.Event()
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        self.entered.set()
        self._gate.wait(timeout=60)
        return os.urandom(n)

    def release(self) -> None:
        self._gate.set()


class CancellationSwallower:
    """An async source whose read catches the first ``CancelledError`` and keeps waiting.

    A driver wrapper that does ``except BaseException: retry`` behaves like this: the worker
    it belongs to ignores the kill that should end it. It answers once ``release()`` is called.
    """

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.swallowed = 0
        self._gate = asyncio.Event()

    async def read(self, n: int) -> bytes:
        self.started.set()
        while True:
            try:
                await self._gate.wait()
                return os.urandom(n)
            except asyncio.CancelledError:
                self.swallowed += 1
                if self.swallowed > 1:
                    raise

    def release(self) -> None:
        self._gate.set()


class LoopStaller:
    """A source read on the loop (it declares ``max_inline_read``) that holds the loop for
    ``stall`` seconds at every read: the attacker of the hang judgement. Its bytes are
    honest, so only its timing attacks."""

    max_inline_read = 1 << 16

    def __init__(self, stall: float) -> None:
        self.stall = stall
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        time.sleep(self.stall)  # the attack: a synchronous read that holds the loop
        return os.urandom(n)


class SteppingSource:
    """An honest async source whose read needs loop steps after its I/O is done: a short
    sleep stands for the I/O, then ``style`` decides what follows, as HTTP clients do:
    ``"second await"`` (one more step), ``"three awaits"``, or ``"wait_for"`` (the I/O inside
    ``asyncio.wait_for``: on 3.11 a task of its own, which starts one step late)."""

    def __init__(self, style: str) -> None:
        self.style = style

    async def _io(self, n: int) -> bytes:
        await asyncio.sleep(0.001)
        return os.urandom(n)

    async def read(self, n: int) -> bytes:
        if self.style == "wait_for":
            return await asyncio.wait_for(self._io(n), 10)
        data = await self._io(n)
        for _ in range(3 if self.style == "three awaits" else 1):
            await asyncio.sleep(0)
        return data
