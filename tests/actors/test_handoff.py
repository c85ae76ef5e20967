"""A restarted child runs on its predecessor's task when that task ended cleanly.

A crash, a stop, or a kill while idle leaves the task free; a cancellation does not. The
replacement is still a new actor (new ref, fresh mailbox, fresh behaviour), its first step
still comes at a later loop turn, and every path by which the task is lost first (a kill
before it was reached, an outside cancellation) still ends every ref and restarts the child.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest

from alara.actors import (
    Actor,
    ChildSpec,
    ExitKind,
    OneForOneSupervisor,
    Restart,
    SupervisorGaveUpError,
    spawn,
)
from tests.actors.behaviours import Blocker, Crasher, Echo, Gate
from tests.actors.conftest import recording_task_factory
from tests.helpers import BOUND, replaced


@pytest.fixture
async def supervisor() -> AsyncIterator[OneForOneSupervisor]:
    """A running one-for-one supervisor of one ``Echo`` child, ``"c"``; stopped after."""
    started = OneForOneSupervisor([ChildSpec("c", Echo)], max_restarts=100)
    await started.start()
    yield started
    async with asyncio.timeout(BOUND):
        await started.stop()


async def _started(supervisor: OneForOneSupervisor, child_id: str = "c") -> Any:
    """The child's ref once its task has taken its first step (parked on its mailbox)."""
    ref = supervisor.child_ref(child_id)
    assert ref is not None
    async with asyncio.timeout(BOUND):
        assert await ref.ask("ready") == "ready"
    return ref


async def _carrying(spec: ChildSpec) -> tuple[OneForOneSupervisor, Any, Any]:
    """A started supervisor of ``spec``, its child killed while idle: the supervisor, the
    killed ref, and the replacement its task now carries (not run yet)."""
    supervisor = OneForOneSupervisor([spec])
    await supervisor.start()
    old = await _started(supervisor, spec.id)
    old.kill("test")
    carried = supervisor.child_ref(spec.id)
    assert carried is not None
    assert carried._task is old._task
    return supervisor, old, carried


async def test_a_child_killed_while_idle_is_replaced_on_its_own_task(
    supervisor: OneForOneSupervisor,
) -> None:
    old = await _started(supervisor)
    task = old._task
    old.kill("test")
    new = supervisor.child_ref("c")
    assert new is not None
    assert new is not old
    assert old.exit is not None
    assert old.exit.kind is ExitKind.KILLED
    assert new._task is task  # the same asyncio task carries the new actor
    assert new._items is not old._items
    async with asyncio.timeout(BOUND):
        assert await new.ask("hello") == "hello"
    assert task is not None
    assert not task.done()
    assert task.get_name() == f"alara:c#{new.id}"  # renamed when it took the new actor up
    async with asyncio.timeout(BOUND):
        await supervisor.stop()
    assert task.done()
    assert not task.cancelled()


async def test_a_crashed_child_is_replaced_on_its_own_task() -> None:
    supervisor = OneForOneSupervisor([ChildSpec("c", Crasher)], max_restarts=100)
    await supervisor.start()
    try:
        old = await _started(supervisor)
        async with asyncio.timeout(BOUND):
            crash = old.ask("crash")
            await asyncio.gather(crash, return_exceptions=True)
            new = await replaced(supervisor, "c", old)
            assert await new.ask(1) == 1
        assert old.exit is not None
        assert old.exit.kind is ExitKind.CRASHED
        assert new._task is old._task
    finally:
        await supervisor.stop()


async def test_a_child_killed_while_busy_gets_a_task_of_its_own() -> None:
    # A cancelled task carries nothing: its cancellation count would follow the new actor.
    gate = Gate()
    supervisor = OneForOneSupervisor([ChildSpec("c", lambda: Blocker(gate))], max_restarts=100)
    await supervisor.start()
    try:
        old = await _started(supervisor)
        async with asyncio.timeout(BOUND):
            blocked = old.ask("block")
            await gate.entered.wait()
            old.kill("test")
            new = await replaced(supervisor, "c", old)
            assert await new.ask(2) == 2
            await asyncio.gather(blocked, return_exceptions=True)
        assert new._task is not old._task
        assert old._task is not None
        assert old._task.done()
    finally:
        await supervisor.stop()


async def test_children_killed_before_the_task_reached_them_are_passed_by(
    supervisor: OneForOneSupervisor,
) -> None:
    first = await _started(supervisor)
    killed = [first]
    for _ in range(3):  # each replacement killed before its first step
        ref = supervisor.child_ref("c")
        assert ref is not None
        ref.kill("again")
        killed.append(ref)
    last = supervisor.child_ref("c")
    assert last is not None
    assert last not in killed
    async with asyncio.timeout(BOUND):
        assert await last.ask("x") == "x"
    assert last._task is first._task
    for ref in killed:
        assert ref.exit is not None
        assert ref.exit.kind is ExitKind.KILLED


