"""alara: a supervised entropy network on a small asyncio actor framework.

Quick use::

    import alara

    async with alara.create_network(workers=3) as net:
        key = await net.random_bytes(32)

Every request takes a fresh contribution of at least 32 bytes from every worker and mixes them
with SHA3, so the output stays unpredictable as long as one worker's source is honest.
"""

from __future__ import annotations

from alara.actors import (
    Actor,
    ActorRef,
    Child,
    ChildSpec,
    Exit,
    ExitKind,
    OneForOneSupervisor,
    Restart,
    SupervisorActor,
    spawn,
    supervisor_spec,
)
from alara.entropy.cluster import (
    Cluster,
    ClusterError,
    ClusterNode,
    ClusterPool,
    NodeDownError,
)
from alara.entropy.health import HealthPolicy
from alara.entropy.mixing import mix
from alara.entropy.network import (
    MAX_BITS,
    MAX_BYTES,
    MAX_INT_BITS,
    MAX_WORKERS,
    Network,
    create_network,
)
from alara.entropy.sources import EntropySource, OsSource
from alara.entropy.worker import EntropyWorker, get_random_bytes, start_worker
from alara.errors import (
    ActorDiedError,
    AlaraError,
    CallTimeoutError,
    HealthTestError,
    NetworkClosedError,
    NoWorkersError,
    SourceError,
    SupervisorGaveUpError,
    WorkerDiedError,
)

__version__ = "0.1.0"

__all__ = [
    "MAX_BITS",
    "MAX_BYTES",
    "MAX_INT_BITS",
    "MAX_WORKERS",
    "Actor",
    "ActorDiedError",
    "ActorRef",
    "AlaraError",
    "CallTimeoutError",
    "Child",
    "ChildSpec",
    "Cluster",
    "ClusterError",
    "ClusterNode",
    "ClusterPool",
    "EntropySource",
    "EntropyWorker",
    "Exit",
    "ExitKind",
    "HealthPolicy",
    "HealthTestError",
    "Network",
    "NetworkClosedError",
    "NoWorkersError",
    "NodeDownError",
    "OneForOneSupervisor",
    "OsSource",
    "Restart",
    "SourceError",
    "SupervisorActor",
    "SupervisorGaveUpError",
    "WorkerDiedError",
    "__version__",
    "create_network",
    "get_random_bytes",
    "mix",
    "spawn",
    "start_worker",
    "supervisor_spec",
]
