"""An independent re-implementation of the mixer, from its documented construction only.

It uses pycryptodome (``Crypto.Hash``), not ``hashlib``, and spells out every constant, so a
mistake in ``alara.entropy._mixing`` (or a silent change of construction) cannot be mirrored
here by sharing code.
"""

from __future__ import annotations

from collections.abc import Sequence

from Crypto.Hash import SHA3_256, SHAKE256

EXTRACT_TAG = b"alara/v1/extract"
EXPAND_TAG = b"alara/v1/expand"
EXPAND_BLOCK = 262_144  # 256 KiB: above it the output is made of counter-indexed blocks


def u64(value: int) -> bytes:
    """Big-endian unsigned 64-bit length field."""
    return value.to_bytes(8, "big")


def reference_extract(contributions: Sequence[bytes], n: int) -> bytes:
    """K = SHA3-256(EXTRACT_TAG || u64(n) || u64(k) || for each: u64(len) || bytes)."""
    digest = SHA3_256.new()
    digest.update(EXTRACT_TAG)
    digest.update(u64(n))
    digest.update(u64(len(contributions)))
    for contribution in contributions:
        digest.update(u64(len(contribution)))
        digest.update(bytes(contribution))
    key: bytes = digest.digest()
    return key


def reference_mix(contributions: Sequence[bytes], n: int) -> bytes:
    """n <= 32: K[:n]; n <= 256 KiB: SHAKE256(EXPAND_TAG || K || u64(n)) read to n bytes;
    above: block i (256 KiB, the last one cut) is SHAKE256(EXPAND_TAG || K || u64(n) || u64(i)).
    """
    key = reference_extract(contributions, n)
    if n <= 32:
        return key[:n]
    if n <= EXPAND_BLOCK:
        xof = SHAKE256.new()
        xof.update(EXPAND_TAG + key + u64(n))
        out: bytes = xof.read(n)
        return out
    blocks = []
    for index, start in enumerate(range(0, n, EXPAND_BLOCK)):
        xof = SHAKE256.new()
        xof.update(EXPAND_TAG + key + u64(n) + u64(index))
        blocks.append(xof.read(min(EXPAND_BLOCK, n - start)))
    return b"".join(blocks)


def decode(encoded: bytes) -> tuple[int, list[bytes]]:
    """Parse the extract encoding back into ``(n, contributions)``; raise if it is malformed.

    A parser that recovers the inputs exactly is the proof that the encoding is injective.
    """
    if not encoded.startswith(EXTRACT_TAG):
        raise ValueError("missing tag")
    pos = len(EXTRACT_TAG)

    def field() -> int:
        nonlocal pos
        if pos + 8 > len(encoded):
            raise ValueError("truncated length field")
        value = int.from_bytes(encoded[pos : pos + 8], "big")
        pos += 8
        return value

    n, count = field(), field()
    contributions = []
    for _ in range(count):
        size = field()
        if pos + size > len(encoded):
            raise ValueError("truncated contribution")
        contributions.append(encoded[pos : pos + size])
        pos += size
    if pos != len(encoded):
        raise ValueError("trailing bytes")
    return n, contributions
