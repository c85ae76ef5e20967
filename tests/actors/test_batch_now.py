"""``Actor.handle_batch_now``: the optional synchronous fast path in front of ``handle_batch``.

It must change nothing but the cost: what it declines reaches ``handle_batch`` untouched,
what it raises crashes the actor like any handler, and a stop still drains the mailbox.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from alara.actors import Actor, ActorDiedError, Envelope, ExitKind, spawn

BOUND = 5.0


class Doubler(Actor):
    """Answers an int at once (doubled); declines anything else to ``handle_batch``."""

    def __init__(self) -> None:
        self.now_batches: list[list[Any]] = []
        self.awaited_batches: list[list[Any]] = []
        self.stopped = False

    def handle_batch_now(self, batch: list[Envelope]) -> bool:
        messages = [message for message, _reply in batch]
        if not all(type(message) is int for message in messages):
            return False
        if any(message < 0 for message in messages):
            raise ValueError("negative")
        self.now_batches.append(messages)
        for message, reply in batch:
            if reply is not None and not reply.done():
                reply.set_result(2 * message)
        return True

    async def handle_batch(self, batch: list[Envelope]) -> None:
        self.awaited_batches.append([message for message, _reply in batch])
        await super().handle_batch(batch)

    async def handle_call(self, message: Any) -> Any:
        return f"slow {message}"

    async def on_stop(self) -> None:
        self.stopped = True


async def test_batches_served_now_never_reach_handle_batch() -> None:
    actor = Doubler()
    ref = spawn(actor)
    async with asyncio.timeout(BOUND):
        assert await ref.ask(21) == 42
        assert await asyncio.gather(*(ref.ask(i) for i in range(3))) == [0, 2, 4]
    assert actor.now_batches == [[21], [0, 1, 2]]
    assert actor.awaited_batches == []
    await ref.stop()


async def test_a_declined_batch_reaches_handle_batch_whole_and_in_order() -> None:
    actor = Doubler()
    ref = spawn(actor)
    async with asyncio.timeout(BOUND):
        replies = await asyncio.gather(*(ref.ask(message) for message in (1, "x", 3)))
    assert replies == ["slow 1", "slow x", "slow 3"]
    assert actor.awaited_batches == [[1, "x", 3]]
    assert actor.now_batches == []
    await ref.stop()


async def test_an_error_in_handle_batch_now_crashes_the_actor_and_fails_its_callers() -> None:
    ref = spawn(Doubler())
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError, match="ValueError: negative"):
            await ref.ask(-1)
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED
    assert isinstance(exit.error, ValueError)


async def test_a_stop_drains_the_queue_through_the_handlers_and_runs_on_stop() -> None:
    actor = Doubler()
    ref = spawn(actor)
    replies = [ref.ask(5), ref.ask("y")]
    stopping = ref.stop()
    async with asyncio.timeout(BOUND):
        # the batch that ends with the stop request goes to ``handle_batch``, as before
        assert await asyncio.gather(*replies) == ["slow 5", "slow y"]
        exit = await stopping
    assert exit.kind is ExitKind.NORMAL
    assert actor.awaited_batches == [[5, "y"]]  # the stop request itself reached no handler
    assert actor.now_batches == []
    assert actor.stopped
