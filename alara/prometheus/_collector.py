"""``AlaraCollector``: a network's counters and pool state as Prometheus metrics.

A custom collector in the ``prometheus_client`` sense: it holds no metric objects of its own
and reads ``Network.metrics()`` and ``Network.status()`` when the registry is scraped, so the
figures are always the network's own, and an unscraped collector costs nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

import alara
from alara.entropy import (
    OUTCOMES,
    MetricsSnapshot,
    Network,
    NetworkStatus,
    default_networks,
    read_network,
)

__all__ = ["AlaraCollector"]

_Reading = tuple[NetworkStatus, MetricsSnapshot]


class AlaraCollector(Collector):
    """Exports one network (or the process's default networks) to a Prometheus registry.

    ``AlaraCollector(net)`` reports ``net`` (a ``Network`` or a ``BlockingNetwork``);
    ``AlaraCollector()`` reports the process's default networks, the one behind
    ``alara.secrets`` and each event loop's behind ``await alara.token_hex()``, as they are at
    scrape time, their figures added together. Register it with
    ``registry.register(AlaraCollector(net))`` (``prometheus_client.REGISTRY`` or your own).

    A scrape reads each network on its own loop thread: from that thread at once, from any
    other (``prometheus_client.start_http_server``'s) by a hand-off to that loop, waited for
    at most ``timeout`` seconds. Networks that are closed are left out.

    Raises:
        TypeError: ``network`` is neither a ``Network``, a ``BlockingNetwork`` nor ``None``.
        ValueError: ``timeout`` is not a positive number.
    """

    def __init__(self, network: Network | alara.BlockingNetwork | None = None, *,
                 timeout: float = 1.0) -> None:
        if isinstance(network, alara.BlockingNetwork):
            network = network.network
        if network is not None and not isinstance(network, Network):
            raise TypeError(f"network must be a Network, a BlockingNetwork or None, "
                            f"got {type(network).__name__}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._network = network
        self._timeout = float(timeout)

    def describe(self) -> list[Any]:
        """No description ahead of a scrape: the registry then collects to learn the names,
        which for this collector is cheap and always right."""
        return []

    def collect(self) -> Iterator[Any]:
        """The metric families, read now."""
        networks = [self._network] if self._network is not None else default_networks()
        readings = [read_network(network, self._timeout) for network in networks]
        readings = [(status, metrics) for status, metrics in readings
                    if status.state == "open"]
        yield from _counters(readings)
        yield _histogram(readings)
        yield from _gauges(readings)
        yield InfoMetricFamily("alara_build", "The alara version this process runs.",
                               value={"version": alara.__version__})


def _counter(name: str, doc: str, labels: list[str],
             values: Iterable[tuple[tuple[str, ...], float]]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(list(label_values), value)
    return family


def _sum(counts: Iterable[dict[Any, int]]) -> Counter[Any]:
    total: Counter[Any] = Counter()
    for count in counts:
        total.update(count)
    return total


def _keys(counts: Counter[Any]) -> list[tuple[tuple[str, ...], float]]:
    return [((key,) if isinstance(key, str) else key, value)
            for key, value in sorted(counts.items())]


def _counters(readings: list[_Reading]) -> Iterator[CounterMetricFamily]:
    snapshots = [metrics for _, metrics in readings]
    requests = _sum(metrics.requests for metrics in snapshots)
    yield _counter("alara_requests", "Requests by how they ended.", ["outcome"],
                   [((outcome,), requests[outcome]) for outcome in OUTCOMES])
    yield _counter("alara_served_bytes", "Bytes handed to callers.", [],
                   [((), sum(metrics.served_bytes for metrics in snapshots))])
    yield _counter("alara_source_contributions",
                   "Contributions of each worker to the requests served.", ["worker", "kind"],
                   _keys(_sum(metrics.contributions for metrics in snapshots)))
    yield _counter("alara_health_test_failures",
                   "Health-test failures of each worker's source, by test.", ["worker", "test"],
                   _keys(_sum(metrics.health_test_failures for metrics in snapshots)))
    yield _counter("alara_quarantines", "Workers quarantined for failing sources.", ["worker"],
                   _keys(_sum(metrics.quarantines for metrics in snapshots)))
    yield _counter("alara_worker_restarts", "Worker restarts by their supervisor.", ["worker"],
                   _keys(_sum(metrics.restarts for metrics in snapshots)))


def _histogram(readings: list[_Reading]) -> HistogramMetricFamily:
    bounds = readings[0][1].duration_bounds if readings else alara.entropy.DURATION_BUCKETS
    counts = [0] * (len(bounds) + 1)
    total = 0.0
    for _, metrics in readings:
        for index, count in enumerate(metrics.duration_counts):
            counts[index] += count
        total += metrics.duration_sum
    buckets: list[tuple[str, float]] = []
    cumulative = 0
    for bound, count in zip([*map(floatToGoString, bounds), "+Inf"], counts, strict=True):
        cumulative += count
        buckets.append((bound, cumulative))
    return HistogramMetricFamily("alara_request_duration_seconds",
                                 "Time from a request's call to its answer or error.",
                                 buckets=buckets, sum_value=total)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _gauges(readings: list[_Reading]) -> Iterator[GaugeMetricFamily]:
    statuses = [status for status, _ in readings]
    sources = GaugeMetricFamily("alara_sources", "Workers of the pool by state.",
                                labels=["state"])
    sources.add_metric(["running"], sum(len(status.running) for status in statuses))
    sources.add_metric(["restarting"], sum(len(status.restarting) for status in statuses))
    sources.add_metric(["quarantined"], sum(len(status.quarantined) for status in statuses))
    yield sources
    yield _gauge("alara_sources_required",
                 "Contributions every request needs (the fail-closed floor).",
                 sum(status.required for status in statuses))
    yield _gauge("alara_waiting_requests", "Requests waiting for a round.",
                 sum(status.waiting for status in statuses))
    yield _gauge("alara_event_loop_lag_seconds",
                 "Largest lateness of the network loop's timers over the last seconds.",
                 max((metrics.loop_lag for _, metrics in readings), default=0.0))
    nodes = GaugeMetricFamily("alara_cluster_nodes", "Cluster machines by state.",
                              labels=["state"])
    states: Counter[str] = Counter({"up": 0, "down": 0})
    for status in statuses:
        for node in (status.cluster or {}).get("nodes", []):
            states[str(node.get("state"))] += 1
    for state, count in sorted(states.items()):
        nodes.add_metric([state], count)
    yield nodes
