"""``AlaraInstruments`` read by the OpenTelemetry SDK's in-memory reader."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

import alara
from alara import OsSource, PoolDegradedError, WorkerDiedError
from alara.otel import AlaraInstruments
from tests.doubles.switch import SwitchSource
from tests.entropy.bounded import bounded_network

Points = dict[tuple[str, frozenset[tuple[str, Any]]], float]


def collect(reader: InMemoryMetricReader) -> tuple[Points, dict[str, str]]:
    points: Points = {}
    units: dict[str, str] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "alara"
            for metric in scope.metrics:
                units[metric.name] = metric.unit or ""
                for point in metric.data.data_points:
                    assert isinstance(point, NumberDataPoint)  # asynchronous: no histograms
                    points[metric.name, frozenset((point.attributes or {}).items())] = (
                        point.value)
    return points, units


async def test_the_sdk_reads_requests_a_quarantine_and_a_refusal() -> None:
    switch = SwitchSource()
    reader = InMemoryMetricReader()
    async with bounded_network(sources=[OsSource(), switch]) as net:
        AlaraInstruments(net, meter_provider=MeterProvider(metric_readers=[reader]))
        for _ in range(3):
            await net.random_bytes(32)
        switch.broken = True
        with pytest.raises(WorkerDiedError):
            await net.random_bytes(32)
        with pytest.raises(PoolDegradedError):
            await net.random_bytes(32)
        points, units = collect(reader)

    def point(name: str, **attributes: Any) -> float:
        return points[name, frozenset(attributes.items())]

    assert point("alara.requests", outcome="served") == 3
    assert point("alara.requests", outcome="timeout") == 1
    assert point("alara.requests", outcome="degraded") == 1
    assert point("alara.request.count") == 5
    assert point("alara.request.duration.sum") > 0
    assert point("alara.served.bytes") == 96
    assert point("alara.source.contributions", worker="worker-1", kind="SwitchSource") == 3
    assert point("alara.health_test.failures", worker="worker-1", test="rct") == 3
    assert point("alara.source.quarantines", worker="worker-1") == 1
    assert point("alara.worker.restarts", worker="worker-1") == 2
    assert point("alara.source.count", state="running") == 1
    assert point("alara.source.count", state="quarantined") == 1
    assert point("alara.source.required") == 2
    assert point("alara.request.waiting") == 0
    assert point("alara.event_loop.lag") >= 0
    assert point("alara.cluster.node.count", state="down") == 0
    assert units["alara.served.bytes"] == "By"
    assert units["alara.event_loop.lag"] == "s"


def test_a_blocking_network_is_read_from_the_collecting_thread() -> None:
    reader = InMemoryMetricReader()
    with alara.BlockingNetwork(2) as net:
        AlaraInstruments(net, meter_provider=MeterProvider(metric_readers=[reader]))
        net.token_bytes(8)
        points, _ = collect(reader)
    assert points["alara.requests", frozenset({("outcome", "served")})] == 1


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="network must be a Network"):
        AlaraInstruments(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be in"):
        AlaraInstruments(timeout=-1)
