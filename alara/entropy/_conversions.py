"""Bytes to bits and to ints in slices: ``int.from_bytes``, ``format`` and big-int shifts hold
the GIL for their whole call (2 MiB to an int: ~4.5 ms), so large conversions are cut into
pieces of bounded cost with ``pause()`` between them."""

from __future__ import annotations

from alara.entropy._pausing import pause

__all__ = ["BITS_SLICE", "INT_SLICE", "bits_inline", "bits_sliced", "int_inline", "int_sliced"]

BITS_SLICE = 1 << 13
"""Bytes converted to bits per loop step by ``bits_sliced`` (8 KiB: 64 Ki bits, ~1 ms)."""
INT_SLICE = 1 << 18
"""Bytes converted to an int per loop step by ``int_sliced`` (256 KiB, ~0.6 ms); the
shifts and ORs that join the pieces cost ~1.5 ms per MiB each."""

_BIT_VALUES = bytes.maketrans(b"01", b"\x00\x01")


async def bits_sliced(data: bytes, n: int) -> list[int]:
    """The first ``n`` bits of ``data``, most significant first, as 0/1 ints, in slices."""
    bits: list[int] = []
    bits.extend(_Reserve(8 * len(data)))
    for start in range(0, len(data), BITS_SLICE):
        bits.extend(_bit_bytes(data[start : start + BITS_SLICE]))
        await pause()
    del bits[n:]
    return bits


class _Reserve:
    """An empty iterable whose length hint makes ``list.extend`` allocate a list's final size.

    ``list.extend`` on an empty list allocates exactly the hinted size; nothing is yielded,
    so the list is cut back to empty, but a buffer that large was a memory mapping of its
    own, and the allocator keeps it one while it grows: ``bits_sliced``'s later extends
    then grow it by remapping, never by copying. Without this, once a large free has raised
    glibc's mmap threshold, the list lives in the heap up to 32 MiB and one extend copies
    all of it on the loop (27 ms for ``random_bits(2**24)`` here). Harmless elsewhere: the
    hint is only a hint.
    """

    __slots__ = ("_size",)

    def __init__(self, size: int) -> None:
        self._size = size

    def __iter__(self) -> _Reserve:
        return self

    def __next__(self) -> int:
        raise StopIteration

    def __length_hint__(self) -> int:
        return self._size


def bits_inline(data: bytes, n: int) -> list[int]:
    """``bits_sliced`` in one go, for data of at most ``BITS_SLICE`` bytes."""
    return list(_bit_bytes(data)[:n])


def _bit_bytes(data: bytes) -> bytes:
    """Every bit of ``data``, most significant first, one byte (0 or 1) per bit."""
    text = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")
    return text.encode("ascii").translate(_BIT_VALUES)


def int_inline(data: bytes | bytearray, bits: int) -> int:
    """The first ``bits`` bits of ``data`` as a big-endian int, in one go."""
    return int.from_bytes(data, "big") >> (8 * len(data) - bits)


async def int_sliced(data: bytes, bits: int) -> int:
    """``int_inline(data, bits)`` in slices: pieces of ``INT_SLICE`` bytes, joined pairwise."""
    pieces: list[tuple[int, int]] = []  # (value, width in bits), most significant first
    for start in range(0, len(data), INT_SLICE):
        chunk = data[start : start + INT_SLICE]
        pieces.append((int.from_bytes(chunk, "big"), 8 * len(chunk)))
        await pause()
    value, width = pieces[-1]
    drop = 8 * len(data) - bits  # the low bits beyond ``bits`` are all in the last piece
    pieces[-1] = (value >> drop, width - drop)
    while len(pieces) > 1:
        joined = []
        for i in range(0, len(pieces) - 1, 2):
            (high, high_width), (low, low_width) = pieces[i], pieces[i + 1]
            high <<= low_width
            await pause()
            joined.append((high | low, high_width + low_width))
            await pause()
        if len(pieces) % 2:
            joined.append(pieces[-1])
        pieces = joined
    return pieces[0][0]
