"""Sliced work gives exactly what the one-go functions give, across every slice boundary."""

from __future__ import annotations

import os

import pytest

import alara
from alara.entropy.mixing import EXPAND_BLOCK
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
