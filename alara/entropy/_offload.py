"""Work that grows with the request size, done without holding the event loop.

CPython's SHA3/SHAKE256 hold the GIL for their whole call, so moving them to a thread would
not free the loop: the mix is cut into slices of bounded cost instead (about a millisecond
each), with ``pause()`` between slices so every other task runs. The one copy of a large
output is made in a worker thread (``staging.py``). Requests below the thresholds never come
here: the network mixes them inline, as before. The conversions to bits and ints are sliced
the same way (``conversions.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from alara.entropy._mixing import EXPAND_BLOCK, expand_blocks, extract_pieces
from alara.entropy._pausing import pause
from alara.entropy._staging import open_stage

__all__ = [
    "INLINE_MIX",
    "THREAD_JOIN",
    "mix_sliced",
]

INLINE_MIX = EXPAND_BLOCK
"""Largest output, and largest total of contributions, mixed in one go on the loop (256 KiB)."""
THREAD_JOIN = 1 << 20
"""Outputs above this (1 MiB) are staged off the heap and made in a worker thread
(``staging.py``); smaller ones are joined on the loop (at most ~0.3 ms)."""


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
    stage = open_stage()
    try:
        for block in expand_blocks(digest.digest(), n):
            stage.add(block)
            del block
            await pause()
        return await stage.take()
    finally:
        stage.discard()
