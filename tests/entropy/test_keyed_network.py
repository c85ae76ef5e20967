"""``Network.keyed()``: the vocabulary in keyed mode, its rounds, and how it fails closed."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import alara
from alara.entropy import KeyedNetwork
from alara.entropy._keyed import MAX_KEYED
from alara.errors import AlaraError, NetworkClosedError, PoolDegradedError
from tests.entropy.bounded import bounded_network
from tests.native.sources import CountingSource


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_vocabulary_in_keyed_mode() -> None:
    async with bounded_network(2) as net:
        keyed = net.keyed()
        assert keyed.network is net
        assert len(await keyed.token_bytes()) == 32
        assert len(await keyed.token_hex(5)) == 10
        assert len(await keyed.token_urlsafe(30)) == 40
        assert await keyed.token_bytes(0) == b""
        assert 0 <= await keyed.randbelow(7) < 7
        assert await keyed.randbelow(1) == 0
        assert 0 <= await keyed.randbits(200) < 2**200
        assert await keyed.randbits(0) == 0
        assert await keyed.choice("abc") in "abc"
        assert (await keyed.uuid4()).version == 4
        assert isinstance(await keyed.uuid4(), uuid.UUID)
        items = list(range(50))
        await keyed.shuffle(items)
        assert sorted(items) == list(range(50))
        assert len(set(await keyed.sample(range(100), 10))) == 10
        assert len(await keyed.random_bytes(MAX_KEYED + 1)) == MAX_KEYED + 1  # a round
        assert 0 <= await keyed.random_int(8 * MAX_KEYED + 1) < 2 ** (8 * MAX_KEYED + 1)
        assert 0 <= await keyed.random_below(2 ** (8 * MAX_KEYED + 1)) < 2 ** (8 * MAX_KEYED + 1)


async def test_bad_input_is_refused_as_by_the_network() -> None:
    async with bounded_network(1) as net:
        keyed = net.keyed()
        with pytest.raises(TypeError, match="nbytes must be an int"):
            await keyed.token_bytes(True)
        with pytest.raises(ValueError, match="nbytes must be in"):
            await keyed.token_bytes(-1)
        with pytest.raises(ValueError, match="exclusive_upper_bound must be in"):
            await keyed.randbelow(0)
        with pytest.raises(ValueError, match="rekey_bytes must be in"):
            net.keyed(rekey_bytes=1)
        assert len(await keyed.token_bytes()) == 32  # still healthy


async def test_one_round_per_key_not_per_call() -> None:
    source = CountingSource()
    async with bounded_network(sources=[source]) as net:
        keyed = net.keyed(rekey_bytes=8 * 1024)
        await keyed.token_bytes(1)
        source.reset()
        tokens = {await keyed.token_bytes(32) for _ in range(1024)}  # 32 KiB: four keys
        assert len(tokens) == 1024
        assert 3 <= source.reads <= 5


async def test_five_hundred_concurrent_callers_get_distinct_bytes_from_few_rounds() -> None:
    source = CountingSource()
    async with bounded_network(sources=[source]) as net:
        keyed = net.keyed()
        source.reset()
        tokens = await asyncio.gather(*(keyed.token_bytes(32) for _ in range(500)))
        assert len(set(tokens)) == 500
        assert source.reads == 1  # they all waited for the same first key


async def test_a_key_expires_by_time_on_the_injected_clock() -> None:
    source = CountingSource()
    clock = Clock()
    async with bounded_network(sources=[source]) as net:
        keyed = KeyedNetwork(net, rekey_seconds=10.0, clock=clock)
        await keyed.token_bytes(32)
        source.reset()
        await keyed.token_bytes(32)
        assert source.reads == 0
        clock.now += 10.0
        await keyed.token_bytes(32)
        assert source.reads == 1


async def test_a_degraded_pool_fails_keyed_calls_once_the_budget_is_spent() -> None:
    budget = 64
    async with bounded_network(2) as net:
        keyed = net.keyed(rekey_bytes=budget)
        await keyed.token_bytes(32)
        await net.supervisor.terminate_child("worker-1")
        served = 0
        while True:
            try:
                await keyed.token_bytes(32)
            except AlaraError as error:
                failure = error
                break
            served += 32
        assert isinstance(failure, PoolDegradedError)
        assert "worker-1 removed" in str(failure)
        # What was left of the current key, and at most one key fetched before the loss.
        assert served <= 2 * budget
        assert any("budget" in note for note in failure.__notes__)
        with pytest.raises(PoolDegradedError):
            await keyed.token_bytes(1)


async def test_a_closed_network_serves_nothing_more() -> None:
    net = await alara.create_network(1)
    keyed = net.keyed()
    await keyed.token_bytes(1)
    await net.close()
    with pytest.raises(NetworkClosedError):
        await keyed.token_bytes(1)
    with pytest.raises(NetworkClosedError):
        await keyed.randbelow(10)
