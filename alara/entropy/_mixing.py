"""The mixer: many contributions in, one uniformly random output of any length out.

Pure functions, no I/O, so they can be known-answer tested against an independent
implementation. The construction (see ``docs/security.md``):

* extract ``K = SHA3-256(EXTRACT_TAG || u64(n) || u64(k) || for each of the k contributions:
  u64(len) || bytes)``. Every field is fixed-width or length-prefixed, so the encoding is
  injective: two different lists of contributions, or two different sizes, never hash the
  same input. If any one contribution is uniformly random and independent of the others,
  ``K`` is (SHA3-256 modelled as a random oracle).
* expand: ``n <= 32`` gives ``K[:n]``; ``32 < n <= EXPAND_BLOCK`` gives
  ``SHAKE256(EXPAND_TAG || K || u64(n)).digest(n)``: any size at C speed, with no HKDF
  255-block limit, and a different size never yields a prefix of another output.
  ``n > EXPAND_BLOCK`` gives the concatenation of the blocks
  ``SHAKE256(EXPAND_TAG || K || u64(n) || u64(i)).digest(EXPAND_BLOCK)`` for ``i = 0, 1, ...``
  (the last one cut to length). Python's SHAKE256 cannot be squeezed incrementally and holds
  the GIL for the whole ``digest(n)`` call, so one call for a 1 GiB output would hold the
  event loop for seconds; independent blocks can be computed one at a time with the loop
  free in between (``expand_blocks``). The block inputs are one ``u64`` longer than the
  single-call input, so no block input equals any single-call input, and ``u64(n)`` keeps
  every size's output distinct.

The public functions check their arguments (``n`` an int in ``[0, MAX_BYTES]``, at least one
contribution, each ``bytes`` or ``bytearray``): a ``memoryview`` whose ``len`` counts items
rather than bytes would break the length prefixes, hence the injectivity, silently. The
mixer does not insist on ``MIN_CONTRIBUTION`` bytes per contribution: that is the
collector's promise, and short inputs keep the known-answer tests readable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from struct import Struct

from alara.actors import check_int
from alara.entropy._limits import MAX_BYTES
from alara.entropy._native import native_frame

__all__ = [
    "EXPAND_BLOCK",
    "EXPAND_TAG",
    "EXTRACT_TAG",
    "KEY_SIZE",
    "MIN_CONTRIBUTION",
    "encode_contributions",
    "expand",
    "expand_blocks",
    "extract",
    "extract_pieces",
    "mix",
]

EXTRACT_TAG = b"alara/v1/extract"
EXPAND_TAG = b"alara/v1/expand"
KEY_SIZE = 32
MIN_CONTRIBUTION = 32
"""Every source gives at least this many bytes (256 bits) to every request."""
EXPAND_BLOCK = 1 << 18
"""Largest output made by one SHAKE256 call (256 KiB, about 1.5 ms of loop time here)."""

_sha3_256 = hashlib.sha3_256
_frame = native_frame
_U64 = Struct(">Q")
_pack = _U64.pack
_HEAD = Struct(f">{len(EXTRACT_TAG)}sQQ")  # EXTRACT_TAG || u64(n) || u64(count)


def _check_size(n: object) -> int:
    """``n`` if it is an int (not bool) in ``[0, MAX_BYTES]``: the one check every entry makes."""
    if type(n) is int and 0 <= n <= MAX_BYTES:
        return n
    return check_int("n", n, 0, MAX_BYTES)


def _check_contributions(contributions: Sequence[bytes | bytearray]) -> int:
    """How many contributions there are, after checking the argument's shape and types."""
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
    for contribution in contributions:
        if type(contribution) is not bytes and not isinstance(contribution, (bytes, bytearray)):
            raise TypeError(
                f"each contribution must be bytes or bytearray, got {type(contribution).__name__}"
            )
    return count


