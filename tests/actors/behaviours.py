"""Small actor behaviours the framework tests drive.

Each one makes a single aspect of an actor observable without timing: handlers that block on an
event the test controls, record what they saw, or raise on request. Tests then wait on those
events (always under ``asyncio.timeout``) instead of sleeping.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alara.actors import Actor, Envelope

__all__ = ["Blocker", "Crasher", "Echo", "Gate", "Recorder", "StopRecorder"]


class Echo(Actor):
    """Replies with the message; remembers casts so tests can see them handled in order."""

    def __init__(self) -> None:
        self.casts: list[Any] = []
        self.cast_seen = asyncio.Event()
        self.stopped = False

    async def handle_call(self, message: Any) -> Any:
        return message

    async def handle_cast(self, message: Any) -> None:
        self.casts.append(message)
        self.cast_seen.set()

    async def on_stop(self) -> None:
        self.stopped = True


class Gate:
    """A handler's rendezvous with the test: ``entered`` is set when the handler is inside,
    and the handler stays there until the test sets ``release``."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def pass_through(self) -> None:
        self.entered.set()
        await self.release.wait()


class Crasher(Actor):
    """``"crash"`` raises (after the gate, if one is given); anything else is echoed.

    Messages it handled are recorded so a test can prove what ran and what did not.
    """

    def __init__(self, gate: Gate | None = None, error: Exception | None = None) -> None:
        self.gate = gate
        self.error = error if error is not None else ValueError("boom")
        self.handled: list[Any] = []

    async def handle_call(self, message: Any) -> Any:
        self.handled.append(message)
        if message == "crash":
            if self.gate is not None:
                await self.gate.pass_through()
            raise self.error
        return message

    async def handle_cast(self, message: Any) -> None:
        await self.handle_call(message)


class Blocker(Actor):
    """``"block"`` waits at the gate (forever unless released); anything else is echoed."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.handled: list[Any] = []

    async def handle_call(self, message: Any) -> Any:
        self.handled.append(message)
        if message == "block":
            await self.gate.pass_through()
        return message


class Recorder(Blocker):
    """A ``Blocker`` that also keeps every envelope it was given, futures included.

    That is how a test reaches the reply future of a ``call()`` to check it was cancelled.
    """

    def __init__(self, gate: Gate) -> None:
        super().__init__(gate)
        self.envelopes: list[Envelope] = []

    async def handle_batch(self, batch: list[Envelope]) -> None:
        self.envelopes.extend(batch)
        await super().handle_batch(batch)


class StopRecorder(Echo):
    """Appends its label to a shared list when stopped, so tests can see shutdown order."""

    def __init__(self, label: str, order: list[str]) -> None:
        super().__init__()
        self.label = label
        self.order = order

    async def on_stop(self) -> None:
        await super().on_stop()
        self.order.append(self.label)
