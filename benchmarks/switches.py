"""Switches for the ablation: each undoes one hot-path change of issue 3, by monkeypatching.

Each switch is a context manager that swaps one or two attributes and puts the originals back
on exit, whatever happens, so the ablation can measure "everything but this one change" in one
process and leave alara exactly as it found it. What each replacement does instead is what the
code did before the optimisation (commit ``5d2e16e``), with everything else left as it is now:

* ``no_rounds``: every caller runs its own gather (``Collector.collect`` without the
  leader/follower hand-over), as before rounds existed; the one deadline timer stays.
* ``timeout_per_request``: ``asyncio.timeout`` around every round's gather instead of
  ``DeadlineWatch``; rounds stay.
* ``queue_mailbox``: a plain ``asyncio.Queue`` as mailbox, its batch taken with ``get`` then
  ``get_nowait`` until empty.
* ``no_worker_fast_path``: a one-request batch goes through ``handle_batch``'s generic path.
* ``log_always_formatted``: structlog builds every event, whether or not anything listens.

``no_rounds`` (which replaces ``collect``) and ``timeout_per_request`` (which replaces
``_ask``, the gather every caller ends in) compose: held together, every caller gathers alone
under its own ``asyncio.timeout``, as in ``5d2e16e``. The replacements stand in for one
method each, so they must follow alara: ``tests/test_ablation.py`` checks each
switch against a live network (the old path runs, the new one does not, callers are served).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import alara.actors.actor as actor_module
from alara.actors.actor import ActorRef, Envelope
from alara.actors.log import EventLogger
from alara.entropy.collect import Collector, _gather
from alara.entropy.worker import EntropyWorker

__all__ = [
    "SWITCHES",
    "QueueMailbox",
    "Switch",
    "log_always_formatted",
    "no_rounds",
    "no_worker_fast_path",
    "queue_mailbox",
    "timeout_per_request",
]

Switch = Callable[[], AbstractContextManager[None]]
"""A zero-argument factory of a context manager that holds one change off while entered."""


@contextmanager
def _swapped(owner: object, attribute: str, value: object) -> Iterator[None]:
    """``owner.attribute = value`` inside the block, the original back afterwards."""
    original = getattr(owner, attribute)
    setattr(owner, attribute, value)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


# -- (b) no rounds, (c) asyncio.timeout per request -----------------------------------------


async def _collect_without_rounds(self: Collector) -> list[bytes]:
    """``Collector.collect`` for a caller that never waits for a round: a round of its own."""
    return await self._round(1)


def _ask_with_timeouts(self: Collector, refs: list[ActorRef], size: int) -> Awaitable[list[object]]:
    """``Collector._ask`` with ``asyncio.timeout`` per gather instead of ``DeadlineWatch``."""
    return _gather([ref.ask(size) for ref in refs], self._policy.contribution_timeout)


@contextmanager
def no_rounds() -> Iterator[None]:
    """Callers arriving during a round no longer wait for the next one: one gather each."""
    with _swapped(Collector, "collect", _collect_without_rounds):
        yield


@contextmanager
def timeout_per_request() -> Iterator[None]:
    """An ``asyncio.timeout`` (a ``Timeout`` and a ``TimerHandle``) around every gather."""
    with _swapped(Collector, "_ask", _ask_with_timeouts):
        yield


# -- (d) plain asyncio.Queue mailbox ---------------------------------------------------------


class QueueMailbox(asyncio.Queue[Any]):
    """The mailbox before ``Mailbox``: a general ``asyncio.Queue`` behind ``Mailbox``'s methods,
    its batch taken with one ``get`` then ``get_nowait`` until empty, as ``_run`` did."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def __len__(self) -> int:
        return self.qsize()

    def offer(self, item: Any) -> bool:
        """``put_nowait`` unless ``capacity`` items wait already."""
        if self.qsize() >= self.capacity:
            return False
        self.put_nowait(item)
        return True

    def append(self, item: Any) -> None:
        """``put_nowait`` whatever the bound."""
        self.put_nowait(item)

    async def take(self) -> list[Any]:
        """One ``get`` (waiting if empty), then ``get_nowait`` until the queue is empty."""
        batch = [await self.get()]
        return batch + self.drain()

    def drain(self) -> list[Any]:
        """``get_nowait`` until the queue is empty."""
        batch = []
        while not self.empty():
            batch.append(self.get_nowait())
        return batch


@contextmanager
def queue_mailbox() -> Iterator[None]:
    """Actors spawned inside the block get a ``QueueMailbox``."""
    with _swapped(actor_module, "Mailbox", QueueMailbox):
        yield


# -- (e) no worker fast path -----------------------------------------------------------------

_fast_batch = EntropyWorker.handle_batch
_SKIPPED: Envelope = (0, None)
"""A cast-shaped envelope: ``handle_batch``'s generic path skips it without a reply."""


async def _generic_batch(self: EntropyWorker, batch: list[Envelope]) -> None:
    """``handle_batch`` with its one-request fast path bypassed.

    A batch of one gets a skipped envelope appended, so it is no longer of length one and goes
    through the generic path (``read`` -> ``_check`` coroutines), which then serves the one
    real request alone, exactly as before the fast path existed.
    """
    if len(batch) == 1:
        batch = [batch[0], _SKIPPED]
    await _fast_batch(self, batch)


@contextmanager
def no_worker_fast_path() -> Iterator[None]:
    """Every batch, even of one request, through the generic path."""
    with _swapped(EntropyWorker, "handle_batch", _generic_batch):
        yield


# -- (5) log events always formatted ---------------------------------------------------------


def _emit_always(self: EventLogger, level: int, method: str, event: str,
                 fields: dict[str, Any]) -> None:
    """``EventLogger._emit`` without the level check: structlog renders, then stdlib drops."""
    getattr(self._bound, method)(event, **fields)


@contextmanager
def log_always_formatted() -> Iterator[None]:
    """Every lifecycle event is rendered by structlog, as before the level filter."""
    with _swapped(EventLogger, "_emit", _emit_always):
        yield


SWITCHES: dict[str, Switch] = {
    "no_rounds": no_rounds,
    "timeout_per_request": timeout_per_request,
    "queue_mailbox": queue_mailbox,
    "no_worker_fast_path": no_worker_fast_path,
    "log_always_formatted": log_always_formatted,
}
"""Every switch by name, for the ablation and its test."""
