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
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from struct import Struct

__all__ = [
    "EXPAND_TAG",
    "EXTRACT_TAG",
    "KEY_SIZE",
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

_U64 = Struct(">Q")
_pack = _U64.pack


def encode_contributions(contributions: Sequence[bytes], n: int) -> bytes:
    """The injective encoding that ``extract`` hashes (exposed for tests and audits)."""
    parts = [EXTRACT_TAG, _pack(n), _pack(len(contributions))]
    for contribution in contributions:
        parts.append(_pack(len(contribution)))
        parts.append(contribution)
    return b"".join(parts)


def extract(contributions: Sequence[bytes], n: int) -> bytes:
    """The 32-byte key ``K`` for a request of ``n`` bytes."""
    return hashlib.sha3_256(encode_contributions(contributions, n)).digest()


def expand(key: bytes, n: int) -> bytes:
    """``n`` output bytes from the key ``K``."""
    if n <= KEY_SIZE:
        return key[:n]
    return hashlib.shake_256(EXPAND_TAG + key + _pack(n)).digest(n)


def mix(contributions: Sequence[bytes], n: int) -> bytes:
    """Mix ``contributions`` into ``n`` bytes: ``expand(extract(contributions, n), n)``."""
    return expand(extract(contributions, n), n)
