"""Where entropy comes from: a one-method protocol, and the OS CSPRNG as the default.

A source is anything with ``read(n)`` returning exactly ``n`` bytes, synchronously or as an
awaitable. Keeping it this small lets tests plug in hostile sources and lets applications
add hardware generators without touching the workers.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from typing import Protocol, runtime_checkable

__all__ = ["EntropySource", "OsSource", "check_source", "has_read"]


@runtime_checkable
class EntropySource(Protocol):
    """Anything that can produce ``n`` bytes of entropy on request."""

    def read(self, n: int) -> bytes | Awaitable[bytes]:
        """Return exactly ``n`` bytes (or an awaitable of them)."""
        ...


class OsSource:
    """The operating system's CSPRNG (``os.urandom``, i.e. ``getrandom(2)`` on Linux).

    Stateless, so every worker can share one instance and a restart loses nothing.
    """

    __slots__ = ()

    def read(self, n: int) -> bytes:
        """``n`` bytes from the kernel CSPRNG."""
        return os.urandom(n)

    def __repr__(self) -> str:
        return "OsSource()"


def has_read(source: object) -> bool:
    """Whether ``source`` can serve as an ``EntropySource`` (it has a callable ``read``)."""
    return callable(getattr(source, "read", None))


def check_source(name: str, source: object) -> EntropySource:
    """``source`` if ``has_read(source)``; a ``TypeError`` naming ``name`` otherwise."""
    if not has_read(source):
        raise TypeError(f"{name} must have a read(n) method, got {type(source).__name__}")
    return source  # type: ignore[return-value]
