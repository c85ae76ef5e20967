"""alara: a supervised entropy network on a small asyncio actor framework.

Quick use::

    import alara

    async with alara.create_network(workers=3) as net:
        key = await net.random_bytes(32)

Every request takes a fresh contribution of at least 32 bytes from every worker and mixes them
with SHA3, so the output stays unpredictable as long as one worker's source is honest.

Layout (every public name is re-exported here; modules named ``_x`` are private):

* ``alara.aio``: the async façade, ``await alara.token_hex()`` on a per-loop default network.
* ``alara.sync`` and ``alara.secrets``: the sync façade, ``BlockingNetwork``, ``Random`` and
  the process default network behind the drop-in for the standard ``secrets`` module.
* ``alara.actors``: the actor framework (actors, mailboxes, supervisors); no entropy in it.
* ``alara.entropy``: the entropy network built on it (sources, workers, health tests, mixing).
* ``alara.errors``: the one exception hierarchy.
* ``python -m alara`` (``alara._cli``): the command line.
* Extras, importing only the public API: ``alara.ray``, ``alara.testing``.
"""

from __future__ import annotations

from alara import aio, secrets
from alara.actors import (
    Actor,
    ActorRef,
    Child,
    ChildSpec,
    Exit,
    ExitKind,
    MailboxFullError,
    OneForOneSupervisor,
    Restart,
    Strategy,
    Supervisor,
    spawn,
    supervisor_spec,
)
from alara.aio import *  # noqa: F403  (the names of alara.aio.__all__, listed there once)
from alara.entropy import (
    DEFAULT_ENTROPY,
    MAX_BITS,
    MAX_BYTES,
    MAX_INT_BITS,
    MAX_WORKERS,
    Cluster,
    ClusterError,
    ClusterNode,
    ClusterPool,
    CpuSource,
    EntropySource,
    EntropyWorker,
    HealthPolicy,
    HwrngSource,
    KeyedNetwork,
    Network,
    NetworkOptions,
    NetworkStatus,
    OsSource,
    ReservoirSource,
    SourceEntry,
    create_network,
    default_sources,
    discover_sources,
    get_random_bytes,
    mix,
    start_worker,
)
from alara.errors import (
    ActorDiedError,
    AlaraError,
    CallTimeoutError,
    HealthTestError,
    NetworkClosedError,
    NoWorkersError,
    PoolDegradedError,
    RequestTimeoutError,
    SourceError,
    SourceUnavailableError,
    SupervisorGaveUpError,
    SyncCallInLoopError,
    TooManyRequestsError,
    WorkerDiedError,
    WrongLoopError,
)
from alara.sync import BlockingNetwork, Random, use_blocking_network

__version__ = "0.1.0"

__all__ = [  # noqa: RUF022  (appended in groups, to keep merges additive)
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
    "KeyedNetwork",
    "HealthTestError",
    "MailboxFullError",
    "Network",
    "NetworkClosedError",
    "NetworkOptions",
    "NetworkStatus",
    "NoWorkersError",
    "OneForOneSupervisor",
    "OsSource",
    "PoolDegradedError",
    "RequestTimeoutError",
    "Restart",
    "SourceError",
    "Strategy",
    "Supervisor",
    "SupervisorGaveUpError",
    "TooManyRequestsError",
    "WorkerDiedError",
    "WrongLoopError",
    "__version__",
    "create_network",
    "get_random_bytes",
    "mix",
    "spawn",
    "start_worker",
    "supervisor_spec",
    "DEFAULT_ENTROPY",
    "BlockingNetwork",
    "Random",
    "SyncCallInLoopError",
    "secrets",
    "use_blocking_network",
    "CpuSource",
    "HwrngSource",
    "ReservoirSource",
    "SourceEntry",
    "SourceUnavailableError",
    "default_sources",
    "discover_sources",
]
__all__ += aio.__all__  # the async façade's names, listed once in alara.aio
