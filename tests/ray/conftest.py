"""A real three-node Ray cluster on this machine, started once per session and torn down.

Head and nodes get their own loopback addresses (127.0.0.2, .3, .4): ``ray.init`` may swap
127.0.0.1 for the machine's external address and hang, and distinct addresses make three
distinct *machines* for alara (which identifies a machine by its address). Health checks are
tuned so a dead node is noticed in about 4 s instead of about 16 s (see ``DETECTION_BOUND``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

ray = pytest.importorskip("ray")  # the `ray` extra; CI installs it, so these tests do run
from ray.cluster_utils import Cluster  # noqa: E402

from alara.entropy.cluster import ClusterNode  # noqa: E402
from alara.ray import RayCluster  # noqa: E402

HEAD = "127.0.0.2"
NODES = ("127.0.0.3", "127.0.0.4")
HEALTH_CHECKS = {
    "health_check_period_ms": 1000,
    "health_check_failure_threshold": 3,
    "health_check_timeout_ms": 1000,
}
POLL = 0.5
DETECTION_BOUND = (
    HEALTH_CHECKS["health_check_period_ms"] * HEALTH_CHECKS["health_check_failure_threshold"]
    + HEALTH_CHECKS["health_check_timeout_ms"]
) / 1000 + POLL
"""Promised in docs/distributed.md: Ray's detection (period x threshold + timeout) + poll."""


@dataclass
class LocalCluster:
    """The session's cluster: Ray's ``Cluster`` and its worker nodes by address."""

    cluster: Any
    nodes: dict[str, Any]
    removed: list[Any] = field(default_factory=list)

    def remove(self, address: str) -> None:
        """Kill every process of the node at ``address`` (a crash: no graceful goodbye)."""
        node = self.nodes.pop(address)
        self.cluster.remove_node(node, allow_graceful=False)
        self.removed.append(node)

    def add(self, address: str) -> None:
        """Start a node at ``address`` again (main thread only, as Ray requires)."""
        self.nodes[address] = self.cluster.add_node(node_ip_address=address, num_cpus=1)

    def all_processes_gone(self) -> bool:
        every = [self.cluster.head_node, *self.nodes.values(), *self.removed]
        return not any(node is not None and node.any_processes_alive() for node in every)


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster]:
    """Head + two nodes (one CPU each), connected; nothing of it survives the session."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"node_ip_address": HEAD, "num_cpus": 1, "include_dashboard": False,
                        "_system_config": HEALTH_CHECKS},
    )
    local = LocalCluster(cluster, {})
    try:
        for address in NODES:
            local.add(address)
        ray.init(address=cluster.address, log_to_driver=False)
        yield local
    finally:
        head = cluster.head_node
        ray.shutdown()
        cluster.shutdown()  # type: ignore[no-untyped-call]
        leftovers = [node for node in [head, *local.nodes.values(), *local.removed]
                     if node is not None and node.any_processes_alive()]
        assert not leftovers, "Ray processes survived the test session"


@pytest.fixture
def restore_nodes(local_cluster: LocalCluster) -> Iterator[LocalCluster]:
    """The cluster, with every node a test removed started again afterwards."""
    yield local_cluster
    for address in NODES:
        if address not in local_cluster.nodes:
            local_cluster.add(address)


def insecure(**options: Any) -> RayCluster:
    """A ``RayCluster`` for the loopback test cluster (no TLS: every node is this machine)."""
    options.setdefault("poll_interval", POLL)
    options.setdefault("remote_timeout", 3.0)
    return RayCluster(insecure_transport=True, **options)


async def wait_nodes(
    cluster: RayCluster, check: Callable[[list[ClusterNode]], bool], timeout: float
) -> list[ClusterNode]:
    """Wait (no polling) until ``check(cluster.nodes())``; ``TimeoutError`` after ``timeout``."""
    async with asyncio.timeout(timeout):
        while True:
            changed = cluster.changed()
            nodes = cluster.nodes()
            if check(nodes):
                return nodes
            await changed


def state_of(nodes: list[ClusterNode], address: str) -> str:
    return next(node.state for node in nodes if node.address == address)
