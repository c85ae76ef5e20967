"""``RayCluster``: remote workers on the machines of a Ray cluster, and the cluster view.

One remote worker per chosen machine joins the network's pool (see ``alara.ray.remote``); a
supervised ``ClusterMonitor`` follows Ray's membership. A machine is identified by its address
(a Ray node that restarts gets a new node id, but it is the same machine with the same kernel
CSPRNG, and several Ray nodes on one address share that CSPRNG, so they count as one).

States: a machine is ``up`` once its entropy actor answered from that node; ``down`` when Ray
says the node died, when its actor cannot be created there, or while a new worker starts.
A down machine's worker is out of the pool (so the fail-closed floor names it when a request
needs it) and comes back when Ray shows a live node at that address again: at once for a new
node id, after ``retry_interval`` for the same one (ALARA retries every 10 s).

Detection bound: a machine that dies is marked down within Ray's own detection time plus
``poll_interval``, or sooner when a request reaches its worker first. Ray's detection time is
``health_check_period_ms x health_check_failure_threshold`` (+ ``health_check_timeout_ms``),
about 16 s by default, set through ``_system_config`` on the head (``docs/distributed.md``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import ray

from alara import (
    ChildSpec,
    ClusterError,
    ClusterNode,
    ClusterPool,
    EntropySource,
    Exit,
    OneForOneSupervisor,
)
from alara.actors import check_positive_float, get_logger
from alara.entropy import NodeState, check_source
from alara.ray.monitor import POLL, ClusterMonitor
from alara.ray.remote import NodeLink, NodeUnreachableError, RemoteCallError, RemoteWorker

__all__ = ["ALIVE", "InsecureTransportError", "RayCluster", "tls_enabled"]

ALIVE = "alive"
"""``nodes=ALIVE``: a remote worker for every live node, including nodes that join later."""

_log = get_logger("cluster")
_WORKER_PREFIX = "ray@"


class InsecureTransportError(ClusterError):
    """Remote workers refused: the Ray cluster does not use TLS and no opt-out was given."""


def tls_enabled() -> bool:
    """Whether this process talks to Ray over mutual TLS (Ray's ``RAY_USE_TLS``).

    A driver can only join a TLS cluster with TLS on, and Ray encrypts its gRPC channels
    (calls, replies, objects) when it is, so this is the switch that matters here.
    """
    return os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true")


@dataclass(slots=True)
class _Machine:
    """One chosen machine: the mutable row behind a ``ClusterNode``."""

    address: str
    node_id: str
    worker: str
    state: NodeState = "down"
    since: float = field(default_factory=time.time)
    reason: str = "starting"
    retired: bool = False
    ready: asyncio.Future[bool] | None = None

    def view(self) -> ClusterNode:
        return ClusterNode(self.node_id, self.address, self.state, self.since, self.worker,
                           "" if self.state == "up" else self.reason)


class RayCluster:
    """Remote workers on the machines of a Ray cluster (pass as ``create_network(cluster=)``).

    Args:
        nodes: ``"alive"`` (default): every live node, and nodes that join later; or a list of
            Ray node ids (hex) or node addresses: exactly those machines.
        remote_timeout: deadline of one remote call in seconds (ALARA's ``remote_timeout_ms``),
            within the request's own ``timeout``; a call that misses it crashes its worker,
            whose supervisor restarts it.
        insecure_transport: allow a cluster without TLS (contributions then cross the network
            in clear). Only for clusters on one machine, e.g. tests on loopback.
        address: connect to the Ray cluster at this GCS address (``host:port``) if this
            process is not connected yet; with ``None``, ``ray.init`` must have been called.
        source: what each node reads (default: its OS CSPRNG); a picklable ``EntropySource``
            with a synchronous ``read``, importable on every node.
        poll_interval: seconds between two reads of Ray's node table.
        retry_interval: seconds before a down machine whose node Ray still lists as alive
            is tried again.
        start_timeout: how long a new entropy actor may take to start (Ray starts a process).
        connect_timeout: how long to wait for the cluster at ``address`` to answer.

    Raises:
        TypeError, ValueError: an argument of the wrong type or out of range (named).
    """

    def __init__(
        self,
        nodes: str | list[str] | tuple[str, ...] = ALIVE,
        *,
        remote_timeout: float = 5.0,
        insecure_transport: bool = False,
        address: str | None = None,
        source: EntropySource | None = None,
        poll_interval: float = 1.0,
        retry_interval: float = 10.0,
        start_timeout: float = 30.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._selection: str | tuple[str, ...] = _check_nodes(nodes)
        self._remote_timeout = check_positive_float("remote_timeout", remote_timeout, 3600.0)
        if type(insecure_transport) is not bool:
            raise TypeError(f"insecure_transport must be a bool, "
                            f"got {type(insecure_transport).__name__}")
        self._insecure = insecure_transport
        if address is not None and (not isinstance(address, str) or not address):
            raise TypeError(f"address must be a non-empty str or None, got {address!r}")
        self._address = address
        self._source = None if source is None else check_source("source", source)
        self._poll_interval = check_positive_float("poll_interval", poll_interval, 3600.0)
        self._retry_interval = check_positive_float("retry_interval", retry_interval, 86_400.0)
        self._start_timeout = check_positive_float("start_timeout", start_timeout, 3600.0)
        self._connect_timeout = check_positive_float("connect_timeout", connect_timeout, 3600.0)
        self._machines: dict[str, _Machine] = {}  # by address
        self._workers: dict[str, _Machine] = {}  # by worker (child) id
        self._pool: ClusterPool | None = None
        self._monitor = OneForOneSupervisor(
            [ChildSpec("cluster-monitor",
                       lambda: ClusterMonitor(self._reconcile, self._poll_interval))],
            name="alara.cluster",
        )
        self._owns_ray = False
        self._stopped = False
        self._waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        up = sum(machine.state == "up" for machine in self._machines.values())
        return f"<RayCluster nodes={self._selection!r} up={up}/{len(self._machines)}>"

    @property
    def remote_timeout(self) -> float:
        """Deadline of one remote call, in seconds."""
        return self._remote_timeout

    # -- the network's side (alara.Cluster) -------------------------------

    async def start(self, pool: ClusterPool) -> None:
        """Connect to Ray, choose the machines, start their workers and the monitor.

        Returns once every chosen live machine's worker answered, or failed to, within
        ``start_timeout``.

        Raises:
            InsecureTransportError: no TLS and ``insecure_transport`` is not set.
            ClusterError: Ray is not connected and no ``address``, or the cluster at
                ``address`` does not answer, or this cluster object is already in use.
            ValueError: a node in ``nodes`` is not a node of the cluster.
        """
        if self._pool is not None or self._stopped:
            raise ClusterError("this RayCluster is already used by a network; make a new one")
        if not tls_enabled():
            if not self._insecure:
                raise InsecureTransportError(
                    "the Ray cluster does not use TLS (RAY_USE_TLS is not set), so entropy "
                    "would cross the network in clear: enable Ray's TLS (docs/distributed.md) "
                    "or pass RayCluster(insecure_transport=True) for a cluster on one machine")
            _log.warning("cluster.insecure_transport", reason="RAY_USE_TLS is not set")
        await self._connect()
        self._pool = pool
        table: list[dict[str, Any]] = await anyio.to_thread.run_sync(ray.nodes)
        for address, node_id, alive in _choose(self._selection, table):
            machine = _Machine(address, node_id, _WORKER_PREFIX + address)
            if not alive:
                machine.reason = "node dead at start"
            self._add(machine)
        starting = [m for m in self._machines.values() if m.reason == "starting"]
        for machine in starting:
            await self._bring_up(machine, machine.node_id)
        waits = [m.ready for m in starting if m.ready is not None]
        if waits:
            await asyncio.wait(waits, timeout=self._start_timeout)
        await self._monitor.start()

    async def stop(self) -> None:
        """Stop the monitor and every remote worker (their entropy actors are killed)."""
        if self._stopped:
            return
        self._stopped = True
        self._notify()
        await self._monitor.stop()
        pool = self._pool
        if pool is not None:
            for machine in self._machines.values():
                await pool.remove_worker(machine.worker)
        if self._owns_ray:
            await anyio.to_thread.run_sync(ray.shutdown)

    def nodes(self) -> list[ClusterNode]:
        """The chosen machines, in the order they were found, as they are now."""
        return [machine.view() for machine in self._machines.values()]

    def changed(self) -> asyncio.Future[None]:
        """A future that completes at the next change of a machine's state.

        Lets a caller (a test, a dashboard) wait for ``node_down``/``node_up`` without polling.
        """
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._stopped:
            waiter.set_result(None)
        else:
            self._waiters.append(waiter)
        return waiter

    def on_child_exit(self, child_id: str, exit: Exit) -> bool | None:
        """Verdict on one of this cluster's workers (``None`` for other workers).

        A worker that could not start its entropy actor (node gone): not restarted, its
        machine is marked down. A remote call that failed (actor died, node unreachable,
        ``remote_timeout``): restarted, which re-creates the actor if the node is alive, and
        not counted as a source failure. Anything else (the node's source failed its checks,
        a hang): left to the network's quarantine, as for a local worker.
        """
        machine = self._workers.get(child_id)
        if machine is None or self._stopped:
            return None
        if isinstance(exit.error, NodeUnreachableError):
            self._mark_down(machine, exit.reason)
            self._poke()
            return False
        if isinstance(exit.error, RemoteCallError):
            self._poke()
            return True
        return None

    def describe(self) -> dict[str, Any]:
        """Engine, selection, transport and deadlines, for ``Network.status()``."""
        return {
            "engine": "ray",
            "selection": self._selection if isinstance(self._selection, str)
            else list(self._selection),
            "transport": "tls" if tls_enabled() else "insecure",
            "remote_timeout": self._remote_timeout,
            "poll_interval": self._poll_interval,
            "retry_interval": self._retry_interval,
        }

    # -- membership ------------------------------------------------------------------------

    async def _connect(self) -> None:
        address = self._address
        if address is not None and address != "auto":
            await _probe(address, self._connect_timeout)
        if ray.is_initialized():
            if address is not None and address != "auto":
                current = ray.get_runtime_context().gcs_address
                if current != address:
                    raise ClusterError(f"Ray is already connected to {current!r}, "
                                       f"not to address={address!r}")
            return
        if address is None:
            raise ClusterError("Ray is not initialised: call ray.init(address=...) first, "
                               "or pass RayCluster(address='host:port')")
        await anyio.to_thread.run_sync(_init, address)
        self._owns_ray = True

    def _add(self, machine: _Machine) -> None:
        self._machines[machine.address] = machine
        self._workers[machine.worker] = machine
        if self._pool is not None:
            self._pool.set_remote(len(self._machines))
        self._notify()

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _reconcile(self, table: list[dict[str, Any]]) -> None:
        """Bring the machines in line with Ray's node table (run by the monitor)."""
        if self._stopped or self._pool is None:
            return
        alive: dict[str, str] = {}
        for row in table:
            if row.get("Alive"):
                alive.setdefault(row["NodeManagerAddress"], row["NodeID"])
        if self._selection == ALIVE:
            for address, node_id in alive.items():
                if address not in self._machines:
                    self._add(_Machine(address, node_id, _WORKER_PREFIX + address))
        now = time.time()
        lost: list[tuple[_Machine, str]] = []
        for machine in self._machines.values():
            current = alive.get(machine.address)
            if machine.state == "up" and current != machine.node_id:
                lost.append((machine, "node died" if current is None else "node replaced"))
            elif machine.state == "up" and not self._pool.has_worker(machine.worker):
                machine.retired = True  # quarantined by the network: its source kept failing
                self._mark_down(machine, "worker quarantined")
        # Out of the pool first, then announced: whoever reacts to ``down`` finds it missing.
        # Several machines lost at once are removed together.
        await asyncio.gather(*(self._pool.remove_worker(m.worker) for m, _ in lost))
        for machine, reason in lost:
            self._mark_down(machine, reason)
        for machine in list(self._machines.values()):
            if self._stopped:
                return
            current = alive.get(machine.address)
            if (machine.state == "down" and current is not None and not machine.retired
                    and not self._pool.has_worker(machine.worker)
                    and (current != machine.node_id or machine.reason == "starting"
                         or now - machine.since >= self._retry_interval)):
                await self._bring_up(machine, current)

    async def _bring_up(self, machine: _Machine, node_id: str) -> None:
        pool = self._pool
        assert pool is not None
        machine.node_id = node_id
        machine.reason = "starting"
        machine.ready = asyncio.get_running_loop().create_future()
        link = NodeLink(
            node_id=node_id,
            address=machine.address,
            source=self._source,
            health=pool.health,
            startup=pool.startup,
            remote_timeout=self._remote_timeout,
            start_timeout=self._start_timeout,
            on_ready=self._on_ready,
        )
        await pool.add_worker(ChildSpec(machine.worker, lambda: RemoteWorker(link),
                                        shutdown_timeout=self._remote_timeout))

    def _on_ready(self, worker: str, node_id: str) -> None:
        machine = self._workers.get(worker)
        if machine is None or machine.node_id != node_id:
            return
        if machine.state != "up":
            machine.state, machine.since, machine.reason = "up", time.time(), ""
            _log.info("cluster.node_up", node_id=node_id, address=machine.address,
                      worker=worker)
        if machine.ready is not None and not machine.ready.done():
            machine.ready.set_result(True)
        self._notify()

    def _mark_down(self, machine: _Machine, reason: str) -> None:
        was_up = machine.state == "up"
        machine.state, machine.since, machine.reason = "down", time.time(), reason
        if was_up:
            _log.warning("cluster.node_down", node_id=machine.node_id, address=machine.address,
                         worker=machine.worker, reason=reason)
        if machine.ready is not None and not machine.ready.done():
            machine.ready.set_result(False)
        self._notify()

    def _poke(self) -> None:
        ref = self._monitor.child_ref("cluster-monitor")
        if ref is not None and ref.is_alive():
            ref.cast(POLL)


def _check_nodes(nodes: object) -> str | tuple[str, ...]:
    if isinstance(nodes, str):
        if nodes != ALIVE:
            raise ValueError(f"nodes must be {ALIVE!r} or a list of Ray node ids or "
                             f"addresses, got {nodes!r}")
        return ALIVE
    if not isinstance(nodes, (list, tuple)):
        raise TypeError(f"nodes must be {ALIVE!r} or a list of str, got {type(nodes).__name__}")
    if not nodes:
        raise ValueError("nodes must name at least one node (or be 'alive')")
    for node in nodes:
        if not isinstance(node, str) or not node:
            raise TypeError(f"nodes must hold non-empty str (node ids or addresses), got {node!r}")
    return tuple(nodes)


def _choose(
    selection: str | tuple[str, ...], table: list[dict[str, Any]]
) -> list[tuple[str, str, bool]]:
    """``(address, node id, alive)`` of every chosen machine, one per address."""
    rows = sorted(table, key=lambda row: not row.get("Alive"))  # a live node first
    if selection == ALIVE:
        chosen: dict[str, tuple[str, str, bool]] = {}
        for row in rows:
            if row.get("Alive"):
                chosen.setdefault(row["NodeManagerAddress"],
                                  (row["NodeManagerAddress"], row["NodeID"], True))
        return list(chosen.values())
    picked: dict[str, tuple[str, str, bool]] = {}
    for wanted in selection:
        found = [r for r in rows if wanted in (r["NodeID"], r["NodeManagerAddress"])]
        if not found:
            known = ", ".join(f"{r['NodeID']} ({r['NodeManagerAddress']})"
                              for r in rows if r.get("Alive"))
            raise ValueError(f"nodes: {wanted!r} is not a node of this Ray cluster "
                             f"(alive nodes: {known or 'none'})")
        row = found[0]
        address = row["NodeManagerAddress"]
        if address in picked:
            raise ValueError(f"nodes: {wanted!r} is the machine {address} again; "
                             f"each machine can be chosen once")
        node_id = row["NodeID"]
        if not row.get("Alive"):  # a dead id: a live node at the same address stands in
            live = [r for r in rows if r.get("Alive") and r["NodeManagerAddress"] == address]
            if live:
                node_id, row = live[0]["NodeID"], live[0]
        picked[address] = (address, node_id, bool(row.get("Alive")))
    return list(picked.values())


async def _probe(address: str, timeout: float) -> None:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"address must be 'host:port' (a Ray GCS address), got {address!r}")
    try:
        with anyio.fail_after(timeout):
            stream = await anyio.connect_tcp(host.strip("[]"), int(port))
    except (OSError, TimeoutError) as error:
        reason = "no answer" if isinstance(error, TimeoutError) else str(error) or "refused"
        raise ClusterError(f"the Ray cluster at {address!r} is not reachable "
                           f"({reason}, within {timeout}s)") from None
    await stream.aclose()


def _init(address: str) -> None:
    ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
