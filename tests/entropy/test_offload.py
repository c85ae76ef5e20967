"""Sliced work gives exactly what the one-go functions give, across every slice boundary."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

import alara
from alara.entropy import offload
from alara.entropy.mixing import EXPAND_BLOCK, expand_blocks
from alara.entropy.offload import (
    BITS_SLICE,
    JOIN_GROUP,
    THREAD_JOIN,
    bits_inline,
    bits_sliced,
    mix_sliced,
)


@pytest.mark.parametrize("n", [1, 32, 33, EXPAND_BLOCK + 1, THREAD_JOIN, THREAD_JOIN + 1,
                               JOIN_GROUP * EXPAND_BLOCK, JOIN_GROUP * EXPAND_BLOCK + 7])
async def test_mix_sliced_is_mix(n: int) -> None:
    contributions = [os.urandom(32), os.urandom(48)]
    assert await mix_sliced(contributions, n) == alara.mix(contributions, n)


async def test_mix_sliced_hashes_large_contributions_in_pieces() -> None:
    contributions = [os.urandom(3 * EXPAND_BLOCK + 1), os.urandom(32)]
    assert await mix_sliced(contributions, 64) == alara.mix(contributions, 64)


@pytest.mark.parametrize("n", [1, 7, 8 * BITS_SLICE, 8 * BITS_SLICE + 3, 3 * 8 * BITS_SLICE - 1])
async def test_bits_sliced_is_bits_inline(n: int) -> None:
    data = os.urandom((n + 7) // 8)
    bits = await bits_sliced(data, n)
    assert bits == bits_inline(data, n)
    assert len(bits) == n
    assert int("".join(map(str, bits)), 2) == int.from_bytes(data, "big") >> (8 * len(data) - n)


async def test_a_task_woken_during_a_slice_runs_before_the_next_slice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a timer or I/O does during a slice: a callback completes a future, and the task
    awaiting it needs one loop iteration for the callback and one for itself. ``pause()``
    must give it both before the next slice starts (one ``sleep(0)`` gives it only one)."""
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()
    computed: list[int] = []
    ran_after: list[int] = []

    async def sleeper() -> None:
        await woken
        ran_after.append(len(computed))

    task = asyncio.ensure_future(sleeper())
    await asyncio.sleep(0)  # the sleeper is waiting


    def blocks(key: bytes, n: int) -> Iterator[bytes]:
        for block in expand_blocks(key, n):
            computed.append(len(block))
            if len(computed) == 1:  # "a timer fires" during the first slice
                loop.call_soon(woken.set_result, None)
            yield block

    monkeypatch.setattr(offload, "expand_blocks", blocks)
    contributions = [os.urandom(32)]
    n = 4 * EXPAND_BLOCK
    assert await mix_sliced(contributions, n) == alara.mix(contributions, n)
    await task
    assert ran_after == [1]  # between the first slice and the second
