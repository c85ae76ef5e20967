"""A request gathered from 3 Ray nodes: alara vs the same remote calls without alara vs local.

Run: ``make bench-ray`` (``python -m benchmarks.ray_remote``). Starts a local 3-node Ray cluster
(head 127.0.0.2, nodes 127.0.0.3 and .4, one CPU each), then measures, in one run:

* **direct**: three Ray actors pinned one per node (``NodeAffinitySchedulingStrategy``), a
  request = ``asyncio.gather`` of one ``read.remote(32)`` per actor + the same SHA3 mix: the
  floor of any design that asks 3 machines per request, with no supervision, rounds or checks;
* **alara remote**: ``create_network(workers=0, cluster=RayCluster(...))`` (fail closed: all 3);
* **alara local**: ``create_network(workers=3)`` on this machine.

Latency: ``--requests`` sequential 32-byte requests, p50/p99. Throughput: ``--callers``
concurrent callers, each making one request per wave. The cases take turns, in ``--blocks``
interleaved blocks, so that the drifting load of a shared machine falls on all of them
alike. Direct callers each make their own 3 remote calls; alara batches every caller waiting
into one remote call per node per round. Ratios are within this run; the machine's load is
printed with them. Loop lag (``benchmarks.looplag``'s ticker) is measured while the remote
network starts and serves: the blocking Ray calls run in threads and replies are awaited as
futures, so the loop thread should stay free.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import ray
from ray.cluster_utils import Cluster
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import alara
from alara.ray import RayCluster
from alara.ray.host import host_class
from benchmarks.looplag import measure as loop_lag

Request = Callable[[], Awaitable[bytes]]


async def latencies(request: Request, count: int) -> list[float]:
    """Seconds per request, ``count`` requests one after the other."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await request()
        times.append(time.perf_counter() - start)
    return times


async def wave(request: Request, callers: int) -> float:
    """Seconds for ``callers`` concurrent callers to get one request each."""
    start = time.perf_counter()
    await asyncio.gather(*(request() for _ in range(callers)))
    return time.perf_counter() - start


def percentile(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    node_ids = [row["NodeID"] for row in ray.nodes() if row["Alive"]]  # type: ignore[no-untyped-call]
    hosts = [
        host_class().options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)
        ).remote(None, None, 0)
        for node_id in node_ids
    ]
    await asyncio.gather(*(host.hello.remote() for host in hosts))

    async def direct() -> bytes:
        replies = await asyncio.gather(*(host.read.remote(32) for host in hosts))
        return alara.mix(list(replies), 32)

    results: dict[str, Any] = {"cases": {}}
    remote = alara.create_network(workers=0, cluster=RayCluster(insecure_transport=True))
    lag: dict[str, tuple[float, float, float]] = {"start (3 entropy actors created)": (
        await loop_lag(remote.start))}
    async with remote, alara.create_network(workers=3) as local:
        lag["100 sequential remote requests"] = await loop_lag(
            lambda: latencies(lambda: remote.random_bytes(32), 100))
        lag[f"{args.callers} concurrent remote callers"] = await loop_lag(
            lambda: wave(lambda: remote.random_bytes(32), args.callers))
        lag[f"{args.callers} concurrent local callers (reference)"] = await loop_lag(
            lambda: wave(lambda: local.random_bytes(32), args.callers))
        results["loop lag"] = lag
        cases: dict[str, Request] = {
            "direct (3 Ray calls + mix)": direct,
            "alara remote (3 Ray nodes)": lambda: remote.random_bytes(32),
            "alara local (3 workers)": lambda: local.random_bytes(32),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        waves: dict[str, float] = dict.fromkeys(cases, 0.0)
        for request in cases.values():  # warm-up
            await latencies(request, 20)
            await wave(request, args.callers)
        # Interleaved blocks: the machine's load drifts, and every case should see the same.
        for _ in range(args.blocks):
            for name, request in cases.items():
                times[name] += await latencies(request, args.requests // args.blocks)
            for _ in range(args.waves):
                for name, request in cases.items():
                    waves[name] += await wave(request, args.callers)
        for name in cases:
            results["cases"][name] = {
                "p50_ms": percentile(times[name], 50) * 1e3,
                "p99_ms": percentile(times[name], 99) * 1e3,
                "throughput_rps": args.callers * args.waves * args.blocks / waves[name],
            }
    for host in hosts:
        ray.kill(host)
    return results


def report(results: dict[str, Any], args: argparse.Namespace, load: tuple[float, ...]) -> str:
    cases = results["cases"]
    base = cases["direct (3 Ray calls + mix)"]
    when = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M}"
    lines = [
        f"`python -m benchmarks.ray_remote --requests {args.requests} --callers "
        f"{args.callers} --waves {args.waves} --blocks {args.blocks}`, {when} UTC, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"({os.cpu_count()} cores), Ray {ray.__version__}, no TLS.",
        "",
        "| case | p50 | p99 | p50 vs direct | throughput, "
        f"{args.callers} callers | vs direct |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in cases.items():
        lines.append(
            f"| {name} | {row['p50_ms']:.3f} ms | {row['p99_ms']:.3f} ms | "
            f"{row['p50_ms'] / base['p50_ms']:.2f}x | {row['throughput_rps']:,.0f} req/s | "
            f"{row['throughput_rps'] / base['throughput_rps']:.2f}x |"
        )
    lines += ["", "| while | worst loop stall (wall) | worst loop-thread CPU stall | wall time |",
              "|---|---|---|---|"]
    for name, (wall_ms, cpu_ms, seconds) in results["loop lag"].items():
        lines.append(f"| {name} | {wall_ms:.2f} ms | {cpu_ms:.2f} ms | {seconds:.2f} s |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--waves", type=int, default=2, help="waves per block")
    parser.add_argument("--blocks", type=int, default=5,
                        help="interleaved blocks (each case in turn, every block)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # slow, busy machines
    cluster = Cluster(initialize_head=True, head_node_args={
        "node_ip_address": "127.0.0.2", "num_cpus": 1, "include_dashboard": False})
    try:
        for address in ("127.0.0.3", "127.0.0.4"):
            cluster.add_node(node_ip_address=address, num_cpus=1)
        ray.init(address=cluster.address, log_to_driver=False)
        results = asyncio.run(measure(args))
    finally:
        ray.shutdown()
        cluster.shutdown()  # type: ignore[no-untyped-call]
    load = os.getloadavg()
    print(report(results, args, load))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"results": results, "load": load, "args": vars(args)}, out, indent=2)


if __name__ == "__main__":
    main()
