"""The repeated-block test: a source that returns the same block at every read is caught.

RCT and APT look at bytes; a source that returns one fixed, random-looking block at every read
(a generator restored from one snapshot, a driver returning a cached buffer) passes both for
ever. The repeated-block test compares each block's first ``block_prefix`` bytes with the
previous block's, through a keyed digest, so an honest source fails it with probability at
most ``alpha`` per block (``docs/health-tests.md``).
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import MutableMapping
from typing import Any

import pytest

import alara
from alara import HealthTestError, OsSource
from alara.entropy._health import DEFAULT_HEALTH, HealthPolicy, HealthTests, block_prefix
from alara.errors import PoolDegradedError, WorkerDiedError
from tests.entropy.bounded import bounded_network

Logs = list[MutableMapping[str, Any]]


class RepeatingSource:
    """Returns the same random 32-byte block, cut or repeated to length, at every read."""

    def __init__(self) -> None:
        self.block = os.urandom(32)
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        return (self.block * (n // 32 + 1))[:n]


def test_the_compared_prefix_keeps_an_honest_source_under_alpha() -> None:
    """``block_prefix`` bytes carry at least ``-log2(alpha)`` bits of min-entropy, so an honest
    block repeats the previous block's prefix with probability at most ``alpha``."""
    for h in (0.01, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0):
        for alpha in (2.0**-10, 2.0**-20, 2.0**-40, 2.0**-256):
            prefix = block_prefix(h, alpha)
            assert h * prefix >= -math.log2(alpha)
            assert h * (prefix - 1) < -math.log2(alpha)  # and no longer than that needs
    assert DEFAULT_HEALTH.block_prefix == 10  # H = 4, alpha = 2**-40


def test_the_same_block_twice_fails_and_fresh_blocks_pass() -> None:
    tests = DEFAULT_HEALTH()
    block = os.urandom(32)
    tests(block)
    with pytest.raises(HealthTestError, match="repeated block test failed"):
        tests(block)
    for _ in range(10_000):
        tests(os.urandom(32))


def test_a_block_that_repeats_only_the_prefix_fails_too() -> None:
    tests = HealthTests(11, 78, block_prefix=10)
    first = os.urandom(64)
    tests(first)
    with pytest.raises(HealthTestError, match="the same 10 bytes"):
        tests(first[:10] + os.urandom(22))  # a snapshot replayed: a longer or shorter read


def test_short_blocks_are_not_compared_and_leave_the_previous_prefix() -> None:
    tests = HealthTests(11, 78, block_prefix=10)
    block = os.urandom(32)
    tests(block)
    tests(block[:9])  # shorter than the prefix: not compared, nothing stored
    with pytest.raises(HealthTestError, match="repeated block"):
        tests(block)


def test_a_failing_block_changes_no_state() -> None:
    tests = HealthTests(11, 78, block_prefix=10)
    block = os.urandom(32)
    tests(block)
    with pytest.raises(HealthTestError):
        tests(block)
    with pytest.raises(HealthTestError):
        tests(block)  # still compared with the block that passed


def test_off_when_the_prefix_is_zero() -> None:
    tests = HealthTests(11, 78)
    block = os.urandom(32)
    for _ in range(3):
        tests(block)
    with pytest.raises(ValueError, match="block_prefix"):
        HealthTests(11, 78, block_prefix=-1)


def test_messages_and_repr_never_show_sample_values() -> None:
    tests = DEFAULT_HEALTH()
    assert repr(tests) == "HealthTests(rct_cutoff=11, apt_cutoff=78, block_prefix=10)"
    block = bytes(range(100, 132))
    tests(block)
    with pytest.raises(HealthTestError) as caught:
        tests(block)
    assert "100" not in str(caught.value)
    assert "64" not in str(caught.value)  # hex of 100


async def test_a_repeating_source_is_caught_and_quarantined(logs: Logs) -> None:
    """One repeating source next to the OS source: its worker crashes at its second read of
    every life (the block test), and is quarantined at the third failure."""
    repeating = RepeatingSource()
    async with bounded_network(sources=[repeating, OsSource()]) as net:
        async with asyncio.timeout(20):
            for _ in range(10):
                try:
                    await net.random_bytes(32)
                except (PoolDegradedError, WorkerDiedError):
                    if net.quarantined():
                        break
        assert net.quarantined() == ["worker-0"]
    crashed = [e for e in logs if e["event"] == "actor.crashed" and e["actor"] == "worker-0"]
    assert crashed
    assert all(e["reason"].startswith("HealthTestError: health_test: repeated block")
               for e in crashed)


async def test_a_pool_of_repeating_sources_does_not_serve_one_output_for_ever() -> None:
    """Three repeating sources: every worker's second block fails. A restarted worker starts
    with fresh test state, so its first block is served again: the pool gives at most
    ``quarantine_after`` outputs, then fails closed, never the same output for every request."""
    async with bounded_network(sources=[RepeatingSource() for _ in range(3)]) as net:
        outputs: list[bytes] = []
        async with asyncio.timeout(20):
            for _ in range(10):
                try:
                    outputs.append(await net.random_bytes(32))
                except (PoolDegradedError, WorkerDiedError, alara.SupervisorGaveUpError):
                    break
        assert len(outputs) <= 3
        assert not net.status().serving


async def test_the_pure_and_the_policy_tests_agree_on_a_custom_claim() -> None:
    policy = HealthPolicy(min_entropy=1.0)
    tests = policy()
    assert repr(tests) == repr(HealthTests(policy.rct_cutoff, policy.apt_cutoff, 40))
    block = os.urandom(40)
    tests(block)
    with pytest.raises(HealthTestError, match="the same 40 bytes"):
        tests(block)
