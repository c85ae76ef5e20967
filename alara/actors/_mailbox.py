"""The actor mailbox: a bounded list of envelopes and the one waiter of its one consumer.

An actor's mailbox has exactly one consumer (its own task), which always takes everything
waiting at once (an actor handles its mailbox batch by batch). So it needs none of
``asyncio.Queue``'s machinery for many producers and consumers (getter and putter deques,
an ``Event`` for ``join``): a list it swaps for an empty one, and one future to wake the
consumer, are enough. That is about 3 KiB less per actor, which is most of what an idle
actor costs. Nor is it an object of its own: the ref is its mailbox (``ActorRef`` subclasses
``Mailbox``), one object fewer per spawn and per restart.

The bound is backpressure: a producer faster than its actor finds out at once (``_offer``
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

    ``ActorRef`` is a ``Mailbox``: an actor's ref and its mailbox are one object, so a
    spawn (and a restart) makes one object fewer, and a send reaches the envelope list
    without going through another. The operations are private to the package, so they do
    not show on a ref's public surface; a ``Mailbox`` made on its own (the tests) behaves
    the same.
    """

    __slots__ = ("_capacity", "_items", "_loop", "_waiter")

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        # ``ActorRef.__init__`` sets these four itself, without a call: keep them in step.
        self._capacity = capacity
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None
        # The consumer's loop, when known: ``asyncio.get_running_loop()`` costs a system call
        # (``getpid``, its fork check) at every wait of the consumer.
        self._loop: asyncio.AbstractEventLoop | None = loop

    def _offer(self, item: Any) -> bool:
        """Append ``item`` unless the mailbox is full; ``False`` if it was refused."""
        items = self._items
        if len(items) >= self._capacity:
            return False
        items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def _append(self, item: Any) -> bool:
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

    async def _take(self) -> list[Any]:
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
