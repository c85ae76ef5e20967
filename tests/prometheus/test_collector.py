"""``AlaraCollector`` scraped through a real registry and read back with the client's parser."""

from __future__ import annotations

import asyncio
import threading

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import alara
from alara import OsSource, PoolDegradedError, TooManyRequestsError, WorkerDiedError
from alara.entropy import DURATION_BUCKETS
from alara.prometheus import AlaraCollector
from tests.doubles.switch import SwitchSource
from tests.entropy.bounded import bounded_network

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(registry: CollectorRegistry) -> tuple[Samples, dict[str, str]]:
    """Every sample of the exposition, and every family's type, by the client's own parser."""
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        types[family.name] = family.type
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples, types


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name, frozenset(labels.items())]


async def test_scrape_after_requests_a_refusal_and_a_quarantine() -> None:
    switch = SwitchSource()
    async with bounded_network(sources=[OsSource(), OsSource(), switch], max_waiting=1) as net:
        registry = CollectorRegistry()
        registry.register(AlaraCollector(net))
        for _ in range(4):
            await net.random_bytes(32)
        await net.random_bytes(100)
        crowd = await asyncio.gather(*(net.random_bytes(32) for _ in range(3)),
                                     return_exceptions=True)
        assert [type(result) for result in crowd] == [bytes, bytes, TooManyRequestsError]
        switch.broken = True
        with pytest.raises(WorkerDiedError):  # three health-test failures: quarantined
            await net.random_bytes(32)
        with pytest.raises(PoolDegradedError):  # fail closed from then on: refused
            await net.random_bytes(32)
        samples, types = scrape(registry)

    served = 4 + 1 + 2
    outcomes = {"served": served, "degraded": 1, "timeout": 1, "too_many": 1, "closed": 0,
                "error": 0}
    for outcome, count in outcomes.items():
        assert value(samples, "alara_requests_total", outcome=outcome) == count, outcome
    assert value(samples, "alara_served_bytes_total") == 6 * 32 + 100
    total = sum(outcomes.values())
    assert value(samples, "alara_request_duration_seconds_count") == total
    assert value(samples, "alara_request_duration_seconds_bucket", le="+Inf") == total
    assert value(samples, "alara_request_duration_seconds_sum") > 0
    bounds = sorted(float(label) for (name, labels) in samples if name.endswith("_bucket")
                    for key, label in labels if key == "le")
    assert bounds == [*DURATION_BUCKETS, float("inf")]
    assert bounds[0] == 50e-6
    for worker in ("worker-0", "worker-1", "worker-2"):
        assert value(samples, "alara_source_contributions_total",
                     worker=worker, kind="os" if worker != "worker-2" else "SwitchSource") == served
    assert value(samples, "alara_health_test_failures_total", worker="worker-2", test="rct") == 3
    assert value(samples, "alara_worker_restarts_total", worker="worker-2") == 2
    assert value(samples, "alara_quarantines_total", worker="worker-2") == 1
    assert value(samples, "alara_sources", state="running") == 2
    assert value(samples, "alara_sources", state="restarting") == 0
    assert value(samples, "alara_sources", state="quarantined") == 1
    assert value(samples, "alara_sources_required") == 3
    assert value(samples, "alara_waiting_requests") == 0
    assert value(samples, "alara_event_loop_lag_seconds") >= 0
    assert value(samples, "alara_cluster_nodes", state="up") == 0
    assert value(samples, "alara_cluster_nodes", state="down") == 0
    assert value(samples, "alara_build_info", version=alara.__version__) == 1
    assert types["alara_requests"] == "counter"
    assert types["alara_request_duration_seconds"] == "histogram"
    assert types["alara_sources"] == "gauge"


async def test_an_apt_failure_is_labelled_apt() -> None:
    class Alternating:
        """0, 1, 0, 1...: never two equal bytes in a row, half of every window one value."""

        def read(self, n: int) -> bytes:
            return bytes([0, 1]) * (n // 2) + bytes(n % 2)

    async with bounded_network(sources=[OsSource(), Alternating()], min_sources=1,
                               quarantine_after=1, contribution_size=1024) as net:
        await net.random_bytes(32)  # served by worker-0, worker-1 lost
        registry = CollectorRegistry()
        registry.register(AlaraCollector(net))
        samples, _ = scrape(registry)
    assert value(samples, "alara_health_test_failures_total", worker="worker-1", test="apt") == 1
    assert value(samples, "alara_quarantines_total", worker="worker-1") == 1


def test_a_blocking_network_is_read_from_another_thread() -> None:
    with alara.BlockingNetwork(2) as net:
        net.token_bytes(16)
        registry = CollectorRegistry()
        registry.register(AlaraCollector(net))
        samples, _ = scrape(registry)
        assert threading.current_thread() is threading.main_thread()
    assert value(samples, "alara_requests_total", outcome="served") == 1
    assert value(samples, "alara_sources", state="running") == 2


async def test_a_closed_network_is_left_out() -> None:
    net = await alara.create_network(2)
    await net.random_bytes(8)
    await net.close()
    registry = CollectorRegistry()
    registry.register(AlaraCollector(net))
    samples, _ = scrape(registry)
    assert value(samples, "alara_requests_total", outcome="served") == 0
    assert value(samples, "alara_build_info", version=alara.__version__) == 1


def test_bad_arguments_are_named() -> None:
    with pytest.raises(TypeError, match="network must be a Network"):
        AlaraCollector("net")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be in"):
        AlaraCollector(timeout=0)


async def test_without_a_network_the_process_defaults_are_reported() -> None:
    default = await alara.default_network()  # this loop's, started now
    await default.random_bytes(8)
    await default.random_bytes(8)
    registry = CollectorRegistry()
    registry.register(AlaraCollector())
    samples, _ = scrape(registry)
    assert value(samples, "alara_requests_total", outcome="served") >= 2
    assert value(samples, "alara_sources", state="running") >= len(default.which_children())


class TwoMachines:
    """A cluster whose view has one machine up and one down (no remote worker is started)."""

    remote_timeout = 1.0

    async def start(self, pool: alara.ClusterPool) -> None:
        pass

    async def stop(self) -> None:
        pass

    def nodes(self) -> list[alara.ClusterNode]:
        return [alara.ClusterNode("a", "127.0.0.2", "up", 0.0, "remote-a"),
                alara.ClusterNode("b", "127.0.0.3", "down", 0.0, "remote-b", "lost")]

    def on_child_exit(self, child_id: str, exit: alara.Exit) -> bool | None:
        return None

    def describe(self) -> dict[str, object] | None:
        return {"kind": "two machines"}


async def test_cluster_machines_are_counted_by_state() -> None:
    async with alara.create_network(1, cluster=TwoMachines()) as net:
        registry = CollectorRegistry()
        registry.register(AlaraCollector(net))
        samples, _ = scrape(registry)
    assert value(samples, "alara_cluster_nodes", state="up") == 1
    assert value(samples, "alara_cluster_nodes", state="down") == 1
