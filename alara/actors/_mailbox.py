"""The actor mailbox: a bounded list of envelopes and the one waiter of its one consumer.

An actor's mailbox has exactly one consumer (its own task), which always takes everything
waiting at once (an actor handles its mailbox batch by batch). So it needs none of
``asyncio.Queue``'s machinery for many producers and consumers (getter and putter deques,
an ``Event`` for ``join``): a list it swaps for an empty one, and one future to wake the
consumer, are enough.

The bound is backpressure: a producer faster than its actor finds out at once (``put``
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

    __slots__ = ("_items", "_loop", "_waiter", "capacity")

    def __init__(self, capacity: int, loop: asyncio.AbstractEventLoop) -> None:
        self.capacity = capacity
        self._loop = loop  # the consumer's
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def consumer_waiting(self) -> bool:
        """Whether the consumer is parked in ``take`` on the empty mailbox."""
        return self._waiter is not None

    def put(self, item: Any, *, force: bool = False) -> bool:
        """Append ``item`` unless the mailbox is full; ``False`` if it was refused.

        ``force`` appends whatever the bound: for the few control entries (a stop request).
        """
        items = self._items
        if not force and len(items) >= self.capacity:
            return False
        items.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    def drain(self) -> list[Any]:
        """Everything waiting, in order, without waiting; the mailbox is left empty."""
        items, self._items = self._items, []
        return items

    async def take(self) -> list[Any]:
        """Everything waiting, in order, waiting for at least one item: the actor's next batch.

        The returned list is the caller's to keep or clear; the mailbox starts a new one.
        """
        while not self._items:
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        items, self._items = self._items, []
        return items
