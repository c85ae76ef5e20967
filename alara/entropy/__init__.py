"""The entropy network: supervised workers, collection, health tests and the SHA3 mixer.

The modules here are private (``_x.py``); this package re-exports what the rest of alara, the
extras and users need, so a module can be split or renamed without breaking an importer.
"""

from __future__ import annotations

from alara.entropy._cluster import Cluster, ClusterError, ClusterNode, ClusterPool, NodeState
from alara.entropy._discovery import SourceEntry, default_sources, discover_sources
from alara.entropy._hardware import CpuSource, HwrngSource
from alara.entropy._health import DEFAULT_HEALTH, HealthPolicy
from alara.entropy._keyed import (
    DEFAULT_REKEY_BYTES,
    DEFAULT_REKEY_SECONDS,
    MAX_KEYED,
    MAX_REKEY_BYTES,
    Rekey,
    rekey_from_environment,
    resolve_rekey,
)
from alara.entropy._keyed_async import KeyedNetwork
from alara.entropy._keyed_sync import RoundSource, ThreadKeyed
from alara.entropy._limits import MAX_BITS, MAX_BYTES, MAX_INT_BITS, MAX_WORKERS
from alara.entropy._mixing import MIN_CONTRIBUTION, mix
from alara.entropy._network import Network, create_network
from alara.entropy._observe import DURATION_BUCKETS, OUTCOMES, MetricsSnapshot
from alara.entropy._options import NetworkKeywords, NetworkOptions
from alara.entropy._readings import (
    PoolReader,
    PoolReading,
    default_networks,
    read_network,
    read_pools,
    register_default,
)
from alara.entropy._reservoir import ReservoirSource
from alara.entropy._sampler import SampleBatch
from alara.entropy._sources import EntropySource, OsSource, check_source
from alara.entropy._status import NetworkStatus, QuarantineInfo
from alara.entropy._vocabulary import DEFAULT_ENTROPY
from alara.entropy._worker import (
    EntropyWorker,
    SourcePlan,
    get_random_bytes,
    plan_source,
    start_worker,
)

__all__ = [
    "DEFAULT_ENTROPY",
    "DEFAULT_HEALTH",
    "DEFAULT_REKEY_BYTES",
    "DEFAULT_REKEY_SECONDS",
    "DURATION_BUCKETS",
    "MAX_BITS",
    "MAX_BYTES",
    "MAX_INT_BITS",
    "MAX_KEYED",
    "MAX_REKEY_BYTES",
    "MAX_WORKERS",
    "MIN_CONTRIBUTION",
    "OUTCOMES",
    "Cluster",
    "ClusterError",
    "ClusterNode",
    "ClusterPool",
    "CpuSource",
    "EntropySource",
    "EntropyWorker",
    "HealthPolicy",
    "HwrngSource",
    "KeyedNetwork",
    "MetricsSnapshot",
    "Network",
    "NetworkKeywords",
    "NetworkOptions",
    "NetworkStatus",
    "NodeState",
    "OsSource",
    "PoolReader",
    "PoolReading",
    "QuarantineInfo",
    "Rekey",
    "ReservoirSource",
    "RoundSource",
    "SampleBatch",
    "SourceEntry",
    "SourcePlan",
    "ThreadKeyed",
    "check_source",
    "create_network",
    "default_networks",
    "default_sources",
    "discover_sources",
    "get_random_bytes",
    "mix",
    "plan_source",
    "read_network",
    "read_pools",
    "register_default",
    "rekey_from_environment",
    "resolve_rekey",
    "start_worker",
]
