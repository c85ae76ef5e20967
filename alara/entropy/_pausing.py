"""``pause()``: how sliced work gives the event loop back between two slices.

Its own module because every slicer uses it: the mix (``offload``), the conversions, the
health tests of large reads (``worker``) and the freeing of a large output's blocks
(``staging``, which ``offload`` itself imports).
"""

from __future__ import annotations

import asyncio

__all__ = ["pause"]

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
