"""The Network façade: lifecycle, the live registry, the API, one read per worker per request."""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import MutableMapping
from typing import Any

import pytest

import alara
from alara import ActorRef, EntropySource, Network, NetworkClosedError, OsSource, mix
from alara.entropy import MIN_CONTRIBUTION
from alara.testing.sources import AttackerSource, ConstantSource, PatternSource
from tests.entropy.recording import RecordingSource, warm_up
from tests.entropy.stats import looks_uniform

Logs = list[MutableMapping[str, Any]]


async def _wait_for_nodes(net: Network, count: int) -> list[ActorRef]:
    """Wait (bounded, no polling sleep) until ``count`` workers are live."""
    async with asyncio.timeout(5):
        while len(net.get_nodes()) != count:
            await net.supervisor.changed()
    return net.get_nodes()


# -- lifecycle -------------------------------------------------------------------------------


async def test_async_with_starts_and_closes(logs: Logs) -> None:
    async with alara.create_network(workers=3) as net:
        assert isinstance(net, Network)
        assert not net.closed
        assert len(net.get_nodes()) == 3
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(32)) == 32
        refs = net.get_nodes()
    assert net.closed
    assert all(not ref.is_alive() for ref in refs)
    assert net.get_nodes() == []
    events = [event["event"] for event in logs if event.get("component") == "network"]
    assert events == ["network.started", "network.stopped"]
    started = next(event for event in logs if event["event"] == "network.started")
    assert started["workers"] == 3
    assert started["max_restarts"] == 10
    assert started["period"] == 5.0
    stopped = next(event for event in logs if event["event"] == "network.stopped")
    assert stopped["gave_up"] is False


async def test_await_then_close(logs: Logs) -> None:
    net = await alara.create_network(5)
    try:
        assert len(net.get_nodes()) == 5
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(16)) == 16
    finally:
        await net.close()
    assert net.closed
    assert [event["event"] for event in logs if event.get("component") == "network"] == [
        "network.started",
        "network.stopped",
    ]


async def test_default_pool_size_is_three() -> None:
    async with alara.create_network() as net:
        assert len(net.get_nodes()) == 3
    async with alara.create_network(sources=[RecordingSource(), RecordingSource()]) as net:
        assert len(net.get_nodes()) == 2


async def test_close_is_idempotent(logs: Logs) -> None:
    net = await alara.create_network(2)
    await net.close()
    await net.close()
    with pytest.raises(NetworkClosedError, match="closed"):
        async with net:  # entering a closed network is refused, it does not reopen
            pass
    await net.close()
    assert [event["event"] for event in logs if event.get("component") == "network"] == [
        "network.started",
        "network.stopped",
    ]


async def test_closing_a_network_that_never_started() -> None:
    net = alara.create_network(2)
    await net.close()
    assert net.closed
    with pytest.raises(NetworkClosedError, match="closed"):
        await net.start()


async def test_a_network_starts_only_once() -> None:
    async with alara.create_network(1) as net:
        with pytest.raises(alara.AlaraError, match="already started"):
            await net.start()
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(8)) == 8  # still fine


CALLS = [
    ("random_bytes", (8,)),
    ("random_bits", (8,)),
    ("random_int", (8,)),
    ("random_below", (10,)),
    ("add_worker", ()),
]


@pytest.mark.parametrize(("method", "args"), CALLS)
async def test_an_unstarted_network_refuses_requests(method: str, args: tuple[int, ...]) -> None:
    net = alara.create_network(2)
    with pytest.raises(NetworkClosedError, match="network is not started"):
        await getattr(net, method)(*args)
    assert net.get_nodes() == []


@pytest.mark.parametrize(("method", "args"), CALLS)
async def test_a_closed_network_refuses_requests(method: str, args: tuple[int, ...]) -> None:
    net = await alara.create_network(2)
    await net.close()
    with pytest.raises(NetworkClosedError, match="network is closed"):
        await getattr(net, method)(*args)


async def test_repr_says_state_and_size_only() -> None:
    net = alara.create_network(4)
    assert repr(net) == "<Network idle workers=4>"
    await net.start()
    assert repr(net) == "<Network open workers=4>"
    async with asyncio.timeout(5):
        await net.add_worker()
    assert repr(net) == "<Network open workers=5>"
    await net.close()
    assert repr(net) == "<Network closed workers=5>"


# -- the live registry -----------------------------------------------------------------------


