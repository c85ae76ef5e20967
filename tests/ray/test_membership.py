"""The cluster view on a real cluster: a node that dies is marked down, and comes back."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest

import alara
from tests.ray.conftest import DETECTION_BOUND, NODES, LocalCluster, insecure, state_of, wait_nodes
from tests.ray.sources import TAG, NodeTaggedSource, node_tag
from tests.ray.test_remote_workers import record


async def test_node_down_then_back(
    restore_nodes: LocalCluster, logs: list[MutableMapping[str, Any]]
) -> None:
    victim = NODES[1]
    strict_cluster = insecure(source=NodeTaggedSource())  # fail closed: all 3 machines
    lenient_cluster = insecure(source=NodeTaggedSource())  # opt-in: 2 of 3 are enough
    async with (
        alara.create_network(workers=0, cluster=strict_cluster, health=None) as strict,
        alara.create_network(workers=0, cluster=lenient_cluster, health=None,
                             min_sources=2) as lenient,
    ):
        seen = record(lenient)
        await strict.random_bytes(32)
        await lenient.random_bytes(32)
        old_id = next(n.node_id for n in strict.get_cluster_nodes() if n.address == victim)

        await restore_nodes.remove(victim)  # all its processes killed at once, like a power cut
        for cluster in (strict_cluster, lenient_cluster):
            await wait_nodes(cluster, lambda nodes: state_of(nodes, victim) == "down",
                             timeout=2 * DETECTION_BOUND)
        [down] = [n for n in strict.get_cluster_nodes() if n.address == victim]
        assert (down.state, down.worker, down.node_id) == ("down", f"ray@{victim}", old_id)
        assert down.reason == "node died"
        assert [n.state for n in strict.get_cluster_nodes()].count("up") == 2
        assert f"ray@{victim}" not in {child.id for child in strict.which_children()}
        events = [e for e in logs if e["event"] == "cluster.node_down"]
        assert {e["address"] for e in events} == {victim}
        assert all("bytes" not in str(e) for e in events)

        with pytest.raises(alara.PoolDegradedError, match=f"ray@{victim} down"):
            await strict.random_bytes(32)  # fail closed: a machine is missing
        seen.clear()
        assert len(await lenient.random_bytes(32)) == 32  # the opt-in serves from 2
        assert len(seen[-1]) == 2
        assert node_tag(old_id) not in {c[:TAG] for c in seen[-1]}

        await restore_nodes.add(victim)  # a new Ray node (new id) on the same machine
        for cluster in (strict_cluster, lenient_cluster):
            await wait_nodes(cluster, lambda nodes: state_of(nodes, victim) == "up",
                             timeout=60)
        [back] = [n for n in strict.get_cluster_nodes() if n.address == victim]
        assert back.node_id != old_id
        assert back.since > down.since
        seen.clear()
        assert len(await strict.random_bytes(32)) == 32
        assert len(await lenient.random_bytes(32)) == 32
        assert node_tag(back.node_id) in {c[:TAG] for c in seen[-1]}
        assert len(seen[-1]) == 3
        assert {e["address"] for e in logs if e["event"] == "cluster.node_up"} >= {victim}


async def test_a_joining_node_gets_a_worker(local_cluster: LocalCluster) -> None:
    newcomer = "127.0.0.5"
    cluster = insecure(source=NodeTaggedSource())  # nodes="alive": newcomers included
    async with alara.create_network(workers=0, cluster=cluster, health=None,
                                    min_sources=3) as net:
        seen = record(net)
        await local_cluster.add(newcomer)
        try:
            nodes = await wait_nodes(cluster, lambda nodes: any(
                n.address == newcomer and n.state == "up" for n in nodes), timeout=60)
            assert len(nodes) == 4
            assert f"ray@{newcomer}" in {child.id for child in net.which_children()}
            await net.random_bytes(32)
            assert len(seen[-1]) == 4
            new_id = next(n.node_id for n in nodes if n.address == newcomer)
            assert node_tag(new_id) in {c[:TAG] for c in seen[-1]}
        finally:
            await local_cluster.remove(newcomer)
        await wait_nodes(cluster, lambda nodes: state_of(nodes, newcomer) == "down",
                         timeout=2 * DETECTION_BOUND)
        assert len(await net.random_bytes(32)) == 32  # min_sources=3 of the 4: still served
