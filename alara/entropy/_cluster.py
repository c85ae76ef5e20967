"""Remote workers: the small protocol between a ``Network`` and a cluster of other machines.

A cluster (``alara.ray.RayCluster`` is the one shipped) adds one *remote worker* per chosen
machine to the network's pool. A remote worker is an ordinary supervised child of the pool, so
collection, rounds, deadlines and the fail-closed floor treat it like a local worker; what the
cluster adds is node membership: it follows which machines are up, marks a machine's worker
*down* (removed from the pool, still listed) when the machine dies, and brings it back when the
machine does. Everything engine-specific stays behind this protocol, so the core never imports
a cluster engine.

What a network does with its cluster (always one: ``LocalCluster``, which does nothing, when
no remote workers are asked for, so the network has no "is there a cluster" branches):

1. ``await cluster.start(pool)`` right after the pool's supervisor started;
2. ``cluster.on_child_exit(child_id, exit)`` first, in the supervisor's exit listener: a verdict
   (restart or not) for the cluster's own workers, ``None`` for the others;
3. ``cluster.nodes()`` behind ``Network.get_cluster_nodes()`` and ``status()``;
4. ``await cluster.stop()`` before the pool's supervisor stops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from alara.actors import ActorRef, ChildSpec, Exit
from alara.errors import AlaraError

__all__ = [
    "Cluster",
    "ClusterError",
    "ClusterNode",
    "ClusterPool",
    "LocalCluster",
]

NodeState = Literal["up", "down"]


class ClusterError(AlaraError):
    """A cluster cannot be used: not reachable, not initialised, not secure, or misconfigured."""


@dataclass(frozen=True, slots=True)
class ClusterNode:
    """One machine of the cluster as the network sees it (ALARA's ``get_cluster_nodes()`` row).

    ``node_id``: the engine's id of the machine (it changes when a machine rejoins);
    ``address``: its network address, which is what identifies a machine across rejoins;
    ``state``: ``"up"`` (its worker is in the pool) or ``"down"``; ``since``: wall-clock time
    (``time.time()``) of the last change of state; ``worker``: the pool child id of its remote
    worker; ``reason``: why it is down (empty when up).
    """

    node_id: str
    address: str
    state: NodeState
    since: float
    worker: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (for ``status()``)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ClusterPool:
    """What a network lends its cluster: a way to add and remove pool workers, and its policy.

    ``add_worker(spec)`` starts a supervised child in the pool; ``remove_worker(child_id)``
    stops and removes one (no error if it is already gone); ``has_worker(child_id)`` tells
    whether it is in the pool (running or restarting; not once quarantined);
    ``set_remote(count)`` tells how many machines the cluster has chosen (each counts as a
    configured worker for the fail-closed floor, up or down). ``health`` (a
    factory of health checks, or ``None``) and ``startup`` (start-up test bytes) are the
    network's, so a remote machine's source is tested as a local one is.
    ``contribution_size`` is the bytes each worker gives each caller.
    """

    add_worker: Callable[[ChildSpec], Awaitable[ActorRef]]
    remove_worker: Callable[[str], Awaitable[None]]
    has_worker: Callable[[str], bool]
    set_remote: Callable[[int], None]
    health: Callable[[], Callable[[bytes], None]] | None
    startup: int
    contribution_size: int


class Cluster(Protocol):
    """What a network calls on a cluster (see the module docstring for when)."""

    @property
    def remote_timeout(self) -> float:
        """Deadline of one remote call, in seconds."""
        ...

    async def start(self, pool: ClusterPool) -> None:
        """Connect, choose the machines, and add their workers to ``pool``.

        Raises:
            ClusterError: the cluster is unreachable, not secure, or a chosen machine unknown.
        """
        ...

    async def stop(self) -> None:
        """Stop following membership and release the remote resources. Idempotent."""
        ...

    def nodes(self) -> list[ClusterNode]:
        """The machines as they are now (read live)."""
        ...

    def on_child_exit(self, child_id: str, exit: Exit) -> bool | None:
        """Restart (``True``) or drop (``False``) a worker of the cluster; ``None``: not its own."""
        ...

    def describe(self) -> dict[str, Any] | None:
        """A JSON-friendly summary for ``Network.status()``; ``None``: nothing to describe."""
        ...


class LocalCluster:
    """The cluster of a network without remote workers: no machines, and nothing to do."""

    @property
    def remote_timeout(self) -> float:
        """No remote calls are made: ``0.0``."""
        return 0.0

    async def start(self, pool: ClusterPool) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Nothing to release."""

    def nodes(self) -> list[ClusterNode]:
        """No machines: ``[]``."""
        return []

    def on_child_exit(self, child_id: str, exit: Exit) -> bool | None:
        """No worker is the cluster's own: ``None`` (the quarantine judges)."""
        return None

    def describe(self) -> dict[str, Any] | None:
        """``None``: ``status().cluster`` stays ``None`` without remote workers."""
        return None
