"""A TLS-only Ray cluster (certificates from ``trustme``) serving a network end to end.

Run as ``python -m tests.ray.tls_cluster``: Ray reads its TLS settings from the environment
when its processes start, so this runs in a process of its own. Prints one JSON line with
what it saw and exits 0, or raises.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import tempfile
from pathlib import Path

import trustme

HEAD, NODE = "127.0.0.6", "127.0.0.7"


def tls_environment(directory: Path) -> dict[str, str]:
    """Mutual TLS for every Ray process: one CA, one certificate for both addresses."""
    ca = trustme.CA()
    cert = ca.issue_cert(HEAD, NODE, "127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(directory / "ca.crt"))
    cert.private_key_pem.write_to_path(str(directory / "server.key"))
    cert.cert_chain_pems[0].write_to_path(str(directory / "server.crt"))
    return {
        "RAY_USE_TLS": "1",
        "RAY_TLS_SERVER_CERT": str(directory / "server.crt"),
        "RAY_TLS_SERVER_KEY": str(directory / "server.key"),
        "RAY_TLS_CA_CERT": str(directory / "ca.crt"),
    }


def speaks_tls(address: str) -> str:
    """The TLS version the cluster's GCS port answers a mutual-TLS handshake with.

    Proof that the wire is encrypted, not just that an environment variable was set.
    """
    host, _, port = address.rpartition(":")
    context = ssl.create_default_context(cafile=os.environ["RAY_TLS_CA_CERT"])
    context.load_cert_chain(os.environ["RAY_TLS_SERVER_CERT"], os.environ["RAY_TLS_SERVER_KEY"])
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((host, int(port)), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as wrapped:
        return str(wrapped.version())


async def serve(address: str) -> dict[str, object]:
    import alara
    from alara.ray import RayCluster

    cluster = RayCluster(address=address, poll_interval=0.5)  # no opt-out: TLS is on
    async with alara.create_network(workers=1, cluster=cluster, min_sources=3) as net:
        data = await net.random_bytes(64)
        return {
            "bytes": len(data),
            "transport": (net.status().cluster or {}).get("transport"),
            "nodes": sorted((n.address, n.state) for n in net.get_cluster_nodes()),
            "gcs_handshake": speaks_tls(address).startswith("TLS"),
        }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="alara-tls-") as tmp:
        os.environ.update(tls_environment(Path(tmp)))
        os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # a loaded CI machine
        import ray
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True,
                          head_node_args={"node_ip_address": HEAD, "num_cpus": 1,
                                          "include_dashboard": False})
        try:
            cluster.add_node(node_ip_address=NODE, num_cpus=1)
            print(json.dumps(asyncio.run(serve(cluster.address))))
        finally:
            ray.shutdown()
            cluster.shutdown()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
