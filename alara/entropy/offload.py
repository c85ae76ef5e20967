"""Work that grows with the request size, done without holding the event loop.

CPython's SHAKE256 ``digest``, ``bytes.count``, ``int.from_bytes`` and ``format`` hold the GIL
for their whole call, so moving them to a thread would not free the loop: they are cut into
slices of bounded cost instead (about a millisecond each), with ``pause()`` between slices so
every other task runs. ``bytes.join`` releases the GIL while it copies, so
the one copy of a large output is done in a worker thread. Requests below the thresholds
never come here: the network mixes them inline, as before.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

import anyio.to_thread

from alara.entropy.mixing import EXPAND_BLOCK, expand_blocks, extract_pieces

__all__ = [
    "BITS_SLICE",
    "INLINE_MIX",
    "THREAD_JOIN",
    "bits_inline",
    "bits_sliced",
    "mix_sliced",
    "pause",
]

INLINE_MIX = EXPAND_BLOCK
"""Largest output, and largest total of contributions, mixed in one go on the loop (256 KiB)."""
BITS_SLICE = 1 << 13
"""Bytes converted to bits per loop step by ``bits_sliced`` (8 KiB: 64 Ki bits, ~1 ms)."""
THREAD_JOIN = 1 << 20
"""Outputs above this (1 MiB) are joined in a worker thread (``bytes.join`` drops the GIL)."""

FREE_SLICE = 16
"""Expansion blocks freed per loop step once joined (16 x 256 KiB)."""
JOIN_GROUP = 129
"""Blocks joined at a time above ``THREAD_JOIN`` (just over 32 MiB, so each joined piece is a
memory mapping of its own and at most 32 MiB of blocks are ever waiting to be freed)."""

_BIT_VALUES = bytes.maketrans(b"01", b"\x00\x01")
_sleep = asyncio.sleep


async def pause() -> None:
    """Give the loop back between two slices, long enough for every task woken meanwhile.

    One ``sleep(0)`` lets the loop run one iteration, but a task woken by a timer or by I/O
    during a slice needs two: one for the timer (or I/O) callback that completes its future,
    one for the task itself. With a single yield the next slice starts in between, and such
    a task waits two or three slices instead of one (``benchmarks/looplag.py``'s ticker saw
    exactly that). Three yields cost two near-empty iterations, some microseconds a slice.
    """
    await _sleep(0)
    await _sleep(0)
    await _sleep(0)


async def mix_sliced(contributions: Sequence[bytes], n: int) -> bytes:
    """``mix(contributions, n)``, computed in slices of at most ``EXPAND_BLOCK`` bytes."""
    digest = hashlib.sha3_256()
    pending = 0
    for piece in extract_pieces(contributions, n):
        digest.update(piece)
        pending += len(piece)
        if pending >= EXPAND_BLOCK:
            pending = 0
            await pause()
    if n <= THREAD_JOIN:
        blocks = []
        for block in expand_blocks(digest.digest(), n):
            blocks.append(block)
            await pause()
        return blocks[0] if len(blocks) == 1 else b"".join(blocks)
    pieces: list[bytes] = []
    group: list[bytes] = []
    for block in expand_blocks(digest.digest(), n):
        group.append(block)
        await pause()
        if len(group) == JOIN_GROUP:
            pieces.append(await _join(group))
    if group:
        pieces.append(await _join(group))
    if len(pieces) == 1:
        return pieces[0]
    output = await anyio.to_thread.run_sync(b"".join, pieces)
    while pieces:  # one unmapping of a large piece per loop step
        pieces.pop()
        await pause()
    return output


async def _join(blocks: list[bytes]) -> bytes:
    """Join ``blocks`` in a worker thread, then free them a few per loop step.

    Groups are kept to ``JOIN_GROUP`` blocks because the allocator returns freed blocks to
    the system in one go: freeing a whole 1 GiB output's blocks stalled the loop ~150 ms.
    """
    joined = await anyio.to_thread.run_sync(b"".join, blocks)
    while blocks:
        del blocks[-FREE_SLICE:]
        await pause()
    return joined


async def bits_sliced(data: bytes, n: int) -> list[int]:
    """The first ``n`` bits of ``data``, most significant first, as 0/1 ints, in slices."""
    bits: list[int] = []
    for start in range(0, len(data), BITS_SLICE):
        chunk = data[start : start + BITS_SLICE]
        text = format(int.from_bytes(chunk, "big"), f"0{8 * len(chunk)}b")
        bits.extend(text.encode("ascii").translate(_BIT_VALUES))
        await pause()
    del bits[n:]
    return bits


def bits_inline(data: bytes, n: int) -> list[int]:
    """``bits_sliced`` in one go, for data of at most ``BITS_SLICE`` bytes."""
    text = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")[:n]
    return list(text.encode("ascii").translate(_BIT_VALUES))
