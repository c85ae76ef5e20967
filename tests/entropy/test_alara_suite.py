"""A port of the behaviours ALARA's own eunit suite checks, one test per behaviour.

ALARA (Erlang) is the library alara ports; staying compatible with what its tests promise
(pool sizes, output sizes, int range, bit lists, concurrency, surviving kills, growing the
pool, the standalone worker) is the floor, and the rest of this package's tests go beyond it.
"""

from __future__ import annotations

import asyncio

import pytest

import alara
from alara import Network, get_random_bytes, start_worker


async def _settled(net: Network, count: int) -> None:
    """Wait, bounded and without polling, until ``count`` workers are live again."""
    async with asyncio.timeout(5):
        while len(net.get_nodes()) != count:
            await net.supervisor.changed()


@pytest.mark.parametrize("size", [1, 3, 4, 10])
async def test_pool_sizes_give_right_sized_output(size: int) -> None:
    async with alara.create_network(size) as net:
        nodes = net.get_nodes()
        assert len(nodes) == size
        assert all(node.is_alive() for node in nodes)
        async with asyncio.timeout(5):
            for n in (1, 16, 32, 64, 1000):
                assert len(await net.random_bytes(n)) == n


async def test_default_network_has_three_workers() -> None:
    async with alara.create_network() as net:
        assert len(net.get_nodes()) == 3


async def test_sizes_1_to_64_are_exact(network: Network) -> None:
    async with asyncio.timeout(5):
        for n in range(1, 65):
            out = await network.random_bytes(n)
            assert isinstance(out, bytes)
            assert len(out) == n


@pytest.mark.parametrize("bits", [8, 16, 32, 128])
async def test_random_int_range_over_1000_draws(network: Network, bits: int) -> None:
    async with asyncio.timeout(10):
        values = [await network.random_int(bits) for _ in range(1000)]
    assert all(0 <= value <= 2**bits - 1 for value in values)
    assert len(set(values)) > 1  # P(all equal) = 2**(-bits * 999)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 64, 100, 1024])
async def test_bits_are_only_zeros_and_ones_of_the_right_length(network: Network, n: int) -> None:
    async with asyncio.timeout(5):
        bits = await network.random_bits(n)
    assert len(bits) == n
    assert set(bits) <= {0, 1}
    assert all(type(bit) is int for bit in bits)


async def test_50_concurrent_callers_all_get_distinct_outputs(network: Network) -> None:
    async with asyncio.timeout(10):
        outputs = await asyncio.gather(*(network.random_bytes(32) for _ in range(50)))
    assert all(len(out) == 32 for out in outputs)
    assert len(set(outputs)) == 50


async def test_kill_one_worker_then_call_does_not_hang(network: Network) -> None:
    victim = network.get_nodes()[0]
    victim.kill("eunit: kill one")
    async with asyncio.timeout(5):
        assert len(await network.random_bytes(32)) == 32
    await _settled(network, 3)
    assert victim not in network.get_nodes()


async def test_kill_all_workers_then_call_does_not_hang(network: Network) -> None:
    for node in network.get_nodes():
        node.kill("eunit: kill all")
    async with asyncio.timeout(5):
        assert len(await network.random_bytes(32)) == 32
    await _settled(network, 3)


async def test_add_worker_grows_the_pool(network: Network) -> None:
    before = len(network.get_nodes())
    async with asyncio.timeout(5):
        new = await network.add_worker()
    assert len(network.get_nodes()) == before + 1
    assert new in network.get_nodes()
    async with asyncio.timeout(5):
        assert len(await network.random_bytes(32)) == 32


async def test_standalone_worker_gives_distinct_outputs() -> None:
    worker = start_worker()
    try:
        async with asyncio.timeout(5):
            outputs = [await get_random_bytes(worker, 16) for _ in range(100)]
        assert all(len(out) == 16 for out in outputs)
        assert len(set(outputs)) == 100
    finally:
        await worker.stop()
