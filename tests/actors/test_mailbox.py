"""Mailbox: the single-consumer fast path must keep ``asyncio.Queue``'s contract.

Every actor message goes through it, so a lost wake-up would hang an actor and a reordering
would break OTP's per-sender ordering. Waits are bounded by ``asyncio.timeout``; a waiting
``get`` is known to be parked when ``_waiter`` is set, never by sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from alara.actors.mailbox import Mailbox

BOUND = 2.0


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until ``condition()`` holds, at most ``BOUND`` seconds."""
    async with asyncio.timeout(BOUND):
        while not condition():  # noqa: ASYNC110 -- no event exists for it; bounded above
            await asyncio.sleep(0)


async def parked(mailbox: Mailbox, waiting: asyncio.Future[Any]) -> None:
    """Wait until ``waiting`` (a get or get_all task) is blocked on the empty mailbox."""
    await until(lambda: mailbox._waiter is not None)
    assert not waiting.done()


async def test_it_is_an_asyncio_queue() -> None:
    mailbox = Mailbox()
    assert isinstance(mailbox, asyncio.Queue)
    assert mailbox.maxsize == 0
    assert not mailbox.full()


async def test_get_is_fifo() -> None:
    mailbox = Mailbox()
    for item in range(100):
        mailbox.put_nowait(item)
    async with asyncio.timeout(BOUND):
        assert [await mailbox.get() for _ in range(100)] == list(range(100))
    assert mailbox.empty()


async def test_put_then_get_nowait_is_fifo_and_interleaves_with_get() -> None:
    mailbox = Mailbox()
    mailbox.put_nowait("a")
    mailbox.put_nowait("b")
    assert mailbox.get_nowait() == "a"
    mailbox.put_nowait("c")
    async with asyncio.timeout(BOUND):
        assert await mailbox.get() == "b"
    assert mailbox.get_nowait() == "c"


async def test_the_inherited_async_put_goes_through_the_fast_path() -> None:
    mailbox = Mailbox()
    getter = asyncio.ensure_future(mailbox.get())
    await parked(mailbox, getter)
    async with asyncio.timeout(BOUND):
        await mailbox.put("via put")
        assert await getter == "via put"


async def test_get_all_returns_everything_waiting_in_order() -> None:
    mailbox = Mailbox()
    for item in range(5):
        mailbox.put_nowait(item)
    async with asyncio.timeout(BOUND):
        assert await mailbox.get_all() == [0, 1, 2, 3, 4]
    assert mailbox.empty()
    mailbox.put_nowait("alone")
    async with asyncio.timeout(BOUND):
        assert await mailbox.get_all() == ["alone"]
    mailbox.put_nowait(5)
    mailbox.put_nowait(6)
    assert mailbox.get_nowait() == 5
    async with asyncio.timeout(BOUND):
        assert await mailbox.get_all() == [6]


async def test_get_all_returns_a_new_list_the_mailbox_does_not_keep() -> None:
    mailbox = Mailbox()
    mailbox.put_nowait(1)
    mailbox.put_nowait(2)
    async with asyncio.timeout(BOUND):
        batch = await mailbox.get_all()
    batch.append(3)  # the actor may do what it likes with its batch
    assert mailbox.empty()
    mailbox.put_nowait(4)
    assert batch == [1, 2, 3]
    assert mailbox.get_nowait() == 4


@pytest.mark.parametrize("method", ["get", "get_all"])
async def test_put_nowait_wakes_a_waiting_consumer(method: str) -> None:
    mailbox = Mailbox()
    consumer = asyncio.ensure_future(getattr(mailbox, method)())
    await parked(mailbox, consumer)
    mailbox.put_nowait("first")
    mailbox.put_nowait("second")  # arrives before the consumer runs again
    async with asyncio.timeout(BOUND):
        got = await consumer
    if method == "get":
        assert got == "first"
        assert mailbox.get_nowait() == "second"
    else:
        assert got == ["first", "second"]
    assert mailbox._waiter is None
    assert mailbox.empty()


async def test_a_consumer_keeps_being_woken_across_many_waits() -> None:
    mailbox = Mailbox()
    received: list[int] = []

    async def consume() -> None:
        while len(received) < 50:
            received.extend(await mailbox.get_all())

    consumer = asyncio.ensure_future(consume())
    for item in range(50):
        await parked(mailbox, consumer)
        mailbox.put_nowait(item)
    async with asyncio.timeout(BOUND):
        await consumer
    assert received == list(range(50))


async def test_get_nowait_on_an_empty_mailbox_raises_queue_empty() -> None:
    mailbox = Mailbox()
    with pytest.raises(asyncio.QueueEmpty):
        mailbox.get_nowait()
    mailbox.put_nowait(1)
    mailbox.get_nowait()
    with pytest.raises(asyncio.QueueEmpty):
        mailbox.get_nowait()


async def test_qsize_and_empty_follow_every_operation() -> None:
    mailbox = Mailbox()
    assert (mailbox.qsize(), mailbox.empty()) == (0, True)
    for count in range(1, 4):
        mailbox.put_nowait(count)
        assert (mailbox.qsize(), mailbox.empty()) == (count, False)
    mailbox.get_nowait()
    assert (mailbox.qsize(), mailbox.empty()) == (2, False)
    async with asyncio.timeout(BOUND):
        await mailbox.get()
    assert (mailbox.qsize(), mailbox.empty()) == (1, False)
    async with asyncio.timeout(BOUND):
        await mailbox.get_all()
    assert (mailbox.qsize(), mailbox.empty()) == (0, True)


@pytest.mark.parametrize("method", ["get", "get_all"])
async def test_a_cancelled_wait_leaves_the_mailbox_usable(method: str) -> None:
    mailbox = Mailbox()
    consumer = asyncio.ensure_future(getattr(mailbox, method)())
    await parked(mailbox, consumer)
    consumer.cancel()
    async with asyncio.timeout(BOUND):
        with pytest.raises(asyncio.CancelledError):
            await consumer
    assert mailbox._waiter is None
    mailbox.put_nowait("after")
    assert (mailbox.qsize(), mailbox.empty()) == (1, False)
    replacement = asyncio.ensure_future(getattr(mailbox, method)())
    async with asyncio.timeout(BOUND):
        got = await replacement
    assert got == ("after" if method == "get" else ["after"])


@pytest.mark.parametrize("method", ["get", "get_all"])
async def test_a_wait_cancelled_after_its_wake_up_loses_no_item(method: str) -> None:
    mailbox = Mailbox()
    consumer = asyncio.ensure_future(getattr(mailbox, method)())
    await parked(mailbox, consumer)
    mailbox.put_nowait("kept")  # wakes the consumer...
    consumer.cancel()  # ...which is cancelled before it runs: the item must stay
    async with asyncio.timeout(BOUND):
        with pytest.raises(asyncio.CancelledError):
            await consumer
    assert mailbox._waiter is None
    assert mailbox.get_nowait() == "kept"
    assert mailbox.empty()
