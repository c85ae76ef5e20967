"""A real three-node Ray cluster on this machine, started once per session and torn down.

The cluster runs in a helper process (``tests.ray.cluster_host``, which says why); the tests
connect to it as a driver, and ask the helper to kill or start nodes.

Head and nodes get their own loopback addresses (127.0.0.2, .3, .4): ``ray.init`` may swap
127.0.0.1 for the machine's external address and hang, and distinct addresses make three
distinct *machines* for alara (which identifies a machine by its address). Health checks are
tuned so a dead node is noticed in about 4 s instead of about 16 s (see ``DETECTION_BOUND``).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

ray = pytest.importorskip("ray")  # the `ray` extra; CI installs it, so these tests do run

from alara import ClusterNode  # noqa: E402
from alara.ray import RayCluster  # noqa: E402
from tests.ray.cluster_host import HEAD as HEAD  # noqa: E402
from tests.ray.cluster_host import HEALTH_CHECKS  # noqa: E402
from tests.ray.cluster_host import NODES as NODES  # noqa: E402

POLL = 0.5
DETECTION_BOUND = (
    HEALTH_CHECKS["health_check_period_ms"] * HEALTH_CHECKS["health_check_failure_threshold"]
    + HEALTH_CHECKS["health_check_timeout_ms"]
) / 1000 + POLL
"""Promised in docs/distributed.md: Ray's detection (period x threshold + timeout) + poll."""
ROOT = Path(__file__).resolve().parents[2]


class LocalCluster:
    """The session's cluster, run by ``tests.ray.cluster_host`` in a process of its own."""

    def __init__(self) -> None:
        self._host = subprocess.Popen(
            [sys.executable, "-m", "tests.ray.cluster_host"], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
        )
        self.address: str = self._answer()["address"]
        self.nodes = set(NODES)

    def _answer(self) -> dict[str, Any]:
        assert self._host.stdout is not None
        line = self._host.stdout.readline()
        if not line:
            raise RuntimeError(f"the cluster host ended (exit code {self._host.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(answer["error"])
        return answer

    def _command(self, line: str) -> dict[str, Any]:
        assert self._host.stdin is not None
        self._host.stdin.write(line + "\n")
        self._host.stdin.flush()
        return self._answer()

    async def remove(self, address: str) -> None:
        """Kill every process of the node at ``address`` (a crash: no graceful goodbye)."""
        await anyio.to_thread.run_sync(self._command, f"remove {address}")
        self.nodes.discard(address)

    async def add(self, address: str) -> None:
        """Start a node at ``address`` (again)."""
        await anyio.to_thread.run_sync(self._command, f"add {address}")
        self.nodes.add(address)

    def shut_down(self) -> int:
        """Stop the cluster; how many of its Ray processes were still alive after."""
        try:
            leftovers: int = self._command("quit")["leftovers"]
            self._host.wait(timeout=60)
            return leftovers
        finally:
            if self._host.poll() is None:  # it hangs: end its whole process group
                os.killpg(self._host.pid, signal.SIGKILL)
                self._host.wait()


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster]:
    """Head + two nodes (one CPU each), connected; nothing of it survives the session."""
    local = LocalCluster()
    try:
        ray.init(address=local.address, log_to_driver=False)
        yield local
    finally:
        ray.shutdown()
        assert local.shut_down() == 0, "Ray processes survived the test session"


@pytest.fixture
async def restore_nodes(local_cluster: LocalCluster) -> AsyncIterator[LocalCluster]:
    """The cluster, with every node a test removed started again afterwards."""
    yield local_cluster
    for address in NODES:
        if address not in local_cluster.nodes:
            await local_cluster.add(address)


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
