"""Mailbox: one consumer, batches in order, no lost wake-up, and a bound that refuses.

Every actor message goes through it, so a lost wake-up would hang an actor and a reordering
would break OTP's per-sender ordering. Waits are bounded by ``asyncio.timeout``; a waiting
``take`` is known to be parked by ``consumer_waiting``, never by sleeping.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from alara.actors import DEFAULT_CAPACITY, ActorDiedError, AlaraError, MailboxFullError, spawn
from alara.actors._mailbox import MAX_CAPACITY, Mailbox
from tests.actors.behaviours import Blocker, Echo, Gate
from tests.helpers import BOUND, until


async def parked(mailbox: Mailbox, waiting: asyncio.Future[Any]) -> None:
    """Wait until ``waiting`` (a ``take`` task) is blocked on the empty mailbox."""
    await until(lambda: mailbox.consumer_waiting)
    assert not waiting.done()


async def test_take_returns_everything_waiting_in_order() -> None:
    mailbox = Mailbox(DEFAULT_CAPACITY, asyncio.get_running_loop())
    for item in range(5):
        assert mailbox.put(item)
    async with asyncio.timeout(BOUND):
        assert await mailbox.take() == [0, 1, 2, 3, 4]
    assert len(mailbox) == 0
    mailbox.put("alone")
    async with asyncio.timeout(BOUND):
        assert await mailbox.take() == ["alone"]


async def test_take_returns_a_list_the_mailbox_no_longer_holds() -> None:
    mailbox = Mailbox(DEFAULT_CAPACITY, asyncio.get_running_loop())
    mailbox.put(1)
    mailbox.put(2)
    async with asyncio.timeout(BOUND):
        batch = await mailbox.take()
    batch.append(3)  # the actor may do what it likes with its batch
    assert len(mailbox) == 0
    mailbox.put(4)
    assert batch == [1, 2, 3]
    assert mailbox.drain() == [4]


@pytest.mark.parametrize("force", [False, True])
async def test_a_put_wakes_a_waiting_consumer(force: bool) -> None:
    mailbox = Mailbox(DEFAULT_CAPACITY, asyncio.get_running_loop())
    consumer = asyncio.ensure_future(mailbox.take())
    await parked(mailbox, consumer)
    mailbox.put("first", force=force)
    mailbox.put("second", force=force)  # arrives before the consumer runs again
    async with asyncio.timeout(BOUND):
        assert await consumer == ["first", "second"]
    assert not mailbox.consumer_waiting
    assert len(mailbox) == 0


async def test_a_consumer_keeps_being_woken_across_many_waits() -> None:
    mailbox = Mailbox(DEFAULT_CAPACITY, asyncio.get_running_loop())
    received: list[int] = []

    async def consume() -> None:
        while len(received) < 50:
            received.extend(await mailbox.take())

    consumer = asyncio.ensure_future(consume())
    for item in range(50):
        await parked(mailbox, consumer)
        mailbox.put(item)
    async with asyncio.timeout(BOUND):
        await consumer
    assert received == list(range(50))


async def test_a_cancelled_take_leaves_the_mailbox_usable() -> None:
    mailbox = Mailbox(DEFAULT_CAPACITY, asyncio.get_running_loop())
    consumer = asyncio.ensure_future(mailbox.take())
    await parked(mailbox, consumer)
    consumer.cancel()
    async with asyncio.timeout(BOUND):
        with pytest.raises(asyncio.CancelledError):
            await consumer
    assert not mailbox.consumer_waiting
    mailbox.put("after")
    assert len(mailbox) == 1
    async with asyncio.timeout(BOUND):
        assert await mailbox.take() == ["after"]


async def test_a_take_cancelled_after_its_wake_up_loses_no_item() -> None:
    mailbox = Mailbox(DEFAULT_CAPACITY, asyncio.get_running_loop())
    consumer = asyncio.ensure_future(mailbox.take())
    await parked(mailbox, consumer)
    mailbox.put("kept")  # wakes the consumer...
    consumer.cancel()  # ...which is cancelled before it runs: the item must stay
    async with asyncio.timeout(BOUND):
        with pytest.raises(asyncio.CancelledError):
            await consumer
    assert not mailbox.consumer_waiting
    assert mailbox.drain() == ["kept"]


# -- the bound -----------------------------------------------------------------------------


async def test_put_refuses_beyond_the_capacity_unless_forced() -> None:
    mailbox = Mailbox(2, asyncio.get_running_loop())
    assert mailbox.put(1)
    assert mailbox.put(2)
    assert not mailbox.put(3)
    assert mailbox.put("stop", force=True)  # control entries always get in
    assert mailbox.drain() == [1, 2, "stop"]
    mailbox.drain()  # taken by the consumer: room again
    assert mailbox.put(4)


async def test_the_default_capacity_is_generous_and_documented() -> None:
    assert DEFAULT_CAPACITY == 100_000
    ref = spawn(Echo())
    assert ref.mailbox_capacity == DEFAULT_CAPACITY
    async with asyncio.timeout(BOUND):
        await ref.stop()


async def test_a_full_mailbox_fails_the_sender_fast_and_the_actor_stays_healthy() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate), mailbox_capacity=3)
    assert ref.mailbox_capacity == 3
    async with asyncio.timeout(BOUND):
        blocked = ref.ask("block")
        await gate.entered.wait()  # the batch in hand does not count against the bound
        queued = [ref.ask(i) for i in range(3)]
        assert ref.queued == 3
        with pytest.raises(MailboxFullError, match=r"'Blocker' is full \(3 messages waiting\)"):
            ref.ask("one too many")
        with pytest.raises(MailboxFullError) as refused:
            ref.cast("one too many")
        assert isinstance(refused.value, AlaraError)
        assert (refused.value.actor, refused.value.capacity) == ("Blocker", 3)
        with pytest.raises(MailboxFullError):
            await ref.call("one too many")
        assert ref.is_alive()
        gate.release.set()
        assert await asyncio.gather(blocked, *queued) == ["block", 0, 1, 2]
        assert await ref.call("room again") == "room again"
        stopped = await ref.stop()  # stopping a full mailbox still works
    assert stopped.kind.value == "normal"


async def test_stop_gets_into_a_full_mailbox() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate), mailbox_capacity=1)
    async with asyncio.timeout(BOUND):
        blocked = ref.ask("block")
        await gate.entered.wait()
        queued = ref.ask("queued")
        stopping = ref.stop()
        gate.release.set()
        assert await blocked == "block"
        assert await queued == "queued"
        assert (await stopping).kind.value == "normal"
    with pytest.raises(ActorDiedError):
        ref.cast("late")


@pytest.mark.parametrize(
    ("capacity", "error"),
    [(0, ValueError), (-1, ValueError), (MAX_CAPACITY + 1, ValueError), (True, TypeError),
     (1.5, TypeError), ("10", TypeError)],
)
async def test_spawn_rejects_bad_capacities(capacity: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="mailbox_capacity"):
        spawn(Echo(), mailbox_capacity=capacity)


async def test_the_ref_holds_its_mailbox_and_shows_none_of_it() -> None:
    # The mailbox's operations are not the ref's: a caller only casts, asks, calls; and a
    # ref with an empty mailbox is still true.
    ref = spawn(Echo())
    public = {name for name in dir(ref) if not name.startswith("_")}
    assert not public & {"offer", "append", "take", "drain", "capacity", "consumer_waiting"}
    assert ref.queued == 0
    assert ref
    async with asyncio.timeout(BOUND):
        assert await ref.call("up") == "up"
        await ref.stop()
