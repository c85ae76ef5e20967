"""Reading networks for an exporter: on their own loop threads, the defaults found, summed.

Exporters (``alara.prometheus``, ``alara.otel``) run when they are scraped, on whatever thread
the scraper uses; a network's counters and registry belong to its loop's thread. So a read is
handed to that loop (``read_network``), and the several networks an exporter may report (the
process's default networks: ``alara.secrets``' and each loop's) are added into one
``PoolReading``, the figures an exporter publishes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alara.actors import check_positive_float
from alara.entropy._network import Network
from alara.entropy._observe import DURATION_BUCKETS, OUTCOMES, MetricsSnapshot

if TYPE_CHECKING:
    from alara.entropy._status import NetworkStatus

__all__ = ["PoolReader", "PoolReading", "default_networks", "read_network", "read_pools",
           "register_default"]

_defaults: weakref.WeakSet[Network] = weakref.WeakSet()


def register_default(network: Network) -> None:
    """Mark ``network`` as one of the process's default networks (the sync one or a loop's),
    which an exporter made without a network reports. Held weakly: a closed, dropped default
    disappears from the reports by itself."""
    _defaults.add(network)


def default_networks() -> list[Network]:
    """The process's default networks not yet collected (closed ones report so)."""
    return list(_defaults)


def _elsewhere(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is not the one running ``loop``."""
    try:
        return asyncio.get_running_loop() is not loop
    except RuntimeError:
        return True


def read_network(network: Network, timeout: float = 1.0) -> tuple[NetworkStatus, MetricsSnapshot]:
    """``network.status()`` and ``network.metrics()``, read on the network's own loop thread.

    From that thread they are read at once; from any other (an exporter's HTTP thread, another
    loop) the read is handed to the network's loop and waited for at most ``timeout`` seconds.

    Raises:
        TimeoutError: the network's loop did not run the read within ``timeout``.
    """
    loop = network._loop
    if loop is None or loop.is_closed() or not loop.is_running() or not _elsewhere(loop):
        return network.status(), network.metrics()
    answer: concurrent.futures.Future[tuple[NetworkStatus, MetricsSnapshot]] = (
        concurrent.futures.Future())

    def read() -> None:
        try:
            answer.set_result((network.status(), network.metrics()))
        except BaseException as error:  # handed to the reader, who re-raises it
            answer.set_exception(error)

    try:
        loop.call_soon_threadsafe(read)
    except RuntimeError:  # the loop closed in between: nothing runs on it any more
        return network.status(), network.metrics()
    return answer.result(timeout)


@dataclass(frozen=True, slots=True)
class PoolReading:
    """What an exporter publishes: the open networks' counters added together (``metrics``;
    ``loop_lag`` the largest) and their pools' state (workers by state, the contributions
    every request needs, the requests waiting, cluster machines by state)."""

    metrics: MetricsSnapshot
    running: int
    restarting: int
    quarantined: int
    required: int
    waiting: int
    nodes: dict[str, int]


def read_pools(networks: Sequence[Network] | None = None, timeout: float = 1.0) -> PoolReading:
    """Read ``networks`` (default: the process's default networks) and add them up; closed
    networks are left out.

    Raises:
        TimeoutError: a network's loop did not answer within ``timeout``.
    """
    chosen = default_networks() if networks is None else networks
    readings = [read_network(network, timeout) for network in chosen]
    readings = [(status, metrics) for status, metrics in readings if status.state == "open"]
    statuses = [status for status, _ in readings]
    nodes: Counter[str] = Counter({"up": 0, "down": 0})
    for status in statuses:
        for node in (status.cluster or {}).get("nodes", []):
            nodes[str(node.get("state"))] += 1
    return PoolReading(
        metrics=_total([metrics for _, metrics in readings]),
        running=sum(len(status.running) for status in statuses),
        restarting=sum(len(status.restarting) for status in statuses),
        quarantined=sum(len(status.quarantined) for status in statuses),
        required=sum(status.required for status in statuses),
        waiting=sum(status.waiting for status in statuses),
        nodes=dict(nodes),
    )


def _added(counts: Iterable[dict[Any, int]]) -> dict[Any, int]:
    total: Counter[Any] = Counter()
    for count in counts:
        total.update(count)
    return dict(total)


def _total(snapshots: list[MetricsSnapshot]) -> MetricsSnapshot:
    """Several networks' snapshots as one: counters added, the largest loop lag."""
    buckets = [0] * (len(DURATION_BUCKETS) + 1)
    for snapshot in snapshots:
        for index, count in enumerate(snapshot.duration_counts):
            buckets[index] += count
    return MetricsSnapshot(
        requests={outcome: sum(s.requests[outcome] for s in snapshots) for outcome in OUTCOMES},
        duration_bounds=DURATION_BUCKETS,
        duration_counts=tuple(buckets),
        duration_sum=sum(snapshot.duration_sum for snapshot in snapshots),
        served_bytes=sum(snapshot.served_bytes for snapshot in snapshots),
        contributions=_added(snapshot.contributions for snapshot in snapshots),
        health_test_failures=_added(snapshot.health_test_failures for snapshot in snapshots),
        quarantines=_added(snapshot.quarantines for snapshot in snapshots),
        restarts=_added(snapshot.restarts for snapshot in snapshots),
        loop_lag=max((snapshot.loop_lag for snapshot in snapshots), default=0.0),
    )


class PoolReader:
    """What an exporter reads at each scrape: ``network`` (a ``Network``, or a
    ``BlockingNetwork``, whose ``network`` it reads), or with ``None`` the process's default
    networks as they are at that moment; each read waits at most ``timeout`` seconds.

    Raises:
        TypeError: ``network`` is none of those, or ``timeout`` is not a number.
        ValueError: ``timeout`` is not positive.
    """

    def __init__(self, network: object = None, timeout: float = 1.0) -> None:
        inner = getattr(network, "network", None)  # a BlockingNetwork serves its Network
        if isinstance(inner, Network):
            network = inner
        if network is not None and not isinstance(network, Network):
            raise TypeError(f"network must be a Network, a BlockingNetwork or None, "
                            f"got {type(network).__name__}")
        self._networks = None if network is None else [network]
        self.timeout = check_positive_float("timeout", timeout)

    def read(self) -> PoolReading:
        """The networks' counters and pools now (``read_pools``)."""
        return read_pools(self._networks, self.timeout)
