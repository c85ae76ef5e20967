"""Where entropy comes from: a one-method protocol, and the OS CSPRNG as the default.

A source is anything with ``read(n)`` returning exactly ``n`` bytes, synchronously or as an
awaitable. Keeping it this small lets tests plug in hostile sources and lets applications
add hardware generators without touching the workers.

**Where a read runs.** The event loop is shared by every worker, so a synchronous ``read``
that blocks would stall all of them. A worker therefore calls a synchronous ``read`` in a
worker thread of its own, unless the source declares, with a ``max_inline_read`` attribute,
the largest read it serves without blocking (``OsSource``: ``INLINE_READ_LIMIT``); reads up to
that size run on the loop, which keeps the hot path free of thread hops. A coroutine
function ``read`` (``async def``) is called on the loop: it must not block.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from typing import Protocol, runtime_checkable

__all__ = [
    "INLINE_READ_LIMIT",
    "LARGE_READ_CHUNK",
    "EntropySource",
    "OsSource",
    "check_source",
    "has_read",
    "inline_read_limit",
]

INLINE_READ_LIMIT = 1 << 16
"""Largest ``OsSource`` read done on the event loop (64 KiB: about 0.3 ms of ``getrandom``)."""
LARGE_READ_CHUNK = 1 << 20
"""``OsSource`` reads above this are made of 1 MiB ``os.urandom`` calls, joined."""


@runtime_checkable
class EntropySource(Protocol):
    """Anything that can produce ``n`` bytes of entropy on request."""

    def read(self, n: int) -> bytes | Awaitable[bytes]:
        """Return exactly ``n`` bytes (or an awaitable of them)."""
        ...


class OsSource:
    """The operating system's CSPRNG (``os.urandom``, i.e. ``getrandom(2)`` on Linux).

    Stateless, so every worker can share one instance and a restart loses nothing.
    ``getrandom(2)`` never blocks once the kernel pool is initialised, so reads up to
    ``max_inline_read`` bytes stay on the event loop; larger ones run in the worker's thread.
    Its claim for the health tests is 4 bits per byte: the output of the kernel's ChaCha20
    generator is full entropy to any test, and half of that leaves the false-positive rate
    far below ``alpha`` (``docs/health-tests.md``).
    """

    __slots__ = ()

    kind = "os"
    min_entropy = 4.0
    max_inline_read = INLINE_READ_LIMIT

    def read(self, n: int) -> bytes:
        """``n`` bytes from the kernel CSPRNG.

        Above ``LARGE_READ_CHUNK`` the read is split into chunks: ``os.urandom`` releases the
        GIL during the system call and ``bytes.join`` while it copies, so a large read in a
        worker thread leaves the event loop thread free.
        """
        if n <= LARGE_READ_CHUNK:
            return os.urandom(n)
        sizes = [LARGE_READ_CHUNK] * (n // LARGE_READ_CHUNK)
        if n % LARGE_READ_CHUNK:
            sizes.append(n % LARGE_READ_CHUNK)
        return b"".join([os.urandom(size) for size in sizes])

    def __repr__(self) -> str:
        return "OsSource()"


def has_read(source: object) -> bool:
    """Whether ``source`` can serve as an ``EntropySource`` (it has a callable ``read``)."""
    return callable(getattr(source, "read", None))


def inline_read_limit(source: object) -> int:
    """The largest read of ``source`` that may run on the event loop thread.

    What the source declares in ``max_inline_read`` (an int >= 0); 0 if it declares nothing,
    so every synchronous read of an unknown source runs in a worker thread.

    Raises:
        TypeError: ``max_inline_read`` is not an int (``bool`` included).
        ValueError: ``max_inline_read`` is negative.
    """
    declared = getattr(source, "max_inline_read", 0)
    if type(declared) is not int:
        raise TypeError(
            f"max_inline_read must be an int >= 0, got {type(declared).__name__}"
        )
    if declared < 0:
        raise ValueError(f"max_inline_read must be >= 0, got {declared}")
    return declared


def check_source(name: str, source: object) -> EntropySource:
    """``source`` if ``has_read(source)``; a ``TypeError`` naming ``name`` otherwise."""
    if not has_read(source):
        raise TypeError(f"{name} must have a read(n) method, got {type(source).__name__}")
    return source  # type: ignore[return-value]