async def test_get_nodes_is_a_plain_method_returning_live_refs() -> None:
    assert not inspect.iscoroutinefunction(Network.get_nodes)
    async with alara.create_network(3) as net:
        nodes = net.get_nodes()
        assert isinstance(nodes, list)
        assert len(nodes) == 3
        assert all(isinstance(ref, ActorRef) and ref.is_alive() for ref in nodes)
        assert [ref.name for ref in nodes] == ["worker-0", "worker-1", "worker-2"]
        nodes.clear()  # a fresh list every call: the caller cannot corrupt the registry
        assert len(net.get_nodes()) == 3


async def test_get_nodes_is_read_from_the_supervisor_at_call_time() -> None:
    async with alara.create_network(3) as net:
        before = net.get_nodes()
        victim = before[1]
        victim.kill("test")  # an idle worker ends inside kill(); its supervisor restarts it
        during = net.get_nodes()
        assert victim not in during  # gone at once, not from a cached copy
        assert during == [before[0], before[2]]
        after = await _wait_for_nodes(net, 3)
        assert [after[0], after[2]] == during
        assert [ref.name for ref in after] == ["worker-0", "worker-1", "worker-2"]
        replacement = after[1]
        assert replacement is not victim
        assert replacement.is_alive()
        assert after == [child.ref for child in net.which_children() if child.alive]
        assert net.which_children()[1].restarts == 1


async def test_add_worker_grows_the_pool_and_joins_every_request() -> None:
    async with alara.create_network(2) as net:
        source = RecordingSource()
        async with asyncio.timeout(5):
            ref = await net.add_worker(source)
        assert ref.is_alive()
        await warm_up(net, source)
        assert ref.name == "worker-2"
        assert net.get_nodes()[-1] is ref
        assert len(net.get_nodes()) == 3
        assert net.supervisor.size == 3
        async with asyncio.timeout(5):
            await net.random_bytes(32)
            more = await net.add_worker()
            await net.random_bytes(32)
        assert len(net.get_nodes()) == 4
        assert more.name == "worker-3"
        assert source.sizes == [MIN_CONTRIBUTION, MIN_CONTRIBUTION]


async def test_an_added_worker_is_supervised() -> None:
    async with alara.create_network(1) as net:
        async with asyncio.timeout(5):
            added = await net.add_worker()
        added.kill("test")
        nodes = await _wait_for_nodes(net, 2)
        assert nodes[1].name == added.name
        assert nodes[1] is not added


# -- the API ---------------------------------------------------------------------------------


async def test_random_bytes_sizes(network: Network) -> None:
    async with asyncio.timeout(10):
        for n in [*range(0, 70), 1000, 1 << 20]:
            out = await network.random_bytes(n)
            assert type(out) is bytes
            assert len(out) == n


async def test_the_documented_maximums_are_accepted(network: Network) -> None:
    async with asyncio.timeout(10):
        value = await network.random_int(alara.MAX_INT_BITS)
        assert 0 <= value < 1 << alara.MAX_INT_BITS
        below = await network.random_below(1 << alara.MAX_INT_BITS)
        assert 0 <= below < 1 << alara.MAX_INT_BITS
        assert len(await network.random_bytes(1 << 24)) == 1 << 24


async def test_random_bits_are_a_list_of_zero_one_ints(network: Network) -> None:
    async with asyncio.timeout(10):
        for n in [*range(0, 70), 1001]:
            bits = await network.random_bits(n)
            assert isinstance(bits, list)
            assert len(bits) == n
            assert all(type(bit) is int and bit in (0, 1) for bit in bits)
        many = await network.random_bits(4096)
    assert 1500 < sum(many) < 2600  # ~33 standard deviations of slack: cannot flake


@pytest.mark.parametrize("bits", [1, 2, 7, 8, 9, 31, 64, 65, 128, 1000])
async def test_random_int_in_range(network: Network, bits: int) -> None:
    async with asyncio.timeout(10):
        values = [await network.random_int(bits) for _ in range(200)]
    assert all(type(value) is int and 0 <= value < 2**bits for value in values)
    # The top bit is reachable (not shifted away): P(never set in 200 draws) = 2**-200.
    assert any(value >> (bits - 1) for value in values)


async def test_random_int_one_bit_takes_both_values(network: Network) -> None:
    async with asyncio.timeout(5):
        values = {await network.random_int(1) for _ in range(200)}
    assert values == {0, 1}


@pytest.mark.parametrize("upper", [1, 2, 3, 10, 255, 257, 1000, 2**64 + 1])
async def test_random_below_in_range(network: Network, upper: int) -> None:
    async with asyncio.timeout(10):
        values = [await network.random_below(upper) for _ in range(300)]
    assert all(type(value) is int and 0 <= value < upper for value in values)
    if upper <= 3:  # every value shows up: P(miss one) <= 3 * (2/3)**300
        assert set(values) == set(range(upper))