def _encode(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """The injective encoding, checking the contributions in the same pass (the hot path)."""
    if _frame is not None:  # the C twin of the list-of-equal-bytes case below, or None
        framed = _frame(EXTRACT_TAG, contributions, n)
        if framed is not None:
            return framed
    if type(contributions) is not list:
        _check_contributions(contributions)
    elif contributions:
        # What a network mixes: a list of bytes of one length. Then the encoding is the
        # header and the contributions joined with their common length prefix, in one join.
        size = len(contributions[0])
        for contribution in contributions:
            if type(contribution) is not bytes or len(contribution) != size:
                break
        else:
            return _pack(size).join((_HEAD.pack(EXTRACT_TAG, n, len(contributions)),
                                     *contributions))
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


def _pieces(
    contributions: Sequence[bytes | bytearray], n: int, count: int
) -> Iterator[bytes | memoryview]:
    yield EXTRACT_TAG + _pack(n) + _pack(count)
    for contribution in contributions:
        yield _pack(len(contribution))
        view = memoryview(contribution)
        for start in range(0, len(view), EXPAND_BLOCK):
            yield view[start : start + EXPAND_BLOCK]


def encode_contributions(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """The injective encoding that ``extract`` hashes (exposed for tests and audits)."""
    return _encode(contributions, _check_size(n))


def extract(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """The 32-byte key ``K`` for a request of ``n`` bytes."""
    return hashlib.sha3_256(_encode(contributions, _check_size(n))).digest()


def _expand(key: bytes, n: int) -> bytes:
    if n <= KEY_SIZE:
        return key[:n]
    if n <= EXPAND_BLOCK:
        return hashlib.shake_256(EXPAND_TAG + key + _pack(n)).digest(n)
    return b"".join(_blocks(key, n))


def _blocks(key: bytes, n: int) -> Iterator[bytes]:
    prefix = EXPAND_TAG + key + _pack(n)
    for index, start in enumerate(range(0, n, EXPAND_BLOCK)):
        size = min(EXPAND_BLOCK, n - start)
        yield hashlib.shake_256(prefix + _pack(index)).digest(size)


def expand_blocks(key: bytes, n: int) -> Iterator[bytes]:
    """``expand(key, n)`` as consecutive pieces of at most ``EXPAND_BLOCK`` bytes each.

    Each piece is one bounded SHAKE256 call, so a caller can give the event loop back between
    pieces; ``b"".join`` of them is ``expand(key, n)``.
    """
    n = _check_size(n)
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_SIZE:
        raise TypeError(f"key must be {KEY_SIZE} bytes, as extract() returns")
    key = bytes(key)
    if n <= EXPAND_BLOCK:
        return iter((_expand(key, n),))
    return _blocks(key, n)


def extract_pieces(
    contributions: Sequence[bytes | bytearray], n: int
) -> Iterator[bytes | memoryview]:
    """What ``extract`` hashes, in order, as pieces of at most ``EXPAND_BLOCK`` bytes.

    Hashing them one by one into one SHA3-256 gives ``extract(contributions, n)``, without
    first copying every contribution into one buffer: a caller with large contributions can
    give the event loop back between pieces. The arguments are checked before the first piece.
    """
    n = _check_size(n)
    count = _check_contributions(contributions)
    return _pieces(contributions, n, count)


def expand(key: bytes, n: int) -> bytes:
    """``n`` output bytes from the key ``K`` (``KEY_SIZE`` bytes, as ``extract`` returns)."""
    n = _check_size(n)
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_SIZE:
        raise TypeError(f"key must be {KEY_SIZE} bytes, as extract() returns")
    return _expand(bytes(key), n)


def mix(contributions: Sequence[bytes | bytearray], n: int) -> bytes:
    """Mix ``contributions`` into ``n`` bytes: ``expand(extract(contributions, n), n)``.

    ``n`` is an int in ``[0, MAX_BYTES]``; ``contributions`` a non-empty sequence of
    ``bytes``/``bytearray`` (the order matters: it is part of the encoding).
    """
    if type(n) is not int or not 0 <= n <= KEY_SIZE:  # the hot path: n <= 32, inlined
        n = _check_size(n)
        return _expand(_sha3_256(_encode(contributions, n)).digest(), n)
    return _sha3_256(_encode(contributions, n)).digest()[:n]
