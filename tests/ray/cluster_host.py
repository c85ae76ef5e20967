"""Runs the tests' Ray cluster in a process of its own: ``python -m tests.ray.cluster_host``.

Ray starts its daemons with ``subprocess.Popen(preexec_fn=...)``; forked from a test process
full of threads (worker threads of earlier tests, some deliberately stuck), that child can
deadlock before it runs ``exec``. So the cluster lives here, in a clean process whose main
thread (the only one ``Cluster.add_node`` works from) serves one command per line on stdin:

* ``add ADDRESS`` / ``remove ADDRESS``: start a node at that address, or kill every process
  of the node there at once (no graceful goodbye: a crash);
* ``quit``: shut the cluster down.

Each command is answered by one JSON line on the protocol channel (this process's original
stdout; Ray's processes inherit stderr in its place): ``{"ok": true, ...}`` or ``{"ok": false,
"error": "..."}``. The first line gives the cluster's address; the last one, after ``quit``,
how many Ray processes were still alive after the shutdown (it must be 0).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

HEAD = "127.0.0.2"
NODES = ("127.0.0.3", "127.0.0.4")
HEALTH_CHECKS = {
    "health_check_period_ms": 1000,
    "health_check_failure_threshold": 3,
    "health_check_timeout_ms": 1000,
}


def main() -> None:
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # Ray's output goes to stderr, never into the protocol
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # a loaded CI machine
    from ray.cluster_utils import Cluster

    def say(**message: Any) -> None:
        channel.write(json.dumps(message) + "\n")

    cluster = Cluster(initialize_head=True, head_node_args={
        "node_ip_address": HEAD, "num_cpus": 1, "include_dashboard": False,
        "_system_config": HEALTH_CHECKS})
    nodes: dict[str, Any] = {}
    removed: list[Any] = []
    head = cluster.head_node
    try:
        for address in NODES:
            nodes[address] = cluster.add_node(node_ip_address=address, num_cpus=1)
        say(ok=True, address=cluster.address)
        for line in sys.stdin:
            command, _, address = line.strip().partition(" ")
            try:
                if command == "quit":
                    break
                if command == "add":
                    nodes[address] = cluster.add_node(node_ip_address=address, num_cpus=1)
                elif command == "remove":
                    node = nodes.pop(address)
                    cluster.remove_node(node, allow_graceful=False)
                    removed.append(node)
                else:
                    raise ValueError(f"unknown command {command!r}")
                say(ok=True)
            except Exception as error:  # the test sees it, the cluster keeps running
                say(ok=False, error=f"{type(error).__name__}: {error}")
    finally:
        cluster.shutdown()  # type: ignore[no-untyped-call]
        every = [head, *nodes.values(), *removed]
        say(ok=True, leftovers=sum(node.any_processes_alive() for node in every))


if __name__ == "__main__":
    main()