# -- one contribution from every worker, every time ------------------------------------------


async def test_every_request_reads_every_worker_exactly_once() -> None:
    sources = [RecordingSource() for _ in range(4)]
    async with alara.create_network(sources=sources) as net:
        await warm_up(net, *sources)
        async with asyncio.timeout(10):
            for n in (1, 16, 32, 33, 1000, 100_000):
                await net.random_bytes(n)
            await net.random_bits(13)
            await net.random_int(70)
            await net.random_below(1 << 20)  # a power of two: accepted at the first draw
            assert await net.random_bytes(0) == b""  # nothing to mix, nobody is asked
            assert await net.random_bits(0) == []
    for source in sources:
        assert source.sizes == [MIN_CONTRIBUTION] * 9


async def test_output_is_the_mix_of_every_workers_contribution() -> None:
    sources = [RecordingSource() for _ in range(3)]
    async with alara.create_network(sources=sources) as net:
        async with asyncio.timeout(5):
            for n in (5, 32, 64, 500):
                out = await net.random_bytes(n)
                assert out == mix([source.blocks[-1] for source in sources], n)


async def test_contribution_size_is_respected() -> None:
    sources = [RecordingSource() for _ in range(2)]
    async with alara.create_network(sources=sources, contribution_size=64) as net:
        await warm_up(net, *sources)
        async with asyncio.timeout(5):
            await net.random_bytes(1)
            await net.random_bytes(512)
    assert [source.sizes for source in sources] == [[64, 64], [64, 64]]


async def test_concurrent_requests_each_take_a_full_contribution_from_every_worker() -> None:
    sources = [RecordingSource() for _ in range(3)]
    async with alara.create_network(sources=sources) as net:
        await warm_up(net, *sources)
        async with asyncio.timeout(10):
            outputs = await asyncio.gather(*(net.random_bytes(32) for _ in range(40)))
    assert len(set(outputs)) == 40
    for source in sources:
        # Batching may merge reads, but never shares bytes: 32 fresh bytes per request.
        assert sum(source.sizes) == 40 * MIN_CONTRIBUTION
        assert all(size % MIN_CONTRIBUTION == 0 for size in source.sizes)


async def test_outputs_are_distinct_across_requests(network: Network) -> None:
    async with asyncio.timeout(10):
        outputs = [await network.random_bytes(16) for _ in range(500)]
    assert len(set(outputs)) == 500


async def test_changed_waits_for_a_restart(network: Network) -> None:
    victim = network.get_nodes()[0]
    waiter = network.supervisor.changed()
    assert not waiter.done()
    victim.kill("test")
    async with asyncio.timeout(5):
        await waiter
    await _wait_for_nodes(network, 3)


# -- one honest worker, end to end -----------------------------------------------------------


def _hostile_sources() -> list[EntropySource]:
    return [ConstantSource(0), ConstantSource(0xFF), AttackerSource(), PatternSource()]


async def test_one_honest_worker_among_hostile_ones_gives_uniform_output() -> None:
    """Health tests off, so the hostile workers stay in every mix: the mixer alone must cope."""
    sources = [*_hostile_sources(), OsSource()]
    async with alara.create_network(sources=sources, health=None) as net:
        async with asyncio.timeout(20):
            outputs = [await net.random_bytes(32) for _ in range(2048)]
        assert len(net.get_nodes()) == 5
    ok, statistic = looks_uniform(outputs)
    assert ok, statistic
    assert len(set(outputs)) == 2048


async def test_all_hostile_workers_give_a_predictable_sequence() -> None:
    """The attacker who controls every source can replay the output: the honest one matters."""
    runs = []
    for _ in range(2):
        async with alara.create_network(sources=_hostile_sources(), health=None) as net:
            async with asyncio.timeout(10):
                runs.append([await net.random_bytes(32) for _ in range(64)])
    assert runs[0] == runs[1]


async def test_an_awaited_network_can_then_be_entered() -> None:
    net = await alara.create_network(1)
    async with net as entered:  # entered as it is, closed on the way out
        assert entered is net
        assert len(await net.random_bytes(8)) == 8
    assert net.closed


async def test_a_closed_network_is_freed_without_the_garbage_collector(no_collector: None) -> None:
    """Closing ends every cycle through the network (its collector held two of its bound
    methods), so an owner that drops a closed network frees it, and all it holds, at once."""
    net = alara.create_network(3)
    await net.start()
    async with asyncio.timeout(5):
        assert len(await net.random_bytes(32)) == 32
        await net.close()
        await asyncio.sleep(0)  # the shutdown task takes its last step
    probe = weakref.ref(net)
    del net
    assert probe() is None
