"""``AlaraInstruments``: a network's counters and pool state as OpenTelemetry instruments.

A library depends on the OpenTelemetry *API* only; the application decides whether an SDK and
an exporter run. Every instrument here is asynchronous (observable): its callback reads the
network when the SDK collects, so nothing is recorded on the request path. Names and units
follow the OpenTelemetry conventions (dotted names, UCUM units, pool counts as up-down
counters); an OTel-to-Prometheus exporter turns them into the ``alara_*`` names of
``alara.prometheus`` (``alara.requests`` -> ``alara_requests_total``, ...). The API has no
asynchronous histogram, so the request-duration histogram is Prometheus-only; its sum and
count are exported as ``alara.request.duration.sum`` (s) and ``alara.request.count``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider, Observation, get_meter

import alara
from alara.entropy import OUTCOMES, Network, PoolReader, PoolReading

__all__ = ["AlaraInstruments"]

_Read = Callable[[PoolReading], Iterable[Observation]]


def _keyed(values: dict[Any, int], *labels: str) -> list[Observation]:
    return [Observation(value, dict(zip(labels, (key,) if isinstance(key, str) else key,
                                        strict=True)))
            for key, value in sorted(values.items())]


# name, kind, unit, description, how to read it from a ``PoolReading``
_INSTRUMENTS: list[tuple[str, str, str, str, _Read]] = [
    ("alara.requests", "counter", "{request}", "Requests by how they ended.",
     lambda r: [Observation(r.metrics.requests[o], {"outcome": o}) for o in OUTCOMES]),
    ("alara.request.count", "counter", "{request}", "Requests timed (every outcome).",
     lambda r: [Observation(sum(r.metrics.duration_counts))]),
    ("alara.request.duration.sum", "counter", "s", "Seconds spent in requests, all added.",
     lambda r: [Observation(r.metrics.duration_sum)]),
    ("alara.served.bytes", "counter", "By", "Bytes handed to callers.",
     lambda r: [Observation(r.metrics.served_bytes)]),
    ("alara.source.contributions", "counter", "{contribution}",
     "Contributions of each worker to the requests served.",
     lambda r: _keyed(r.metrics.contributions, "worker", "kind")),
    ("alara.health_test.failures", "counter", "{failure}",
     "Health-test failures of each worker's source, by test.",
     lambda r: _keyed(r.metrics.health_test_failures, "worker", "test")),
    ("alara.source.quarantines", "counter", "{quarantine}",
     "Workers quarantined for failing sources.",
     lambda r: _keyed(r.metrics.quarantines, "worker")),
    ("alara.worker.restarts", "counter", "{restart}", "Worker restarts by their supervisor.",
     lambda r: _keyed(r.metrics.restarts, "worker")),
    ("alara.source.count", "updown", "{source}", "Workers of the pool by state.",
     lambda r: _keyed({"running": r.running, "restarting": r.restarting,
                       "quarantined": r.quarantined}, "state")),
    ("alara.source.required", "updown", "{source}",
     "Contributions every request needs (the fail-closed floor).",
     lambda r: [Observation(r.required)]),
    ("alara.request.waiting", "updown", "{request}", "Requests waiting for a round.",
     lambda r: [Observation(r.waiting)]),
    ("alara.event_loop.lag", "gauge", "s",
     "Largest lateness of the network loop's timers over the last seconds.",
     lambda r: [Observation(r.metrics.loop_lag)]),
    ("alara.cluster.node.count", "updown", "{node}", "Cluster machines by state.",
     lambda r: _keyed(r.nodes, "state")),
]


class AlaraInstruments:
    """Registers alara's instruments on a meter of ``meter_provider`` (default: the global
    one) for ``network`` (a ``Network`` or ``BlockingNetwork``; ``None``: the process's
    default networks, added together, as ``alara.prometheus.AlaraCollector`` does).

    Each instrument's callback reads the networks on their own loop threads (waiting at most
    ``timeout`` seconds for each): a read is a copy of a few counters, so a collection of the
    thirteen instruments costs well under a millisecond.

    Raises:
        TypeError: ``network`` is neither a ``Network``, a ``BlockingNetwork`` nor ``None``.
        ValueError: ``timeout`` is not positive.
    """

    def __init__(self, network: Network | alara.BlockingNetwork | None = None, *,
                 meter_provider: MeterProvider | None = None, timeout: float = 1.0) -> None:
        self._reader = PoolReader(network, timeout)
        self.meter: Meter = get_meter("alara", alara.__version__, meter_provider)
        for name, kind, unit, description, read in _INSTRUMENTS:
            create = {"counter": self.meter.create_observable_counter,
                      "updown": self.meter.create_observable_up_down_counter,
                      "gauge": self.meter.create_observable_gauge}[kind]
            create(name, callbacks=[self._callback(read)], unit=unit, description=description)

    def _callback(self, read: _Read) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            return read(self._reader.read())

        return callback
