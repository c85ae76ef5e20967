"""``AlaraCollector``: a network's counters and pool state as Prometheus metrics.

A custom collector in the ``prometheus_client`` sense: it holds no metric objects of its own
and reads ``Network.metrics()`` and ``Network.status()`` when the registry is scraped, so the
figures are always the network's own, and an unscraped collector costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from alara.entropy import OUTCOMES, MetricsSnapshot, Network, PoolReader, PoolReading

__all__ = ["AlaraCollector"]


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
        ValueError: ``timeout`` is not positive.
    """

    def __init__(self, network: Network | alara.BlockingNetwork | None = None, *,
                 timeout: float = 1.0) -> None:
        self._reader = PoolReader(network, timeout)

    def describe(self) -> list[Any]:
        """No description ahead of a scrape: the registry then collects to learn the names,
        which for this collector is cheap and always right."""
        return []

    def collect(self) -> Iterator[Any]:
        """The metric families, read now."""
        reading = self._reader.read()
        yield from _counters(reading.metrics)
        yield _histogram(reading.metrics)
        yield from _gauges(reading)
        yield InfoMetricFamily("alara_build", "The alara version this process runs.",
                               value={"version": alara.__version__})


def _counter(name: str, doc: str, labels: list[str],
             values: dict[Any, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric([key] if isinstance(key, str) else list(key), value)
    return family


def _counters(metrics: MetricsSnapshot) -> Iterator[CounterMetricFamily]:
    yield _counter("alara_requests", "Requests by how they ended.", ["outcome"],
                   {outcome: metrics.requests[outcome] for outcome in OUTCOMES})
    served = CounterMetricFamily("alara_served_bytes", "Bytes handed to callers.",
                                 value=metrics.served_bytes)
    yield served
    yield _counter("alara_source_contributions",
                   "Contributions of each worker to the requests served.", ["worker", "kind"],
                   metrics.contributions)
    yield _counter("alara_health_test_failures",
                   "Health-test failures of each worker's source, by test.", ["worker", "test"],
                   metrics.health_test_failures)
    yield _counter("alara_quarantines", "Workers quarantined for failing sources.", ["worker"],
                   metrics.quarantines)
    yield _counter("alara_worker_restarts", "Worker restarts by their supervisor.", ["worker"],
                   metrics.restarts)


def _histogram(metrics: MetricsSnapshot) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = []
    cumulative = 0
    bounds = [*map(floatToGoString, metrics.duration_bounds), "+Inf"]
    for bound, count in zip(bounds, metrics.duration_counts, strict=True):
        cumulative += count
        buckets.append((bound, cumulative))
    return HistogramMetricFamily("alara_request_duration_seconds",
                                 "Time from a request's call until its contributions are "
                                 "in (served) or its error.",
                                 buckets=buckets, sum_value=metrics.duration_sum)


def _labelled(name: str, doc: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def _gauges(reading: PoolReading) -> Iterator[GaugeMetricFamily]:
    yield _labelled("alara_sources", "Workers of the pool by state.", "state", {
        "running": reading.running, "restarting": reading.restarting,
        "quarantined": reading.quarantined})
    yield GaugeMetricFamily("alara_sources_required",
                            "Contributions every request needs (the fail-closed floor).",
                            value=reading.required)
    yield GaugeMetricFamily("alara_waiting_requests", "Requests waiting for a round.",
                            value=reading.waiting)
    yield GaugeMetricFamily("alara_event_loop_lag_seconds",
                            "Largest lateness of the network loop's timers over the last "
                            "seconds.", value=reading.metrics.loop_lag)
    yield _labelled("alara_cluster_nodes", "Cluster machines by state.", "state",
                    reading.nodes)
