"""A drop-in for the standard ``secrets`` module, served by an alara network.

``import alara.secrets as secrets`` and existing sync code (views, scripts, thread pools)
keeps working: the same names, defaults (``DEFAULT_ENTROPY`` = 32 bytes) and exceptions,
``compare_digest`` re-exported, and ``SystemRandom`` (``alara.Random``) drawing from the
network. The bytes come from the process-wide network running on its own event-loop thread
(see ``alara.sync``), through its keyed generator: each thread serves from its own
fast-key-erasure stream whose every key is one full round of the network, so a call costs
about what ``secrets`` costs (``docs/security.md`` says what that promises; with
``ALARA_REKEY=per-call`` every call takes a round of its own). From inside a running event
loop every function raises ``SyncCallInLoopError``: await ``alara.token_bytes()`` and
friends there instead.

Differences from ``secrets``: ``bool`` sizes are refused, and sizes are capped by the
network's limits (``alara.MAX_BYTES``, ``alara.MAX_INT_BITS``).
"""

from __future__ import annotations

from asyncio import _get_running_loop as _running_loop
from collections.abc import Sequence
from hmac import compare_digest
from typing import TypeVar

from alara.entropy import DEFAULT_ENTROPY
from alara.sync import Random as SystemRandom
from alara.sync import drop_in, refuse_in_loop

__all__ = [
    "DEFAULT_ENTROPY",
    "SystemRandom",
    "choice",
    "compare_digest",
    "randbelow",
    "randbits",
    "token_bytes",
    "token_hex",
    "token_urlsafe",
]

_T = TypeVar("_T")


def token_bytes(nbytes: int | None = None) -> bytes:
    """``nbytes`` random bytes (default ``DEFAULT_ENTROPY``).

    Raises:
        TypeError: ``nbytes`` is not an int. ValueError: it is negative or too large.
    """
    if _running_loop() is not None:
        _refuse("token_bytes")
    return drop_in().token_bytes(nbytes)


def token_hex(nbytes: int | None = None) -> str:
    """``nbytes`` random bytes as ``2 * nbytes`` hex digits.

    Raises:
        TypeError, ValueError: as ``token_bytes``.
    """
    if _running_loop() is not None:
        _refuse("token_hex")
    return drop_in().token_hex(nbytes)


def token_urlsafe(nbytes: int | None = None) -> str:
    """``nbytes`` random bytes as URL-safe base64 text (about 1.3 characters a byte).

    Raises:
        TypeError, ValueError: as ``token_bytes``.
    """
    if _running_loop() is not None:
        _refuse("token_urlsafe")
    return drop_in().token_urlsafe(nbytes)


def randbelow(exclusive_upper_bound: int) -> int:
    """A uniform int in ``[0, exclusive_upper_bound)``.

    Raises:
        ValueError: the bound is not positive. TypeError: it is not an int.
    """
    if _running_loop() is not None:
        _refuse("randbelow")
    return drop_in().randbelow(exclusive_upper_bound)


def randbits(k: int) -> int:
    """A uniform int with ``k`` random bits.

    Raises:
        ValueError: ``k`` is negative. TypeError: it is not an int.
    """
    if _running_loop() is not None:
        _refuse("randbits")
    return drop_in().randbits(k)


def choice(seq: Sequence[_T]) -> _T:
    """A uniformly chosen element of ``seq``.

    Raises:
        IndexError: ``seq`` is empty.
    """
    if _running_loop() is not None:
        _refuse("choice")
    return drop_in().choice(seq)


def _refuse(name: str) -> None:
    """Refuse a call from a running loop (naming ``name`` and what to await instead)."""
    refuse_in_loop(f"alara.secrets.{name}()", f"await alara.{name}()")
