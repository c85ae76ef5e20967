"""``python -m benchmarks.ray_remote`` (``make bench-ray``): a request gathered from 3 Ray nodes.

A local 3-node Ray cluster (127.0.0.2-4, one CPU each); in interleaved blocks: **direct**
(three plain Ray actors pinned one per node, ``read.remote(32)`` on each, gathered and mixed:
the floor of any design asking 3 machines per request), **alara remote**
(``create_network(workers=0, cluster=RayCluster(...))``) and **alara local** (3 local
workers). Sequential 32-byte requests (p50/p99) and ``--callers`` concurrent callers.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import ray
from ray.cluster_utils import Cluster
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import alara
from alara.ray import RayCluster
from benchmarks._harness import (
    Row,
    arguments,
    heading,
    markdown_table,
    percentile,
    provenance,
    write_files,
)
from benchmarks.requests import alternating, os_pool, rates


class _Reader:
    """The direct baseline's remote actor: ``os.urandom`` on its node."""

    def read(self, n: int) -> bytes:
        return os.urandom(n)


async def measure(requests: int, callers: int, blocks: int) -> list[Row]:
    """p50, p99 and requests/s of alara remote and alara local, each against direct."""
    reader = ray.remote(num_cpus=0)(_Reader)
    readers = [reader.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
        node["NodeID"], soft=False)).remote()
        for node in ray.nodes() if node["Alive"]]  # type: ignore[no-untyped-call]

    async def direct() -> bytes:
        replies = await asyncio.gather(*(r.read.remote(32) for r in readers))  # type: ignore[attr-defined]
        return alara.mix(list(replies), 32)

    async with alara.create_network(workers=0, cluster=RayCluster(insecure_transport=True)
                                    ) as remote, os_pool() as local:
        cases: dict[str, Callable[[], Awaitable[bytes]]] = {
            "direct": direct, "alara remote (3 Ray nodes)": lambda: remote.random_bytes(32),
            "alara local (3 workers)": lambda: local.random_bytes(32)}
        times = await alternating(cases, requests, blocks, warmup=20)
        found = await rates(cases, callers, 1, blocks)
    return [row for case in list(cases)[1:] for row in (
        *(Row(f"ray.{case}.{q}", f"{case}, p{q * 100:.0f}", "µs",
              percentile(times[case], q) / 1e3, percentile(times["direct"], q) / 1e3,
              "3 Ray calls + mix") for q in (0.5, 0.99)),
        Row(f"ray.{case}.rate", f"{case}, {callers} callers", "calls/s", found[case],
            found["direct"], "3 Ray calls + mix", higher_is_better=True))]


def main(argv: list[str] | None = None) -> int:
    """Start the cluster, measure, print and write the table, stop the cluster."""
    parser = arguments("python -m benchmarks.ray_remote", __doc__, "ray")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--blocks", type=int, default=5, help="interleaved blocks")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.blocks = 50, 2
    meta: dict[str, Any] = {**provenance(), "ray": ray.__version__}
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # slow, busy machines
    cluster = Cluster(initialize_head=True, head_node_args={
        "node_ip_address": "127.0.0.2", "num_cpus": 1, "include_dashboard": False})
    try:
        for address in ("127.0.0.3", "127.0.0.4"):
            cluster.add_node(node_ip_address=address, num_cpus=1)
        ray.init(address=cluster.address, log_to_driver=False)
        rows = asyncio.run(measure(args.requests, args.callers, args.blocks))
    finally:
        ray.shutdown()
        cluster.shutdown()  # type: ignore[no-untyped-call]
    text = heading(meta, f"Ray {ray.__version__}, no TLS") + markdown_table(rows)
    write_files(args, {"meta": meta, "rows": [asdict(row) for row in rows]}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
