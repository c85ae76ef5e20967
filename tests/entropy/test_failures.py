"""A worker dying, hanging or crash-looping never leaves a caller hanging.

Kills happen at controlled points (a ``GateSource`` holds the read until the test says so),
and every wait is bounded by ``asyncio.timeout``: a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import MutableMapping
from typing import Any

import pytest

import alara
from alara import (
    AlaraError,
    NoWorkersError,
    OsSource,
    PoolDegradedError,
    SupervisorGaveUpError,
    WorkerDiedError,
)
from alara.entropy import MIN_CONTRIBUTION
from alara.testing.sources import HangingSource, RaisingSource, SlowSource
from tests.entropy.bounded import bounded_network
from tests.entropy.recording import GateSource, RecordingSource, warm_up

Logs = list[MutableMapping[str, Any]]


async def test_a_worker_killed_mid_request_is_replaced_and_the_request_completes(
    logs: Logs,
) -> None:
    gate = GateSource()
    honest = [RecordingSource(), RecordingSource()]
    async with alara.create_network(sources=[honest[0], gate, honest[1]]) as net:
        await warm_up(net, gate, *honest)
        victim = net.get_nodes()[1]
        request = asyncio.ensure_future(net.random_bytes(64))
        async with asyncio.timeout(5):
            await gate.entered.wait()  # the request is now inside worker-1's read
        victim.kill("chaos")
        gate.release()  # the replacement's reads may pass
        async with asyncio.timeout(5):
            out = await request
        assert len(out) == 64
        assert gate.attempts >= 2  # the killed read, then the restarted worker's
        assert gate.sizes[-1] == MIN_CONTRIBUTION  # the killed read never returned bytes
        assert [source.sizes for source in honest] == [[MIN_CONTRIBUTION]] * 2
        replacement = net.get_nodes()[1]
        assert replacement is not victim
        assert replacement.name == "worker-1"
        # The output mixes the replacement's contribution, in registry order.
        blocks = [honest[0].blocks[0], gate.blocks[-1], honest[1].blocks[0]]
        assert out == alara.mix(blocks, 64)
    crashed = [e for e in logs if e["event"] == "actor.crashed"]
    assert [(e["actor"], e["kind"], e["reason"]) for e in crashed] == [
        ("worker-1", "killed", "chaos")
    ]
    restarted = [e for e in logs if e["event"] == "actor.restarted"]
    assert [(e["actor"], e["restarts"]) for e in restarted] == [("worker-1", 1)]


async def test_queued_requests_survive_a_kill_of_the_worker_they_wait_on() -> None:
    gate = GateSource()
    async with alara.create_network(sources=[gate, RecordingSource()]) as net:
        await warm_up(net, gate)
        victim = net.get_nodes()[0]
        requests = [asyncio.ensure_future(net.random_bytes(32)) for _ in range(5)]
        async with asyncio.timeout(5):
            await gate.entered.wait()
        victim.kill("chaos")
        gate.release()
        async with asyncio.timeout(5):
            outputs = await asyncio.gather(*requests)
    assert len(set(outputs)) == 5


async def test_kill_all_workers_then_call_is_answered_by_the_restarted_pool() -> None:
    async with alara.create_network(4) as net:
        old = net.get_nodes()
        for ref in old:
            ref.kill("chaos")  # idle workers: each ends, and is restarted, inside kill()
        assert not any(ref.is_alive() for ref in old)
        async with asyncio.timeout(5):
            out = await net.random_bytes(32)
        assert len(out) == 32
        new = net.get_nodes()
        assert len(new) == 4
        assert not set(map(id, new)) & set(map(id, old))
        assert [child.restarts for child in net.which_children()] == [1, 1, 1, 1]


async def test_restarts_leave_nothing_for_the_garbage_collector() -> None:
    """A killed worker, its ref, its task and its mailbox are freed by reference counting as
    soon as they are replaced: a restart loop (a hostile source, a chaos run) then costs no
    cyclic garbage collections, whose pauses would fall on every caller of the loop."""
    async with alara.create_network(3, max_restarts=1_000) as net:
        await net.random_bytes(32)
        gc.collect()
        gc.disable()
        try:
            for round_ in range(30):
                child_id = f"worker-{round_ % 3}"
                old = net.supervisor.child_ref(child_id)
                assert old is not None
                old.kill("chaos")  # idle: replaced inside kill()
                assert len(await net.random_bytes(32)) == 32
            del old
            await asyncio.sleep(0)  # the last killed task takes its final step
            assert gc.collect() == 0
        finally:
            gc.enable()


async def test_kill_all_workers_while_requests_are_in_flight() -> None:
    gates = [GateSource() for _ in range(3)]
    async with alara.create_network(sources=gates) as net:
        await warm_up(net, *gates)
        old = net.get_nodes()
        request = asyncio.ensure_future(net.random_bytes(100))
        async with asyncio.timeout(5):
            for gate in gates:
                await gate.entered.wait()
        for ref in old:
            ref.kill("chaos")
        for gate in gates:
            gate.release()
        async with asyncio.timeout(5):
            out = await request
        assert len(out) == 100
        assert out == alara.mix([gate.blocks[-1] for gate in gates], 100)
        assert all(ref.is_alive() for ref in net.get_nodes())
    assert all(gate.attempts >= 2 for gate in gates)


async def test_a_hanging_worker_is_killed_and_left_out_of_the_round(logs: Logs) -> None:
    """Restart-only policy (no quarantine): the hung worker is killed, restarted, and the
    round goes on without it instead of waiting for the whole deadline."""
    hanging = HangingSource()
    honest = RecordingSource()
    async with bounded_network(
        sources=[hanging, honest],
        timeout=5,
        contribution_timeout=0.05,
        max_restarts=1000,
        quarantine_after=None,
        min_sources=1,
    ) as net:
        await warm_up_partial(net, honest)
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(3):
            out = await net.random_bytes(32)
        assert len(out) == 32
        assert loop.time() - started < 2  # about contribution_timeout, far below the deadline
        assert hanging.started.is_set()
        assert honest.sizes == [MIN_CONTRIBUTION]
        assert out == alara.mix(honest.blocks, 32)  # served from the one that answered
        async with asyncio.timeout(3):
            while net.which_children()[0].restarts < 1:
                await net.supervisor.changed()
        assert [child.id for child in net.which_children()] == ["worker-0", "worker-1"]
        hung = [e for e in logs if e["event"] == "actor.crashed" and e["actor"] == "worker-0"]
        assert len(hung) >= 1
        assert all(e["reason"] == "no contribution within 0.05s" for e in hung)
        assert any(e["event"] == "actor.restarted" and e["actor"] == "worker-0" for e in logs)


async def test_a_hanging_worker_under_the_availability_policy_is_retired(logs: Logs) -> None:
    """``min_sources=1``: killed, restarted, then quarantined; every caller is answered."""
    honest = RecordingSource()
    async with bounded_network(
        sources=[HangingSource(), honest], timeout=0.5, contribution_timeout=0.05, min_sources=1
    ) as net:
        async with asyncio.timeout(5):
            for _ in range(5):  # each request meets one hang; the third one retires it
                assert len(await net.random_bytes(32)) == 32
                if "worker-0" in net.quarantined():
                    break
        assert any(e["event"] == "actor.restarted" and e["actor"] == "worker-0" for e in logs)
        assert "worker-0" in net.quarantined()
        assert [ref.name for ref in net.get_nodes()] == ["worker-1"]


async def warm_up_partial(net: alara.Network, source: RecordingSource) -> None:
    """Reset ``source`` once its worker has started (its mailbox answered a direct ask)."""
    ref = next(ref for ref in net.get_nodes() if ref.name == "worker-1")
    async with asyncio.timeout(5):
        await ref.call(1)
    source.reset()


async def test_all_workers_hanging_gives_a_clear_error_within_the_deadline() -> None:
    async with bounded_network(
        sources=[HangingSource(), HangingSource()],
        timeout=0.2,
        contribution_timeout=0.05,
        max_restarts=1000,
        quarantine_after=None,
    ) as net:
        async with asyncio.timeout(3):
            with pytest.raises(WorkerDiedError) as caught:
                await net.random_bytes(32)
        message = str(caught.value)
        assert "worker-0" in message
        assert "worker-1" in message
        assert "no contribution" in message


async def test_all_workers_hanging_under_the_default_policy_errors_then_no_workers() -> None:
    async with bounded_network(
        sources=[HangingSource(), HangingSource()], timeout=0.5, contribution_timeout=0.05
    ) as net:
        async with asyncio.timeout(3):
            with pytest.raises((WorkerDiedError, NoWorkersError)) as caught:
                await net.random_bytes(32)
        assert "no contribution" in str(caught.value) or "quarantined" in str(caught.value)
        assert sorted(net.quarantined()) == ["worker-0", "worker-1"]
        async with asyncio.timeout(0.5):  # the empty pool answers at once, clearly
            with pytest.raises(PoolDegradedError, match=r"0 of 2 configured workers"):
                await net.random_bytes(32)


async def test_too_few_contributions_for_min_sources_is_a_clear_error() -> None:
    async with bounded_network(
        sources=[HangingSource(), OsSource(), HangingSource()],
        min_sources=2,
        timeout=0.2,
        contribution_timeout=0.05,
        max_restarts=1000,
        quarantine_after=None,
    ) as net:
        async with asyncio.timeout(3):
            with pytest.raises(WorkerDiedError, match="worker-0, worker-2"):
                await net.random_bytes(32)


async def test_min_sources_met_despite_one_hanging_worker() -> None:
    async with bounded_network(
        sources=[HangingSource(), OsSource(), OsSource()],
        min_sources=2,
        timeout=0.2,
        contribution_timeout=0.05,
        max_restarts=1000,
    ) as net:
        async with asyncio.timeout(3):
            assert len(await net.random_bytes(32)) == 32


def test_min_sources_above_the_pool_size_is_rejected_up_front() -> None:
    with pytest.raises(ValueError, match=r"min_sources must be in \[1, 2\]"):
        alara.create_network(2, min_sources=3)


async def test_a_pool_shrunk_below_min_sources_raises_no_workers_error() -> None:
    async with alara.create_network(3, min_sources=3) as net:
        async with asyncio.timeout(5):
            await net.supervisor.terminate_child("worker-2")
            with pytest.raises(NoWorkersError, match=r"2 live worker\(s\), at least 3 required"):
                await net.random_bytes(32)
            await net.add_worker()
            assert len(await net.random_bytes(32)) == 32  # usable again once it has grown


async def test_supervisor_gave_up_is_raised_promptly(logs: Logs) -> None:
    async with bounded_network(3, max_restarts=0) as net:
        net.get_nodes()[0].kill("chaos")
        async with asyncio.timeout(2):
            with pytest.raises(SupervisorGaveUpError, match="gave up"):
                await net.random_bytes(32)
            with pytest.raises(SupervisorGaveUpError):  # and every later request
                await net.random_int(8)
        assert net.get_nodes() == []
    gave_up = [e for e in logs if e["event"] == "supervisor.gave_up"]
    assert len(gave_up) == 1
    stopped = [e for e in logs if e["event"] == "network.stopped"]
    assert [e["gave_up"] for e in stopped] == [True]


async def test_supervisor_gives_up_during_a_request_in_flight() -> None:
    gate = GateSource()
    async with bounded_network(sources=[gate, OsSource()], max_restarts=0) as net:
        await warm_up(net, gate)
        request = asyncio.ensure_future(net.random_bytes(32))
        async with asyncio.timeout(5):
            await gate.entered.wait()
        net.get_nodes()[0].kill("chaos")
        async with asyncio.timeout(2):
            with pytest.raises(SupervisorGaveUpError):
                await request


async def test_a_crash_looping_source_escalates_instead_of_spinning() -> None:
    """Restart-only policy: the restart intensity is exceeded and the failure is visible."""
    async with bounded_network(
        sources=[RaisingSource(), OsSource()], max_restarts=3, quarantine_after=None
    ) as net:
        async with asyncio.timeout(5):
            with pytest.raises(SupervisorGaveUpError, match="OSError: entropy device unplugged"):
                await net.random_bytes(32)


async def test_a_crash_looping_source_under_the_default_policy_is_retired() -> None:
    async with bounded_network(sources=[RaisingSource(), OsSource()]) as net:
        async with asyncio.timeout(5):
            with pytest.raises((WorkerDiedError, PoolDegradedError)):  # fails closed
                await net.random_bytes(32)
        assert net.quarantined() == ["worker-0"]
        assert net.supervisor.error is None


async def test_a_hanging_pool_with_tight_intensity_escalates_within_the_deadline() -> None:
    async with bounded_network(
        sources=[HangingSource()],
        timeout=2.0,
        contribution_timeout=0.02,
        max_restarts=3,
        quarantine_after=None,
    ) as net:
        async with asyncio.timeout(3):
            with pytest.raises(SupervisorGaveUpError, match=r"no contribution within 0\.02s"):
                await net.random_bytes(32)


async def test_a_cancelled_caller_leaves_the_network_healthy() -> None:
    gate = GateSource()
    async with alara.create_network(sources=[gate, RecordingSource()]) as net:
        await warm_up(net, gate)
        request = asyncio.ensure_future(net.random_bytes(32))
        async with asyncio.timeout(5):
            await gate.entered.wait()
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        gate.release()
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(32)) == 32
        assert len(net.get_nodes()) == 2
        assert all(child.restarts == 0 for child in net.which_children())


async def test_every_failure_is_an_alara_error() -> None:
    for error in (WorkerDiedError, NoWorkersError, SupervisorGaveUpError):
        assert issubclass(error, AlaraError)


async def test_a_slow_source_within_its_deadline_is_waited_for(logs: Logs) -> None:
    """Slow is not hung: a source answering inside ``contribution_timeout`` contributes."""
    fast = RecordingSource()
    async with alara.create_network(
        sources=[SlowSource(delay=0.02), fast], contribution_timeout=2.0
    ) as net:
        async with asyncio.timeout(5):
            outputs = [await net.random_bytes(32) for _ in range(3)]
        assert len(set(outputs)) == 3
        fast_only = [alara.mix([block], 32) for block in fast.blocks]
        assert all(out != alone for out, alone in zip(outputs, fast_only, strict=True))
        assert [child.restarts for child in net.which_children()] == [0, 0]
    assert not [e for e in logs if e["event"] == "actor.crashed"]


async def test_a_source_slower_than_its_deadline_is_treated_as_hung(logs: Logs) -> None:
    fast = RecordingSource()
    async with alara.create_network(
        sources=[SlowSource(delay=1.0), fast], contribution_timeout=0.05, quarantine_after=None,
        min_sources=1,
    ) as net:
        await warm_up_partial(net, fast)
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(5):
            out = await net.random_bytes(32)
        assert loop.time() - started < 0.9  # served without waiting for the slow read
        assert out == alara.mix(fast.blocks, 32)
    hung = [e for e in logs if e["event"] == "actor.crashed" and e["actor"] == "worker-0"]
    assert [e["reason"] for e in hung][:1] == ["no contribution within 0.05s"]
