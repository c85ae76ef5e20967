"""Bad input and unusable clusters get clear errors, and leave nothing running."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc
import pytest
import ray

import alara
from alara.ray import ClusterError, InsecureTransportError, RayCluster
from tests.ray.conftest import NODES, LocalCluster, insecure


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"nodes": "all"}, ValueError, "nodes must be 'alive'"),
        ({"nodes": []}, ValueError, "at least one node"),
        ({"nodes": 3}, TypeError, "nodes must be 'alive' or a list"),
        ({"nodes": ["127.0.0.3", 4]}, TypeError, "non-empty str"),
        ({"remote_timeout": 0}, ValueError, "remote_timeout"),
        ({"remote_timeout": "5"}, TypeError, "remote_timeout"),
        ({"insecure_transport": 1}, TypeError, "insecure_transport must be a bool"),
        ({"address": ""}, TypeError, "address"),
        ({"source": object()}, TypeError, "source must have a read"),
        ({"poll_interval": -1.0}, ValueError, "poll_interval"),
    ],
)
def test_bad_arguments_are_named(options: dict[str, Any], error: type[Exception],
                                 match: str) -> None:
    with pytest.raises(error, match=match):
        RayCluster(**options)


def test_network_arguments() -> None:
    with pytest.raises(TypeError, match="cluster must be a Cluster"):
        alara.create_network(cluster=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers"):
        alara.create_network(workers=0)  # no cluster: at least one local worker


async def test_unknown_node_id_fails_the_start(local_cluster: LocalCluster) -> None:
    unknown = "ab" * 28
    net = alara.create_network(workers=1, cluster=insecure(nodes=[NODES[0], unknown]))
    with pytest.raises(ValueError, match=f"{unknown!r} is not a node of this Ray cluster"):
        await net.start()
    assert net.closed


async def test_same_machine_twice(local_cluster: LocalCluster) -> None:
    node_id = next(row["NodeID"] for row in ray.nodes()  # type: ignore[no-untyped-call]
                   if row["Alive"] and row["NodeManagerAddress"] == NODES[0])
    net = alara.create_network(workers=1, cluster=insecure(nodes=[NODES[0], node_id]))
    with pytest.raises(ValueError, match="chosen once"):
        await net.start()


async def test_min_sources_above_the_pool(local_cluster: LocalCluster) -> None:
    net = alara.create_network(workers=1, cluster=insecure(nodes=[NODES[0]]), min_sources=3)
    with pytest.raises(ValueError, match=r"min_sources must be at most the pool size \(1 local "
                                         r"\+ 1 remote"):
        await net.start()
    assert net.closed
    assert not any(child.alive for child in net.which_children())


async def test_unreachable_cluster(local_cluster: LocalCluster) -> None:
    net = alara.create_network(cluster=insecure(address="127.0.0.9:9", connect_timeout=2.0))
    with pytest.raises(ClusterError, match=r"127\.0\.0\.9:9' is not reachable"):
        await net.start()
    assert net.closed


async def test_another_cluster_while_connected(local_cluster: LocalCluster) -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.5", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    try:  # something answers there, but this process is connected to another cluster
        net = alara.create_network(cluster=insecure(address=f"127.0.0.5:{port}"))
        with pytest.raises(ClusterError, match=r"Ray is already connected to '127\.0\.0\.2:"):
            await net.start()
    finally:
        await listener.aclose()


async def test_ray_not_initialised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    net = alara.create_network(cluster=insecure())
    with pytest.raises(ClusterError, match=r"Ray is not initialised: call ray.init"):
        await net.start()


async def test_no_tls_is_refused_without_the_opt_out(local_cluster: LocalCluster,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    net = alara.create_network(workers=1, cluster=RayCluster())
    with pytest.raises(InsecureTransportError, match="insecure_transport=True"):
        await net.start()
    assert net.closed


async def test_a_cluster_serves_one_network(local_cluster: LocalCluster) -> None:
    cluster = insecure(nodes=[NODES[0]])
    async with alara.create_network(workers=1, cluster=cluster):
        second = alara.create_network(workers=1, cluster=cluster)
        with pytest.raises(ClusterError, match="already used by a network"):
            await second.start()