@pytest.mark.parametrize("restart", [Restart.PERMANENT, Restart.TRANSIENT])
async def test_a_task_cancelled_before_it_reaches_the_new_child_ends_it_and_it_restarts(
    restart: Restart,
) -> None:
    # The replacement never ran and what ended it is not its doing: it ends as killed, so a
    # transient child is restarted too, as it would be had it had a task of its own.
    supervisor, old, carried = await _carrying(ChildSpec("c", Echo, restart=restart))
    assert old._task is not None
    old._task.cancel()  # someone else cancels the task before it wakes
    async with asyncio.timeout(BOUND):
        exit = await carried.wait()
        assert exit.kind is ExitKind.KILLED
        assert exit.reason.startswith("orphaned")
        new = await replaced(supervisor, "c", carried)
        assert await new.ask(3) == 3
        await supervisor.stop()
    assert new._task is not old._task  # the cancelled task carried nothing


async def test_a_child_that_crashes_as_it_starts_yields_between_restarts() -> None:
    # The restart happens inside the crashing step, but the successor's first step waits for
    # the next loop turn: other tasks run between restarts.
    ticks = 0
    seen: list[int] = []

    class CrashOnStart(Actor):
        async def on_start(self) -> None:
            seen.append(ticks)
            raise RuntimeError("cannot start")

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.get_running_loop().create_task(ticker())
    supervisor = OneForOneSupervisor([ChildSpec("c", CrashOnStart)], max_restarts=20)
    await supervisor.start()
    try:
        with pytest.raises(SupervisorGaveUpError):
            async with asyncio.timeout(BOUND):
                await supervisor.wait()
    finally:
        ticking.cancel()
    assert len(seen) == 21  # the first start and 20 restarts
    assert all(later > earlier for earlier, later in itertools.pairwise(seen))


async def test_a_loop_with_a_task_factory_gets_a_task_per_restart() -> None:
    with recording_task_factory() as made:
        supervisor = OneForOneSupervisor([ChildSpec("c", Echo)], max_restarts=100)
        await supervisor.start()
        old = await _started(supervisor)
        old.kill("test")
        new = supervisor.child_ref("c")
        assert new is not None
        assert new._task is not old._task
        assert new._task in made
        await supervisor.stop()


async def test_an_unsupervised_actor_that_crashes_ends_its_task() -> None:
    ref = spawn(Crasher())
    async with asyncio.timeout(BOUND):
        await asyncio.gather(ref.ask("crash"), return_exceptions=True)
        await ref.wait()
        assert ref._task is not None
        await ref._task
    assert ref._task.done()
    assert ref._task.exception() is None


async def test_a_supervisor_stopped_right_after_a_kill_stops_the_replacement_at_once() -> None:
    # The replacement has not run yet when the stop reaches it: its task still ends it
    # gracefully at its first look at the mailbox, long before its shutdown timeout.
    supervisor, _, carried = await _carrying(ChildSpec("c", Echo, shutdown_timeout=60.0))
    async with asyncio.timeout(BOUND):  # far below the 60 s a missed stop would take
        await supervisor.stop()
    assert carried.exit is not None
    assert carried.exit.kind is ExitKind.NORMAL


async def test_a_replacement_starting_up_holds_nothing_of_its_predecessor() -> None:
    """While the replacement's ``on_start`` runs on the carried task, the actor that ended
    (its behaviour, and with it whatever it read) is already freed by reference counting."""
    gate = asyncio.Event()
    starts = 0

    class SlowSecondStart(Echo):
        async def on_start(self) -> None:
            nonlocal starts
            starts += 1
            if starts == 2:
                await gate.wait()

        def handle_batch_now(self, batch: list[Any]) -> bool:
            return False  # overridden, as EntropyWorker does: the task keeps a bound method

    supervisor = OneForOneSupervisor([ChildSpec("c", SlowSecondStart)])
    await supervisor.start()
    old = await _started(supervisor)
    assert old._actor is not None
    probe = weakref.ref(old._actor)
    gc.collect()
    gc.disable()
    try:
        old.kill("test")
        async with asyncio.timeout(BOUND):
            while starts < 2:  # noqa: ASYNC110 -- the carried task reaches on_start by itself
                await asyncio.sleep(0)
        assert probe() is None
    finally:
        gc.enable()
        gate.set()
        async with asyncio.timeout(BOUND):
            await supervisor.stop()
