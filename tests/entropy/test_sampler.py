"""The batched sampler both façades share: sizing, order, each byte used once, uniformity."""

from __future__ import annotations

import os

import pytest

from alara.entropy._sampler import MAX_BATCH, SampleBatch, bytes_for, candidate_below


def test_a_batch_is_sized_for_twice_the_expected_need_within_bounds() -> None:
    assert SampleBatch(1000, 100).missing(2) == 2 * 100 * 2
    assert SampleBatch(2, 2).missing(1) == 32  # a floor for a handful of tiny numbers
    assert SampleBatch(1 << 64, 10**9).missing(8) == MAX_BATCH
    assert SampleBatch(1 << 64, 10**9).missing(MAX_BATCH + 1) == MAX_BATCH + 1


def test_bytes_are_served_in_order_and_each_once() -> None:
    batch = SampleBatch(256, 4)
    data = os.urandom(batch.missing(1))
    batch.refill(data)
    served = b""
    while not batch.missing(3):
        served += batch.take(3)
    assert served == data[: len(served)]
    assert len(data) - len(served) < 3
    assert batch.missing(3) >= 3  # what was left is not served again: a refill is due


@pytest.mark.parametrize(("bound", "size"), [(2, 1), (256, 1), (257, 2), (1 << 16, 2),
                                             ((1 << 16) + 1, 3)])
def test_bytes_for_a_bound(bound: int, size: int) -> None:
    assert bytes_for(bound) == size


def test_candidates_use_the_top_bits_of_their_bytes() -> None:
    assert candidate_below(b"\xff", 2) == 1
    assert candidate_below(b"\x7f", 2) == 0
    assert candidate_below(b"\xff\xff", 1000) == 1023  # 10 bits
    assert candidate_below(b"\x00\x40", 1000) == 1


def test_every_value_below_a_bound_is_proposed_equally_often() -> None:
    counts = [0] * 8
    for byte in range(256):
        counts[candidate_below(bytes([byte]), 6)] += 1
    assert counts == [32] * 8  # 6..7 are rejected by the caller, the rest stay uniform
