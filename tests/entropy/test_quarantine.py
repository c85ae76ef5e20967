"""Quarantine: a source that keeps failing is retired, visibly; an honest one never is.

Unit tests drive ``Quarantine`` with a clock the test moves; network tests wait on the
supervisor's ``changed()`` future (bounded by ``asyncio.timeout``) for the retirements.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest

import alara
from alara import (
    AlaraError,
    Exit,
    ExitKind,
    Network,
    NoWorkersError,
    OsSource,
    WorkerDiedError,
)
from alara.entropy._quarantine import (
    DEFAULT_QUARANTINE_AFTER,
    DEFAULT_QUARANTINE_PERIOD,
    HANG_REASON,
    Quarantine,
    QuarantineRecord,
    is_source_failure,
)
from alara.testing.sources import (
    ConstantSource,
    HangingSource,
    one_honest_attacker,
    one_honest_constant,
)
from tests.entropy.bounded import bounded_network
from tests.entropy.recording import RecordingSource

Logs = list[MutableMapping[str, Any]]

CRASH = Exit(ExitKind.CRASHED, "HealthTestError: health_test: repetition count test failed")
HANG = Exit(ExitKind.KILLED, f"{HANG_REASON} 0.05s")
CHAOS = Exit(ExitKind.KILLED, "chaos")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _wait_until(net: Network, condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await net.supervisor.changed()


# -- the policy, alone ------------------------------------------------------------------------


def test_crashes_and_hangs_count_other_exits_do_not() -> None:
    assert is_source_failure(CRASH)
    assert is_source_failure(HANG)
    assert not is_source_failure(CHAOS)
    assert not is_source_failure(Exit(ExitKind.NORMAL, "stopped"))
    assert not is_source_failure(Exit(ExitKind.SHUTDOWN, "cancelled"))


@pytest.mark.parametrize("exit", [
    CRASH, HANG, CHAOS, Exit(ExitKind.NORMAL, "stopped"), Exit(ExitKind.SHUTDOWN, "cancelled"),
    Exit(ExitKind.KILLED, f"restart failed: {HANG_REASON}"), Exit(ExitKind.CRASHED, ""),
])
def test_on_exit_counts_exactly_what_is_source_failure_says(exit: Exit) -> None:
    # ``on_exit`` inlines the predicate (it runs at every restart): the two must agree.
    quarantine = Quarantine(1, 60.0, clock=Clock())
    assert quarantine.on_exit("worker-0", exit) is not is_source_failure(exit)
    assert (quarantine.quarantined() == ["worker-0"]) is is_source_failure(exit)


def test_the_nth_failure_within_the_period_quarantines(logs: Logs) -> None:
    clock = Clock()
    quarantine = Quarantine(3, 60.0, clock=clock)
    assert quarantine.on_exit("worker-0", CRASH)
    clock.now += 30
    assert quarantine.on_exit("worker-0", HANG)
    assert quarantine.failures("worker-0") == 2
    assert quarantine.on_exit("worker-1", CRASH)  # another worker's failures are its own
    clock.now += 29
    assert not quarantine.on_exit("worker-0", CRASH)
    assert quarantine.quarantined() == ["worker-0"]
    assert quarantine.records() == [QuarantineRecord("worker-0", 3, CRASH.reason)]
    assert quarantine.failures("worker-0") == 0
    events = [e for e in logs if e["event"] == "network.quarantined"]
    assert events == [{
        "event": "network.quarantined", "log_level": "error", "component": "network",
        "worker": "worker-0", "failures": 3, "period": 60.0, "reason": CRASH.reason,
    }]


def test_failures_older_than_the_period_are_forgotten() -> None:
    clock = Clock()
    quarantine = Quarantine(3, 60.0, clock=clock)
    for _ in range(10):
        assert quarantine.on_exit("worker-0", CRASH)
        assert quarantine.on_exit("worker-0", CRASH)
        clock.now += 60.5  # the next pair starts a fresh window
    assert quarantine.quarantined() == []


def test_kills_for_other_reasons_are_never_counted() -> None:
    quarantine = Quarantine(1, 60.0, clock=Clock())
    for _ in range(100):
        assert quarantine.on_exit("worker-0", CHAOS)
    assert quarantine.quarantined() == []
    assert not quarantine.on_exit("worker-0", HANG)


def test_after_none_never_quarantines() -> None:
    quarantine = Quarantine(None, clock=Clock())
    assert all(quarantine.on_exit("worker-0", CRASH) for _ in range(100))
    assert quarantine.quarantined() == []


def test_defaults_are_the_documented_ones() -> None:
    assert (DEFAULT_QUARANTINE_AFTER, DEFAULT_QUARANTINE_PERIOD) == (3, 60.0)
    quarantine = Quarantine()
    assert (quarantine.after, quarantine.period) == (3, 60.0)
    assert repr(quarantine) == "Quarantine(after=3, period=60.0, held=0)"


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"quarantine_after": 0}, ValueError, r"quarantine_after must be in \[1, 1000000\]"),
        ({"quarantine_after": -3}, ValueError, "quarantine_after"),
        ({"quarantine_after": "3"}, TypeError, "quarantine_after"),
        ({"quarantine_after": True}, TypeError, "quarantine_after"),
        ({"quarantine_after": 2.0}, TypeError, "quarantine_after"),
        ({"quarantine_period": 0}, ValueError, "quarantine_period"),
        ({"quarantine_period": -1.0}, ValueError, "quarantine_period"),
        ({"quarantine_period": math.nan}, ValueError, "quarantine_period"),
        ({"quarantine_period": math.inf}, ValueError, "quarantine_period"),
        ({"quarantine_period": "60"}, TypeError, "quarantine_period"),
        ({"health": "on"}, TypeError, "health"),
        ({"contribution_timeout": 0}, ValueError, "contribution_timeout"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"min_sources": 0}, ValueError, "min_sources"),
    ],
)
def test_policy_arguments_are_validated(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        alara.create_network(3, **kwargs)


def test_quarantine_clock_must_be_callable() -> None:
    with pytest.raises(TypeError, match="clock"):
        Quarantine(clock=3.0)  # type: ignore[arg-type]


def test_status_reports_the_policy() -> None:
    net = alara.create_network(
        2, timeout=2.0, contribution_timeout=0.5, min_sources=2,
        quarantine_after=5, quarantine_period=10.0,
    )
    status = net.status().to_dict()
    assert status["state"] == "idle"
    assert (status["timeout"], status["contribution_timeout"], status["min_sources"]) == (
        2.0, 0.5, 2
    )
    assert (status["quarantine_after"], status["quarantine_period"]) == (5, 10.0)
    assert status["quarantined"] == {}


# -- hostile sources end quarantined, honest ones never ----------------------------------------


@pytest.mark.parametrize("sources", [one_honest_constant, one_honest_attacker])
async def test_hostile_sources_end_quarantined_and_the_honest_one_serves(
    logs: Logs, sources: Callable[[], list[Any]]
) -> None:
    async with alara.create_network(sources=sources(), min_sources=1) as net:
        async with asyncio.timeout(10):
            for _ in range(200):  # a pattern needs ~10 contributions per failure
                assert len(await net.random_bytes(32)) == 32
                if len(net.quarantined()) == 4:
                    break
        assert sorted(net.quarantined()) == ["worker-0", "worker-1", "worker-2", "worker-3"]
        status = net.status().to_dict()
        assert status["workers"] == 1
        assert status["running"] == ["worker-4"]
        assert status["restarting"] == []
        assert not status["gave_up"]
        assert [c.id for c in net.which_children()] == ["worker-4"]
        assert [ref.name for ref in net.get_nodes()] == ["worker-4"]
        for record in status["quarantined"].values():
            assert record["failures"] == DEFAULT_QUARANTINE_AFTER
            assert record["reason"].startswith("HealthTestError: health_test:")
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(64)) == 64  # the honest worker alone serves
    quarantined = [e for e in logs if e["event"] == "network.quarantined"]
    assert sorted(e["worker"] for e in quarantined) == sorted(status["quarantined"])
    crashed = [e for e in logs if e["event"] == "actor.crashed"]
    assert {e["actor"] for e in crashed} == set(status["quarantined"])
    assert all("health_test" in e["reason"] for e in crashed)


async def test_os_urandom_is_never_quarantined_even_under_chaos() -> None:
    async with alara.create_network(3) as net:
        async with asyncio.timeout(10):
            for round_ in range(6):
                victim = net.get_nodes()[round_ % 3]
                victim.kill("chaos")
                await _wait_until(net, lambda: len(net.get_nodes()) == 3)
                for _ in range(300):
                    await net.random_bytes(32)
        assert net.quarantined() == []
        assert net.status().to_dict()["quarantined"] == {}
        assert sum(child.restarts for child in net.which_children()) == 6


async def test_quarantine_after_one_retires_at_the_first_failure(logs: Logs) -> None:
    honest = RecordingSource()
    async with alara.create_network(
        sources=[ConstantSource(), honest], quarantine_after=1, max_restarts=0, min_sources=1
    ) as net:
        async with asyncio.timeout(5):
            out = await net.random_bytes(32)
        assert out == alara.mix([honest.blocks[0]], 32)  # the constant bytes were never mixed
        assert net.quarantined() == ["worker-0"]
        assert net.supervisor.error is None  # a veto is not a restart: max_restarts=0 holds
    assert not [e for e in logs if e["event"] == "actor.restarted"]


async def test_five_hostile_sources_fit_in_the_default_intensity() -> None:
    sources: list[Any] = [ConstantSource(value) for value in range(5)]
    async with alara.create_network(sources=[*sources, OsSource()], min_sources=1) as net:
        async with asyncio.timeout(5):
            while len(net.quarantined()) < 5:
                await net.random_bytes(32)
        assert net.supervisor.error is None
        assert len(net.get_nodes()) == 1


# -- the caller's side: completes from the healthy, or a clear error in time ---------------------


async def test_a_hanging_source_is_quarantined_and_the_request_completes(logs: Logs) -> None:
    hanging = HangingSource()
    async with bounded_network(
        sources=[hanging, OsSource(), OsSource()], timeout=2.0, contribution_timeout=0.05,
        min_sources=2,
    ) as net:
        loop = asyncio.get_running_loop()
        for _ in range(DEFAULT_QUARANTINE_AFTER):  # each request meets one hang, no more
            started = loop.time()
            async with asyncio.timeout(3):
                assert len(await net.random_bytes(32)) == 32
            assert loop.time() - started < 1.0  # served by the healthy two, not the deadline
        async with asyncio.timeout(5):  # the third kill's exit retires it
            await _wait_until(net, lambda: net.quarantined() == ["worker-0"])
        reason = net.status().to_dict()["quarantined"]["worker-0"]["reason"]
        assert reason == "no contribution within 0.05s"
        async with asyncio.timeout(1):
            assert len(await net.random_bytes(32)) == 32  # no more waiting on it
    hung = [e for e in logs if e["event"] == "actor.crashed" and e["actor"] == "worker-0"]
    assert [e["kind"] for e in hung] == ["killed"] * DEFAULT_QUARANTINE_AFTER


async def test_too_few_healthy_sources_is_a_clear_error_within_the_deadline() -> None:
    async with bounded_network(
        sources=[HangingSource(), OsSource()],
        min_sources=2, timeout=1.0, contribution_timeout=0.05,
    ) as net:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(3):
            with pytest.raises(WorkerDiedError):
                await net.random_bytes(32)
        assert loop.time() - started < 1.5
        assert net.quarantined() == ["worker-0"]
        async with asyncio.timeout(1):  # from now on, at once
            with pytest.raises(NoWorkersError, match=r"1 live worker\(s\), at least 2"):
                await net.random_bytes(32)
        await net.add_worker()  # an operator adds a healthy source: served again
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(32)) == 32


async def test_every_source_quarantined_is_no_workers_error() -> None:
    async with alara.create_network(sources=[ConstantSource(), ConstantSource(1)]) as net:
        async with asyncio.timeout(5):
            with pytest.raises(AlaraError):
                await net.random_bytes(32)
            await _wait_until(net, lambda: len(net.quarantined()) == 2)
            with pytest.raises(NoWorkersError, match=r"0 of 2 configured workers"):
                await net.random_bytes(32)
        assert net.status().to_dict()["workers"] == 0
