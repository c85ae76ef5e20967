"""Remote workers on a real three-node Ray cluster: where contributions come from, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import ray

import alara
from alara.ray import RemoteCallError
from alara.ray.remote import RemoteSource
from tests.ray.conftest import HEAD, NODES, LocalCluster, insecure, wait_nodes
from tests.ray.sources import DIE, HANG, TAG, NodeTaggedSource, StuckSource, node_tag


def record(net: alara.Network) -> list[list[bytes]]:
    """Every request's contributions, as the network gathers them (before mixing)."""
    seen: list[list[bytes]] = []
    collect: Callable[[float], Awaitable[list[bytes]]] = net._collector.collect

    async def spy(arrived: float) -> list[bytes]:
        contributions = await collect(arrived)
        seen.append(contributions)
        return contributions

    net._collector.collect = spy  # type: ignore[method-assign]
    return seen


def live_node_tags() -> set[bytes]:
    return {node_tag(row["NodeID"]) for row in ray.nodes() if row["Alive"]}  # type: ignore[no-untyped-call]


async def test_every_contribution_comes_from_a_distinct_node(local_cluster: LocalCluster) -> None:
    cluster = insecure(source=NodeTaggedSource())
    async with alara.create_network(workers=0, cluster=cluster, health=None,
                                    min_sources=3) as net:
        seen = record(net)
        await asyncio.gather(*(net.random_bytes(32) for _ in range(20)))
        assert len(seen) == 20
        expected = live_node_tags()
        assert len(expected) == 3
        for contributions in seen:
            assert len(contributions) == 3
            assert {c[:TAG] for c in contributions} == expected  # one from each machine
            assert all(len(c) == 32 for c in contributions)
        slices = [c for contributions in seen for c in contributions]
        assert len(set(slices)) == len(slices)  # batched rounds still give disjoint bytes
        nodes = net.get_cluster_nodes()
        assert sorted(node.address for node in nodes) == sorted([HEAD, *NODES])
        assert {node_tag(node.node_id) for node in nodes} == expected
        assert all(node.state == "up" and node.worker == f"ray@{node.address}"
                   for node in nodes)
        assert {child.id for child in net.which_children()} == {n.worker for n in nodes}


async def test_concurrent_callers_share_one_remote_call_per_node(
    local_cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[tuple[str, int]] = []
    read = RemoteSource.read

    async def counted(self: RemoteSource, n: int) -> bytes:
        reads.append((repr(self), n))
        return await read(self, n)

    monkeypatch.setattr(RemoteSource, "read", counted)
    callers = 60
    async with alara.create_network(workers=0, cluster=insecure(), health=None,
                                    min_sources=3) as net:
        seen = record(net)
        reads.clear()  # start-up probes, if any, are not the requests'
        outputs = await asyncio.gather(*(net.random_bytes(32) for _ in range(callers)))
    assert len(set(outputs)) == callers
    assert all(len(contributions) == 3 for contributions in seen)
    per_node = {name: [n for who, n in reads if who == name] for name, _ in reads}
    assert len(per_node) == 3
    for sizes in per_node.values():
        assert sum(sizes) == 32 * callers  # every caller took 32 fresh bytes from every node
        assert len(sizes) < callers / 4  # in a few batched remote calls, not one per caller
        assert max(sizes) > 32


async def test_local_and_remote_workers_mix(local_cluster: LocalCluster) -> None:
    cluster = insecure(nodes=list(NODES), source=NodeTaggedSource())
    async with alara.create_network(workers=2, cluster=cluster, health=None,
                                    min_sources=4) as net:
        seen = record(net)
        assert len(await net.random_bytes(64)) == 64
        [contributions] = seen
        assert len(contributions) == 4
        remote = {node_tag(node.node_id) for node in net.get_cluster_nodes()}
        assert len(remote) == 2
        assert sum(c[:TAG] in remote for c in contributions) == 2
        status = net.status()
        assert (status.workers, status.configured, status.serving) == (4, 4, True)
        assert status.cluster is not None
        assert status.cluster["transport"] == "insecure"
        assert [n["state"] for n in status.cluster["nodes"]] == ["up", "up"]
        assert status.to_dict()["cluster"] == status.cluster


async def test_killed_entropy_actor_is_restarted_on_its_node(local_cluster: LocalCluster) -> None:
    address = NODES[0]
    cluster = insecure(nodes=[address], source=NodeTaggedSource())
    async with alara.create_network(workers=1, cluster=cluster, health=None,
                                    min_sources=2) as net:
        seen = record(net)
        worker = f"ray@{address}"
        before = net.supervisor.child_ref(worker)
        assert before is not None
        [node] = net.get_cluster_nodes()
        with pytest.raises(alara.ActorDiedError):  # the call that kills the actor's process
            await alara.get_random_bytes(before, DIE, timeout=10)
        exit = await before.wait()
        assert isinstance(exit.error, RemoteCallError)
        async with asyncio.timeout(30):
            while (after := net.supervisor.child_ref(worker)) is before or after is None:
                await net.supervisor.changed()
        assert after.name == worker
        data = await net.random_bytes(32)  # waits for the new entropy actor to be ready
        assert len(data) == 32
        assert seen[-1][1][:TAG] == node_tag(node.node_id)  # same node, new actor
        assert net.get_cluster_nodes()[0].state == "up"
        assert [child.restarts for child in net.which_children() if child.id == worker] == [1]
        assert net.quarantined() == []


async def test_a_node_whose_source_fails_its_health_tests_is_quarantined(
    local_cluster: LocalCluster,
) -> None:
    address = NODES[0]
    cluster = insecure(nodes=[address], source=StuckSource())
    async with alara.create_network(workers=1, cluster=cluster, min_sources=1) as net:
        worker = f"ray@{address}"
        for _ in range(10):  # each request meets the stuck source once more, on its node
            assert len(await net.random_bytes(32)) == 32  # min_sources=1: the local one serves
            if net.quarantined():
                break
        assert net.quarantined() == [worker]
        reason = net.status().quarantined[worker].reason
        assert "HealthTestError" in reason
        assert address in reason
        [node] = await wait_nodes(cluster, lambda nodes: nodes[0].state == "down", timeout=10)
        assert node.reason == "worker quarantined"


async def test_a_remote_call_that_misses_remote_timeout_restarts_its_worker(
    local_cluster: LocalCluster,
) -> None:
    address = NODES[0]
    cluster = insecure(nodes=[address], source=NodeTaggedSource(), remote_timeout=1.0)
    async with alara.create_network(workers=1, cluster=cluster, health=None) as net:
        worker = f"ray@{address}"
        before = net.supervisor.child_ref(worker)
        assert before is not None
        with pytest.raises(alara.ActorDiedError):  # not the 60 s the node would take
            await alara.get_random_bytes(before, HANG, timeout=30)
        exit = await before.wait()
        assert isinstance(exit.error, RemoteCallError)
        assert "no reply within remote_timeout=1.0s" in exit.reason
        assert len(await net.random_bytes(32)) == 32  # fail closed: the restarted one gave
        assert net.quarantined() == []  # a late machine is not a broken source
        assert net.get_cluster_nodes()[0].state == "up"
