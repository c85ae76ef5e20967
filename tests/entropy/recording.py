"""Sources that let a test see and steer every read, so assertions need no timing guesses.

``RecordingSource`` counts reads and keeps what it returned (to check fan-out and to look
for leaked bytes); ``GateSource`` parks a read on an ``asyncio.Event`` the test controls, so
a worker can be killed exactly while it is mid-request.

Workers may read their source on their own when they start (the start-up health test), so
tests that count reads first serve one request, which waits for every worker to have
started, then ``reset()`` the record (and ``arm()`` the gate): what is counted afterwards is
the request path alone, whatever the start-up policy.
"""

from __future__ import annotations

import asyncio
import os

from alara import Network


class RecordingSource:
    """Honest bytes from ``os.urandom``, with a log of every read size and every block given."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.blocks: list[bytes] = []

    def reset(self) -> None:
        """Forget the reads so far (start-up reads, warm-up requests)."""
        self.sizes.clear()
        self.blocks.clear()

    def read(self, n: int) -> bytes:
        data = os.urandom(n)
        self.sizes.append(n)
        self.blocks.append(data)
        return data


class GateSource(RecordingSource):
    """An async source whose reads wait at a gate once it is armed.

    The gate starts open, so workers start (and pass any start-up test) normally. After
    ``arm()``, every read waits until the test calls ``release()``; ``entered`` is set as
    soon as a read reaches the closed gate, so the test knows, without sleeping, that a
    request is in flight inside the worker. ``attempts`` counts reads since ``arm()``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.entered = asyncio.Event()
        self.attempts = 0

    def arm(self) -> None:
        """Close the gate and forget what was read so far."""
        self.reset()
        self.gate.clear()
        self.entered.clear()
        self.attempts = 0

    def release(self) -> None:
        """Open the gate: waiting and future reads pass."""
        self.gate.set()

    async def read(self, n: int) -> bytes:  # type: ignore[override]
        self.attempts += 1
        if not self.gate.is_set():
            self.entered.set()
            await self.gate.wait()
        return super().read(n)


async def warm_up(net: Network, *sources: RecordingSource) -> None:
    """Serve one request (every worker has started once it is answered), then reset."""
    async with asyncio.timeout(5):
        await net.random_bytes(1)
    for source in sources:
        if isinstance(source, GateSource):
            source.arm()
        else:
            source.reset()


class BadTypeSource:
    """Returns ``value`` whatever is asked: a str, None, an int... never bytes."""

    def __init__(self, value: object) -> None:
        self.value = value

    def read(self, n: int) -> object:
        return self.value


class ViewSource:
    """Returns a bytearray or memoryview of the right size: accepted and converted to bytes."""

    def __init__(self, kind: type[bytearray] | type[memoryview]) -> None:
        self.kind = kind

    def read(self, n: int) -> bytearray | memoryview:
        return self.kind(bytearray(os.urandom(n)))
