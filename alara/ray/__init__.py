"""Remote entropy workers on a Ray cluster (``pip install 'alara-entropy[ray]'``).

::

    import ray
    from alara import create_network
    from alara.ray import RayCluster

    ray.init(address="head:6379")            # with TLS on (see docs/distributed.md)
    async with create_network(workers=2, cluster=RayCluster(nodes="alive")) as net:
        key = await net.random_bytes(32)      # 2 local + one contribution per machine
        print(net.get_cluster_nodes())

Every machine's worker reads that machine's own OS CSPRNG, so one honest machine is enough
for unpredictable output even if another was cloned from a VM snapshot or starved at boot.
A Ray cluster is one trust domain: see ``docs/security.md``.
"""

from __future__ import annotations

from alara import ClusterError, ClusterNode
from alara.ray.cluster import ALIVE, InsecureTransportError, RayCluster, tls_enabled
from alara.ray.host import EntropyHost
from alara.ray.remote import NodeUnreachableError, RemoteCallError, RemoteWorker

__all__ = [
    "ALIVE",
    "ClusterError",
    "ClusterNode",
    "EntropyHost",
    "InsecureTransportError",
    "NodeUnreachableError",
    "RayCluster",
    "RemoteCallError",
    "RemoteWorker",
    "tls_enabled",
]
