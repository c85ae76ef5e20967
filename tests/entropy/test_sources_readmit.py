"""A quarantined worker comes back: by itself after a retry, or at once by an operator's call.

Every test runs a real network. The broken source is a switch: while ``broken`` it returns
zeros (the health tests fail at once), then it behaves.
"""

from __future__ import annotations

import asyncio
import time

import pytest

import alara
from alara import OsSource, PoolDegradedError, SourceError
from tests.doubles.switch import SwitchSource, quarantine
from tests.helpers import until


async def test_a_source_that_fails_for_a_while_is_retried_and_readmitted_by_itself() -> None:
    switch = SwitchSource()
    net = alara.create_network(sources=[OsSource(), switch, OsSource()], quarantine_after=2,
                               quarantine_period=0.05, quarantine_retry_cap=0.2)
    async with net:
        await quarantine(net, switch)
        info = net.status().quarantined["worker-1"]
        assert "repetition count" in info.reason
        assert info.next_retry is not None
        assert info.next_retry <= time.time() + 0.2
        with pytest.raises(PoolDegradedError, match="worker-1 quarantined"):
            await net.random_bytes(32)  # fail closed meanwhile: it does not count
        await until(lambda: net.status().quarantined.get("worker-1", info).retries >= 1)
        assert "repetition count" in net.status().quarantined["worker-1"].last_retry_failure
        switch.broken = False  # the source behaves from now on
        await until(lambda: net.status().serving)
        assert net.status().quarantined == {}
        assert [child.id for child in net.which_children()] == ["worker-0", "worker-2",
                                                                "worker-1"]
        async with asyncio.timeout(5):
            outputs = {await net.random_bytes(32) for _ in range(50)}
        assert len(outputs) == 50


async def test_readmit_runs_the_start_up_tests_now_and_restores_service() -> None:
    switch = SwitchSource()
    net = alara.create_network(sources=[OsSource(), switch], quarantine_after=2)
    async with net:
        await quarantine(net, switch)
        with pytest.raises(SourceError, match="worker-1 failed its start-up tests"):
            await net.readmit("worker-1")  # still broken: stays out
        assert net.status().quarantined["worker-1"].retries == 1
        switch.broken = False
        await net.readmit("worker-1")
        status = net.status()
        assert (status.serving, status.quarantined) == (True, {})
        assert len(await net.random_bytes(32)) == 32


async def test_replace_worker_gives_a_quarantined_worker_a_new_source_at_once() -> None:
    switch = SwitchSource()
    net = alara.create_network(sources=[OsSource(), switch], quarantine_after=2)
    async with net:
        await quarantine(net, switch)
        await net.replace_worker("worker-1", OsSource())
        status = net.status()
        assert status.serving
        assert status.sources == {"worker-0": "os", "worker-1": "os"}
        assert len(await net.random_bytes(32)) == 32


async def test_replace_worker_swaps_a_running_worker_s_source() -> None:
    async with alara.create_network(sources=[OsSource(), OsSource()]) as net:
        await net.replace_worker("worker-0", SwitchSource())
        assert net.status().sources == {"worker-0": "SwitchSource", "worker-1": "os"}
        assert len(await net.random_bytes(32)) == 32


async def test_remove_worker_lowers_the_configured_and_required_counts() -> None:
    switch = SwitchSource()
    net = alara.create_network(sources=[OsSource(), switch, OsSource()], quarantine_after=2)
    async with net:
        await quarantine(net, switch)
        await net.remove_worker("worker-1")
        status = net.status()
        assert (status.serving, status.configured, status.required) == (True, 2, 2)
        assert status.quarantined == {}
        assert status.missing == ()
        assert len(await net.random_bytes(32)) == 32
        await net.remove_worker("worker-0")  # a running worker too
        assert (net.status().configured, net.status().workers) == (1, 1)
        assert len(await net.random_bytes(32)) == 32
        ref = await net.add_worker(OsSource())  # ids are never reused
        assert ref.name == "worker-3"


async def test_remove_worker_keeps_min_sources_possible() -> None:
    async with alara.create_network(3, min_sources=3) as net:
        with pytest.raises(ValueError, match="min_sources"):
            await net.remove_worker("worker-0")
    async with alara.create_network(3, min_sources=2) as net:
        await net.remove_worker("worker-0")
        assert (net.status().configured, net.status().required) == (2, 2)


async def test_operator_calls_check_their_arguments() -> None:
    async with alara.create_network(2) as net:
        for call in (net.readmit, net.remove_worker):
            with pytest.raises(TypeError, match="worker_id"):
                await call(3)  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="no worker 'worker-7'"):
                await call("worker-7")
        with pytest.raises(ValueError, match="worker-0 is not quarantined"):
            await net.readmit("worker-0")
        with pytest.raises(TypeError, match="source"):
            await net.replace_worker("worker-0", object())  # type: ignore[arg-type]
        await net.remove_worker("worker-1")
        with pytest.raises(ValueError, match="no worker 'worker-1'"):
            await net.remove_worker("worker-1")
        with pytest.raises(ValueError, match="the last worker"):
            await net.remove_worker("worker-0")
        assert len(await net.random_bytes(32)) == 32


def test_the_retry_cap_is_an_option() -> None:
    with pytest.raises(ValueError, match="quarantine_retry_cap"):
        alara.create_network(quarantine_retry_cap=0)
    assert alara.NetworkOptions().quarantine_retry_cap == 3600.0
