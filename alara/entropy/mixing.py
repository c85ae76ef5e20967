"""The mixer: many contributions in, one uniformly random output of any length out.

Pure functions, no I/O, so they can be known-answer tested against an independent
implementation. The construction (see ``docs/security.md``):

* extract ``K = SHA3-256(EXTRACT_TAG || u64(n) || u64(k) || for each of the k contributions:
  u64(len) || bytes)``. Every field is fixed-width or length-prefixed, so the encoding is
  injective: two different lists of contributions, or two different sizes, never hash the
  same input. If any one contribution is uniformly random and independent of the others,
  ``K`` is (SHA3-256 modelled as a random oracle).
* expand: ``n <= 32`` gives ``K[:n]``; ``n > 32`` gives
  ``SHAKE256(EXPAND_TAG || K || u64(n)).digest(n)``: any size at C speed, with no HKDF
  255-block limit, and a different size never yields a prefix of another output.

The public functions check their arguments (``n`` an int in ``[0, MAX_OUTPUT]``, at least one
contribution, each ``bytes`` or ``bytearray``): a ``memoryview`` whose ``len`` counts items
rather than bytes would break the length prefixes, hence the injectivity, silently. The
mixer does not insist on ``MIN_CONTRIBUTION`` bytes per contribution: that is the
collector's promise, and short inputs keep the known-answer tests readable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from struct import Struct

from alara.actors.validation import check_int

__all__ = [
    "EXPAND_TAG",
    "EXTRACT_TAG",
    "KEY_SIZE",
    "MAX_OUTPUT",
    "MIN_CONTRIBUTION",
    "encode_contributions",
    "expand",
    "extract",
    "mix",
]

EXTRACT_TAG = b"alara/v1/extract"
EXPAND_TAG = b"alara/v1/expand"
KEY_SIZE = 32
MIN_CONTRIBUTION = 32
"""Every source gives at least this many bytes (256 bits) to every request."""
MAX_OUTPUT = 1 << 30
"""Largest ``n`` the mixer accepts (1 GiB, the network's ``MAX_BYTES``)."""

_U64 = Struct(">Q")
_pack = _U64.pack


def _check_size(n: object) -> int:
    """``n`` if it is an int (not bool) in ``[0, MAX_OUTPUT]``: the one check every entry makes."""
    if type(n) is int and 0 <= n <= MAX_OUTPUT:
        return n
    return check_int("n", n, 0, MAX_OUTPUT)


def _encode(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    if type(contributions) is not list and (
        isinstance(contributions, (bytes, bytearray, memoryview, str))
        or not isinstance(contributions, Sequence)
    ):
        raise TypeError(
            f"contributions must be a sequence of bytes, got {type(contributions).__name__}"
        )
    count = len(contributions)
    if count == 0:
        raise ValueError("contributions must hold at least 1 contribution, got 0")
    parts: list[bytes | bytearray] = [EXTRACT_TAG, _pack(n), _pack(count)]
    for contribution in contributions:
        if type(contribution) is not bytes and not isinstance(contribution, (bytes, bytearray)):
            raise TypeError(
                f"each contribution must be bytes or bytearray, got {type(contribution).__name__}"
            )
        parts.append(_pack(len(contribution)))
        parts.append(contribution)
    return b"".join(parts)


def encode_contributions(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """The injective encoding that ``extract`` hashes (exposed for tests and audits)."""
    return _encode(contributions, _check_size(n))


def extract(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """The 32-byte key ``K`` for a request of ``n`` bytes."""
    return hashlib.sha3_256(_encode(contributions, _check_size(n))).digest()


def _expand(key: bytes, n: int) -> bytes:
    if n <= KEY_SIZE:
        return key[:n]
    return hashlib.shake_256(EXPAND_TAG + key + _pack(n)).digest(n)


def expand(key: bytes, n: int) -> bytes:
    """``n`` output bytes from the key ``K`` (``KEY_SIZE`` bytes, as ``extract`` returns)."""
    n = _check_size(n)
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_SIZE:
        raise TypeError(f"key must be {KEY_SIZE} bytes, as extract() returns")
    return _expand(bytes(key), n)


def mix(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """Mix ``contributions`` into ``n`` bytes: ``expand(extract(contributions, n), n)``.

    ``n`` is an int in ``[0, MAX_OUTPUT]``; ``contributions`` a non-empty sequence of
    ``bytes``/``bytearray`` (the order matters: it is part of the encoding).
    """
    n = _check_size(n)
    return _expand(hashlib.sha3_256(_encode(contributions, n)).digest(), n)
