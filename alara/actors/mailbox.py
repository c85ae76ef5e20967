"""The actor mailbox: a bounded list of envelopes and the one waiter of its one consumer.

An actor's mailbox has exactly one consumer (its own task), which always takes everything
waiting at once (an actor handles its mailbox batch by batch). So it needs none of
``asyncio.Queue``'s machinery for many producers and consumers (getter and putter deques,
an ``Event`` for ``join``): a list it swaps for an empty one, and one future to wake the
consumer, are enough. That is about 3 KiB less per actor, which is most of what an idle
actor costs.

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
    """Bounded, single-consumer: anyone may put, only the owning actor's task may take."""

    __slots__ = ("_items", "_loop", "_waiter", "capacity")

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.capacity = capacity
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None
        # The consumer's loop, when known: ``asyncio.get_running_loop()`` costs a system call
        # (``getpid``, its fork check) at every wait of the consumer.
        self._loop = loop

    def __len__(self) -> int:
        return len(self._items)

    @property
    def consumer_waiting(self) -> bool:
        """Whether the consumer is suspended in ``take`` on the empty mailbox, not yet woken."""
        return self._waiter is not None

    def offer(self, item: Any) -> bool:
        """Append ``item`` unless the mailbox is full; ``False`` if it was refused."""
        items = self._items
        if len(items) >= self.capacity:
            return False
        items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def append(self, item: Any) -> bool:
        """Append ``item`` whatever the bound: for the few control entries (a stop request).

        Returns whether the consumer was waiting on the empty mailbox: if so, ``item`` is the
        first thing it will see when it runs next.
        """
        self._items.append(item)
        waiter = self._waiter
        if waiter is None:
            return False
        self._waiter = None
        if not waiter.done():
            waiter.set_result(None)
        return True

    async def take(self) -> list[Any]:
        """Everything waiting, in order, waiting for at least one item: the actor's next batch.

        The returned list is the caller's to keep or clear; the mailbox starts a new one.
        """
        while not self._items:
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        batch, self._items = self._items, []
        return batch

    def drain(self) -> list[Any] | tuple[()]:
        """Everything waiting, without waiting: what is left to fail when the actor ends."""
        items = self._items
        if not items:
            return ()
        self._items = []
        return items
