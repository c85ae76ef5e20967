"""The entropy network: supervised workers, collection, and the SHA3 mixer."""

from __future__ import annotations

from alara.entropy.health import DEFAULT_HEALTH, HealthPolicy
from alara.entropy.mixing import mix
from alara.entropy.network import Network, create_network
from alara.entropy.sources import EntropySource, OsSource
from alara.entropy.worker import EntropyWorker, get_random_bytes, start_worker

__all__ = [
    "DEFAULT_HEALTH",
    "EntropySource",
    "EntropyWorker",
    "HealthPolicy",
    "Network",
    "OsSource",
    "create_network",
    "get_random_bytes",
    "mix",
    "start_worker",
]
