"""The observer hook: what a network counts, how refusals are logged, the loop-lag probe."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import MutableMapping
from typing import Any

import pytest

import alara
from alara import (
    HealthTestError,
    NetworkClosedError,
    NoWorkersError,
    PoolDegradedError,
    RequestTimeoutError,
    SupervisorGaveUpError,
    TooManyRequestsError,
    WorkerDiedError,
)
from alara.entropy import OUTCOMES, _observe, read_network
from alara.entropy._observe import Observer, health_test_name, outcome_of
from alara.testing import HangingSource
from tests.entropy.bounded import bounded_network
from tests.entropy.test_rounds import HeldSource, hold, release
from tests.helpers import until

Logs = list[MutableMapping[str, Any]]


@pytest.mark.parametrize(("error", "outcome"), [
    (PoolDegradedError("x"), "degraded"),
    (NoWorkersError("x"), "degraded"),
    (SupervisorGaveUpError("x"), "degraded"),
    (WorkerDiedError("worker-1", "hung"), "timeout"),
    (RequestTimeoutError("worker-1 had not answered"), "timeout"),
    (TooManyRequestsError("x"), "too_many"),
    (NetworkClosedError("x"), "closed"),
    (ValueError("x"), "error"),
])
def test_each_error_has_its_outcome(error: BaseException, outcome: str) -> None:
    assert outcome_of(error) == outcome
    assert outcome in OUTCOMES


def test_health_tests_are_named() -> None:
    assert health_test_name(HealthTestError("health_test: repetition count test failed")) == "rct"
    assert health_test_name(
        HealthTestError("health_test: adaptive proportion test failed")) == "apt"
    assert health_test_name(HealthTestError("health_test: repeated block test failed")) == "block"
    named = HealthTestError("health_test: a new test failed")
    named.test = "new"  # type: ignore[attr-defined]
    assert health_test_name(named) == "new"
    assert health_test_name(HealthTestError("something new")) == "other"


async def test_requests_are_counted_by_outcome_and_size() -> None:
    async with alara.create_network(2) as net:
        await net.random_bytes(32)
        await net.random_bytes(5000)
        await net.token_hex(8)
        with pytest.raises(ValueError, match="n must be"):
            await net.random_bytes(-1)  # bad arguments are the caller's: not a request
        metrics = net.metrics()
    assert metrics.requests == {"served": 3, "degraded": 0, "timeout": 0, "too_many": 0,
                                "closed": 0, "error": 0}
    assert metrics.served_bytes == 32 + 5000 + 8
    assert sum(metrics.duration_counts) == 3
    assert len(metrics.duration_counts) == len(metrics.duration_bounds) + 1
    assert metrics.duration_sum > 0
    assert metrics.contributions == {("worker-0", "os"): 3, ("worker-1", "os"): 3}
    assert metrics.restarts == metrics.quarantines == {}
    assert metrics.health_test_failures == {}
    json.dumps(metrics.to_dict())


async def test_a_restart_is_counted_for_its_worker() -> None:
    async with alara.create_network(2) as net:
        [first, _] = net.which_children()
        first.ref.kill("chaos")
        await until(lambda: net.metrics().restarts == {first.id: 1})
        await net.random_bytes(32)
        assert net.metrics().quarantines == {}


async def test_refusals_are_logged_once_per_interval_with_their_reason(logs: Logs) -> None:
    net = await alara.create_network(2)
    await net.close()
    for _ in range(100):
        with pytest.raises(NetworkClosedError):
            await net.random_bytes(32)
    refused = [event for event in logs if event["event"] == "network.refused"]
    assert len(refused) == 1
    [event] = refused
    assert event["log_level"] == "warning"
    assert event["outcome"] == "closed"
    assert event["error"] == "NetworkClosedError"
    assert event["reason"] == "network is closed"
    metrics = net.metrics()
    assert metrics.requests["closed"] == 100
    assert metrics.refusal_reasons == {"closed": "network is closed"}


async def test_a_burst_refused_for_too_many_waiting_is_one_event(logs: Logs) -> None:
    async with alara.create_network(2, max_waiting=1) as net:
        results = await asyncio.gather(*(net.random_bytes(32) for _ in range(50)),
                                       return_exceptions=True)
        refused = sum(isinstance(result, TooManyRequestsError) for result in results)
        assert refused == 48
        assert net.metrics().requests["too_many"] == 48
    [event] = [event for event in logs if event["event"] == "network.refused"]
    assert event["outcome"] == "too_many"
    assert "max_waiting=1" in event["reason"]
    assert event["count"] == 1  # the first; the rest wait for the next interval's event


async def test_loop_lag_is_the_lateness_of_a_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_observe, "LAG_INTERVAL", 0.01)
    observer = Observer()
    observer.start(asyncio.get_running_loop())
    try:
        time.sleep(0.1)  # noqa: ASYNC251 -- a stalled loop (the probe is due in 0.01 s)
        await until(lambda: observer.snapshot({}).loop_lag >= 0.05)
    finally:
        observer.stop()


def test_a_blocking_network_is_read_on_its_own_thread() -> None:
    with alara.BlockingNetwork(2) as net:
        net.token_bytes(4)
        status, metrics = read_network(net.network)
    assert status.state == "open"
    assert metrics.requests["served"] == 1


async def test_a_request_past_its_deadline_is_logged_as_failed(logs: Logs) -> None:
    async with bounded_network(sources=[HangingSource()], timeout=0.2,
                               contribution_timeout=0.1, quarantine_after=None) as net:
        with pytest.raises((WorkerDiedError, RequestTimeoutError)):
            await net.random_bytes(32)
        assert net.metrics().requests["timeout"] == 1
    [event] = [event for event in logs if event["event"] == "network.request_failed"]
    assert (event["log_level"], event["outcome"], event["count"]) == ("warning", "timeout", 1)


@pytest.mark.parametrize("callers", [1, 5, 16, 500])
def test_a_round_timed_at_once_buckets_each_request_as_if_timed_alone(callers: int) -> None:
    """``timed`` counts a round's requests with a few bisects into the arrivals: the same
    buckets and sum as timing each request from its arrival to the round's end."""
    ended = 1000.0
    # arrivals spread from 20 s to 10 µs before the end, ascending, several per bucket
    arrivals = [ended - 20.0 * 0.95 ** (index * 200 / callers) for index in range(callers)]
    batched, alone = Observer(), Observer()
    batched.timed(arrivals, ended)
    for arrived in arrivals:
        alone.timed_alone(ended - arrived)
    assert batched.snapshot({}).duration_counts == alone.snapshot({}).duration_counts
    assert sum(batched.snapshot({}).duration_counts) == callers
    assert batched.snapshot({}).duration_sum == pytest.approx(
        sum(ended - arrived for arrived in arrivals))


async def test_callers_served_by_one_round_are_each_counted_once() -> None:
    sources = [HeldSource(), HeldSource()]
    async with alara.create_network(sources=sources, health=None) as net:
        hold(sources)
        first = asyncio.ensure_future(net.random_bytes(32))
        await until(lambda: all(source.waiting() for source in sources))
        followers = [asyncio.ensure_future(net.random_bytes(32)) for _ in range(20)]
        await until(lambda: net.status().waiting == 20)
        release(sources)
        await asyncio.gather(first, *followers)
        metrics = net.metrics()
    assert metrics.requests["served"] == 21
    assert sum(metrics.duration_counts) == 21
    assert metrics.served_bytes == 21 * 32
