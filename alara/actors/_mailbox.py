"""The actor mailbox: a bounded list of envelopes and the one waiter of its one consumer.

An actor's mailbox has exactly one consumer (its own task), which always takes everything
waiting at once (an actor handles its mailbox batch by batch). So it needs none of
``asyncio.Queue``'s machinery for many producers and consumers (getter and putter deques,
an ``Event`` for ``join``): a list it swaps for an empty one, and one future to wake the
consumer, are enough.

The bound is backpressure: a producer faster than its actor finds out at once (``offer``
returns ``False``; the ref raises ``MailboxFullError``) instead of queueing without limit.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

__all__ = ["DEFAULT_CAPACITY", "MAX_CAPACITY", "Mailbox"]

DEFAULT_CAPACITY: Final = 100_000
"""Messages that may wait in one mailbox by default: far more than a healthy actor ever has
queued (a call waits for its reply, so callers are bounded by themselves), small enough that
a runaway producer is stopped at a few tens of MB rather than at the machine's memory."""

MAX_CAPACITY: Final = 1 << 30
"""Largest capacity accepted: about a billion envelopes is beyond any machine's memory."""


class Mailbox:
    """Bounded, single-consumer: anyone may put, only the owning actor's task may take.

    An ``ActorRef`` holds one; the ref decides what may be sent, the mailbox only keeps the
    order, the bound and the consumer's wake-up.
    """

    __slots__ = ("_items", "_waiter", "capacity")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def consumer_waiting(self) -> bool:
        """Whether the consumer is parked in ``take`` on the empty mailbox."""
        return self._waiter is not None

    def offer(self, item: Any) -> bool:
        """Append ``item`` unless the mailbox is full; ``False`` if it was refused."""
        if len(self._items) >= self.capacity:
            return False
        self.append(item)
        return True

    def append(self, item: Any) -> None:
        """Append ``item`` whatever the bound: for the few control entries (a stop request)."""
        self._items.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def drain(self) -> list[Any]:
        """Everything waiting, in order, without waiting; the mailbox is left empty."""
        items, self._items = self._items, []
        return items

    async def take(self) -> list[Any]:
        """Everything waiting, in order, waiting for at least one item: the actor's next batch.

        The returned list is the caller's to keep or clear; the mailbox starts a new one.
        """
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self.drain()
