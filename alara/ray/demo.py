"""``python -m alara demo --ray``: a 3-node Ray cluster on this machine, a node lost and back.

Starts a head and two nodes on their own loopback addresses (127.0.0.2, .3, .4), a network of
one local worker plus one remote worker per node, shows the cluster view, kills a node (all
its processes at once), shows it marked down and requests refused (fail closed), starts it
again and shows it up and contributing. Health checks are tuned (1 s x 3 + 1 s) so the loss
is noticed in seconds. Everything runs on this machine, hence ``insecure_transport=True``.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import ray
from ray.cluster_utils import Cluster

from alara import ClusterNode, Network, PoolDegradedError, create_network
from alara.ray.cluster import RayCluster

__all__ = ["run_ray_demo"]

HEAD, NODES = "127.0.0.2", ("127.0.0.3", "127.0.0.4")
HEALTH_CHECKS = {"health_check_period_ms": 1000, "health_check_failure_threshold": 3,
                 "health_check_timeout_ms": 1000}


def show(net: Network) -> None:
    """Print the cluster view (ALARA's ``get_cluster_nodes()``)."""
    now = time.time()
    for node in net.get_cluster_nodes():
        reason = f" ({node.reason})" if node.reason else ""
        print(f"  {node.address:<10} {node.state:<4} for {now - node.since:5.1f}s  "
              f"node {node.node_id[:12]}  worker {node.worker}{reason}")


async def until(cluster: RayCluster, address: str, state: str, timeout: float) -> ClusterNode:
    """Wait for ``address`` to reach ``state`` (on the cluster's change events, no polling)."""
    async with asyncio.timeout(timeout):
        while True:
            changed = cluster.changed()
            for node in cluster.nodes():
                if node.address == address and node.state == state:
                    return node
            await changed


async def story(local: Cluster, nodes: dict[str, Any]) -> None:
    cluster = RayCluster(insecure_transport=True, poll_interval=0.5)
    async with create_network(workers=1, cluster=cluster) as net:
        print("network of 1 local + 3 remote workers (fail closed: every one must give):")
        show(net)
        print(f"random_bytes(32) = {(await net.random_bytes(32)).hex()}")

        victim = NODES[1]
        print(f"killing every process of node {victim} ...")
        start = time.monotonic()
        local.remove_node(nodes.pop(victim), allow_graceful=False)
        await until(cluster, victim, "down", timeout=60)
        print(f"marked down after {time.monotonic() - start:.1f}s:")
        show(net)
        try:
            await net.random_bytes(32)
        except PoolDegradedError as error:
            print(f"request refused (fail closed): {error}")

        print(f"starting a node on {victim} again ...")
        nodes[victim] = local.add_node(node_ip_address=victim, num_cpus=1)
        await until(cluster, victim, "up", timeout=60)
        print("back up:")
        show(net)
        print(f"random_bytes(32) = {(await net.random_bytes(32)).hex()}  (every machine again)")


def run_ray_demo() -> None:
    """Start the local cluster, tell the story, and stop every Ray process it started."""
    print("starting a Ray cluster: head 127.0.0.2, nodes 127.0.0.3 and 127.0.0.4 ...")
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # slow, busy machines
    local = Cluster(initialize_head=True, head_node_args={
        "node_ip_address": HEAD, "num_cpus": 1, "include_dashboard": False,
        "_system_config": HEALTH_CHECKS})
    try:
        nodes = {address: local.add_node(node_ip_address=address, num_cpus=1)
                 for address in NODES}
        ray.init(address=local.address, log_to_driver=False)
        asyncio.run(story(local, nodes))
    finally:
        ray.shutdown()
        local.shutdown()  # type: ignore[no-untyped-call]
