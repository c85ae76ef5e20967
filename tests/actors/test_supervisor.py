"""One-for-one supervision: restart types, the live registry, intensity, and shutdown."""

from __future__ import annotations

import asyncio
import gc
import itertools
import math
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import pytest

from alara.actors import (
    Actor,
    ActorDiedError,
    ActorRef,
    AlaraError,
    ChildSpec,
    ExitKind,
    OneForOneSupervisor,
    Restart,
    Strategy,
    SupervisorGaveUpError,
)
from tests.actors.behaviours import Blocker, Crasher, Echo, Gate, StopRecorder
from tests.actors.conftest import FakeClock
from tests.helpers import BOUND, removed, replaced, until


def recorder(label: str, order: list[str]) -> Callable[[], Actor]:
    """A factory of ``StopRecorder``s that all append ``label`` to ``order`` when stopped."""
    return lambda: StopRecorder(label, order)


def spec(child_id: str, factory: Callable[[], Actor] = Echo, **options: Any) -> ChildSpec:
    return ChildSpec(child_id, factory, **options)


async def started(*specs: ChildSpec, **options: Any) -> OneForOneSupervisor:
    supervisor = OneForOneSupervisor(specs, **options)
    await supervisor.start()
    return supervisor


class Supervise(Protocol):
    """What the ``supervise`` fixture gives: ``started``, with the stop after the test done."""

    def __call__(self, *specs: ChildSpec, **options: Any) -> Awaitable[OneForOneSupervisor]: ...


@pytest.fixture
async def supervise() -> AsyncIterator[Supervise]:
    """``started``, and every supervisor it started is stopped after the test, whatever happened."""
    supervisors: list[OneForOneSupervisor] = []

    async def start(*specs: ChildSpec, **options: Any) -> OneForOneSupervisor:
        supervisor = await started(*specs, **options)
        supervisors.append(supervisor)
        return supervisor

    yield start
    async with asyncio.timeout(BOUND):
        for supervisor in supervisors:
            await supervisor.stop()


async def crash(ref: ActorRef) -> None:
    """Crash a ``Crasher`` child through its handler (not from outside)."""
    with pytest.raises(ActorDiedError):
        await ref.call("crash")


async def processed_events(supervisor: OneForOneSupervisor, barrier_id: str) -> None:
    """Wait until the supervisor has handled every child exit that happened before now.

    Exits are handled in order, so once a fresh kill of the permanent ``barrier_id`` child
    has been answered with a restart, every earlier exit has been dealt with too: this is how
    a test shows that something was *not* restarted without sleeping.
    """
    barrier = supervisor.child_ref(barrier_id)
    assert barrier is not None
    barrier.kill("barrier")
    await replaced(supervisor, barrier_id, barrier)


# -- restart types -----------------------------------------------------------------------------


@pytest.mark.parametrize("restart", [Restart.PERMANENT, Restart.TRANSIENT])
@pytest.mark.parametrize("how", ["crash", "kill"])
async def test_abnormal_exit_restarts_permanent_and_transient_children(
    supervise: Supervise, restart: Restart, how: str
) -> None:
    supervisor = await supervise(spec("a", Crasher, restart=restart))
    old = supervisor.child_ref("a")
    assert old is not None
    async with asyncio.timeout(BOUND):
        if how == "crash":
            await crash(old)
        else:
            old.kill("test")
        new = await replaced(supervisor, "a", old)
        assert new is not old
        assert new.id != old.id
        assert new.name == "a"
        assert new.is_alive()
        assert await new.call("hello") == "hello"  # a fresh actor with a fresh mailbox
    # The dead ref stays dead: callers holding it fail fast instead of reaching the new child.
    with pytest.raises(ActorDiedError):
        old.ask("x")
    with pytest.raises(ActorDiedError):
        old.cast("x")
    [child] = supervisor.which_children()
    assert (child.id, child.ref, child.restarts, child.alive) == ("a", new, 1, True)
    assert child.restart is restart


async def test_permanent_child_is_restarted_even_after_a_normal_stop(supervise: Supervise) -> None:
    supervisor = await supervise(spec("a"))
    old = supervisor.child_ref("a")
    assert old is not None
    async with asyncio.timeout(BOUND):
        assert (await old.stop()).kind is ExitKind.NORMAL
        new = await replaced(supervisor, "a", old)
    assert new.is_alive()


async def test_transient_child_that_stops_normally_is_removed_not_restarted(
    supervise: Supervise,
) -> None:
    supervisor = await supervise(spec("t", restart=Restart.TRANSIENT), spec("barrier"))
    ref = supervisor.child_ref("t")
    assert ref is not None
    async with asyncio.timeout(BOUND):
        await ref.stop()
        await removed(supervisor, "t")
        await processed_events(supervisor, "barrier")
    assert [child.id for child in supervisor.which_children()] == ["barrier"]
    assert supervisor.size == 1
    assert supervisor.running


@pytest.mark.parametrize("how", ["crash", "kill", "stop"])
async def test_temporary_child_is_never_restarted_and_leaves_the_registry(
    supervise: Supervise, how: str
) -> None:
    supervisor = await supervise(spec("tmp", Crasher, restart=Restart.TEMPORARY), spec("barrier"))
    ref = supervisor.child_ref("tmp")
    assert ref is not None
    async with asyncio.timeout(BOUND):
        if how == "crash":
            await crash(ref)
        elif how == "kill":
            ref.kill()
        else:
            await ref.stop()
        await removed(supervisor, "tmp")
        await processed_events(supervisor, "barrier")
    assert supervisor.child_ref("tmp") is None
    assert [child.id for child in supervisor.which_children()] == ["barrier"]
    with pytest.raises(ActorDiedError):
        await ref.call("x")


async def test_each_restart_gets_a_fresh_behaviour_from_the_factory(supervise: Supervise) -> None:
    built: list[Crasher] = []

    def factory() -> Crasher:
        built.append(Crasher())
        return built[-1]

    supervisor = await supervise(spec("a", factory))
    async with asyncio.timeout(BOUND):
        for _ in range(3):
            ref = supervisor.child_ref("a")
            assert ref is not None
            await crash(ref)
            await replaced(supervisor, "a", ref)
    assert len(built) == 4
    assert len({id(actor) for actor in built}) == 4
    assert supervisor.which_children()[0].restarts == 3


async def test_a_sibling_is_left_alone_when_a_child_restarts(supervise: Supervise) -> None:
    supervisor = await supervise(spec("a", Crasher), spec("b"))
    a, b = supervisor.child_ref("a"), supervisor.child_ref("b")
    assert a is not None
    assert b is not None
    async with asyncio.timeout(BOUND):
        await crash(a)
        await replaced(supervisor, "a", a)
        assert await b.call("still here") == "still here"
    assert supervisor.child_ref("b") is b


# -- the live registry -------------------------------------------------------------------------


async def test_which_children_is_read_live(supervise: Supervise) -> None:
    supervisor = await supervise(spec("a"), spec("b", restart=Restart.TRANSIENT))
    first = supervisor.which_children()
    assert [(c.id, c.restart, c.restarts, c.alive) for c in first] == [
        ("a", Restart.PERMANENT, 0, True),
        ("b", Restart.TRANSIENT, 0, True),
    ]
    assert supervisor.live_refs() == [child.ref for child in first]

    async with asyncio.timeout(BOUND):
        added = await supervisor.add_child(spec("c"))
    # No await between the change and the read: nothing could have refreshed a cache.
    assert [c.id for c in supervisor.which_children()] == ["a", "b", "c"]
    assert supervisor.which_children()[2].ref is added
    assert supervisor.size == 3

    a = first[0].ref
    a.kill("registry test")
    async with asyncio.timeout(BOUND):
        new_a = await replaced(supervisor, "a", a)
    rows = supervisor.which_children()
    assert rows[0].ref is new_a
    assert not a.is_alive()
    assert (rows[0].restarts, rows[0].alive) == (1, True)
    assert supervisor.live_refs() == [new_a, first[1].ref, added]

    async with asyncio.timeout(BOUND):
        await supervisor.terminate_child("b")
    assert [c.id for c in supervisor.which_children()] == ["a", "c"]
    assert supervisor.child_ref("b") is None
    assert supervisor.child_ref("nope") is None


async def test_a_busy_child_killed_stays_registered_dead_until_its_task_ends(
    supervise: Supervise,
) -> None:
    gate = Gate()
    supervisor = await supervise(spec("a", lambda: Blocker(gate)), spec("b"))
    a = supervisor.child_ref("a")
    assert a is not None
    blocked = a.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
    a.kill("registry test")  # busy in a handler: the end comes at its next step, not here
    rows = supervisor.which_children()
    assert rows[0].ref is a
    assert not rows[0].alive
    assert a.exit is None
    assert a not in supervisor.live_refs()
    assert supervisor.size == 2  # still registered while it restarts
    async with asyncio.timeout(BOUND):
        new_a = await replaced(supervisor, "a", a)
        with pytest.raises(ActorDiedError):
            await blocked
    assert a.exit is not None
    assert a.exit.kind is ExitKind.KILLED
    rows = supervisor.which_children()
    assert (rows[0].ref, rows[0].restarts, rows[0].alive) == (new_a, 1, True)


async def test_changed_completes_at_the_next_registry_change(supervise: Supervise) -> None:
    supervisor = await supervise(spec("a"))
    waiter = supervisor.changed()
    assert not waiter.done()
    async with asyncio.timeout(BOUND):
        await supervisor.add_child(spec("b"))
        await waiter
        await supervisor.stop()
    assert supervisor.changed().done()  # a stopped supervisor never changes again


async def test_a_changed_waiter_sees_the_replacement_registered_and_taking_messages(
    supervise: Supervise,
) -> None:
    """The restart wakes ``changed()`` waiters: a waiter finds the new child registered and
    alive, and what it sends reaches the fresh actor."""
    starts: list[Actor] = []

    class Counted(Echo):
        async def on_start(self) -> None:
            starts.append(self)

    supervisor = await supervise(spec("a", Counted), spec("b"))
    async with asyncio.timeout(BOUND):
        await until(lambda: len(starts) == 1)
        old = supervisor.child_ref("a")
        assert old is not None
        waiter = supervisor.changed()
        old.kill("test")
        await waiter
        new = supervisor.child_ref("a")
        assert new is not None
        assert new is not old
        assert new.is_alive()
        assert [child.id for child in supervisor.which_children()] == ["a", "b"]
        assert [child.restarts for child in supervisor.which_children()] == [1, 0]
        assert await new.call("first") == "first"
    assert len(starts) == 2


# -- add_child / terminate_child ---------------------------------------------------------------


async def test_add_child_starts_a_supervised_child(supervise: Supervise) -> None:
    supervisor = await supervise()
    assert supervisor.which_children() == []
    async with asyncio.timeout(BOUND):
        ref = await supervisor.add_child(spec("late", Crasher))
        assert ref.is_alive()
        assert ref.name == "late"
        assert await ref.call("hi") == "hi"
        await crash(ref)
        new = await replaced(supervisor, "late", ref)
    assert new.is_alive()


async def test_a_child_killed_before_its_first_step_is_restarted(supervise: Supervise) -> None:
    supervisor = await supervise()
    async with asyncio.timeout(BOUND):
        ref = await supervisor.add_child(spec("early"))
        ref.kill("before it ran")  # no await since spawn: its task has not started
        new = await replaced(supervisor, "early", ref)
        assert await new.call("up") == "up"
    assert ref.exit is not None
    assert ref.exit.kind is ExitKind.KILLED


async def test_add_child_rejects_a_duplicate_id(supervise: Supervise) -> None:
    supervisor = await supervise(spec("a"))
    original = supervisor.child_ref("a")
    with pytest.raises(ValueError, match="'a'"):
        await supervisor.add_child(spec("a"))
    assert supervisor.child_ref("a") is original
    assert supervisor.size == 1


async def test_add_child_whose_factory_fails_leaves_the_registry_unchanged(
    supervise: Supervise,
) -> None:
    def broken() -> Actor:
        raise RuntimeError("cannot build")

    supervisor = await supervise(spec("a"))
    with pytest.raises(RuntimeError, match="cannot build"):
        await supervisor.add_child(spec("b", broken))
    assert [child.id for child in supervisor.which_children()] == ["a"]
    async with asyncio.timeout(BOUND):
        ref = await supervisor.add_child(spec("b"))  # the id is free to use
    assert ref.is_alive()


async def test_add_child_rejects_what_is_not_a_child_spec(supervise: Supervise) -> None:
    supervisor = await supervise()
    with pytest.raises(TypeError, match="spec"):
        await supervisor.add_child(Echo)  # type: ignore[arg-type]


async def test_terminate_child_stops_it_gracefully_and_does_not_restart_it(
    supervise: Supervise,
) -> None:
    order: list[str] = []
    supervisor = await supervise(spec("a", recorder("a", order)), spec("barrier"))
    ref = supervisor.child_ref("a")
    assert ref is not None
    queued = ref.ask("queued before terminate")
    async with asyncio.timeout(BOUND):
        exit = await supervisor.terminate_child("a")
        assert await queued == "queued before terminate"  # graceful: the mailbox was drained
        await processed_events(supervisor, "barrier")
    assert exit.kind is ExitKind.NORMAL
    assert order == ["a"]
    assert supervisor.child_ref("a") is None
    assert not ref.is_alive()
    assert [child.id for child in supervisor.which_children()] == ["barrier"]


async def test_terminate_child_rejects_unknown_and_bad_ids(supervise: Supervise) -> None:
    supervisor = await supervise(spec("a"))
    with pytest.raises(ValueError, match="'b'"):
        await supervisor.terminate_child("b")
    with pytest.raises(TypeError, match="child_id"):
        await supervisor.terminate_child(1)  # type: ignore[arg-type]
    assert supervisor.size == 1


async def test_terminate_child_cancelled_still_ends_the_child(supervise: Supervise) -> None:
    gate = Gate()  # never released: the child can only end by cancellation
    supervisor = await supervise(spec("stuck", lambda: Blocker(gate), shutdown_timeout=0.05))
    ref = supervisor.child_ref("stuck")
    assert ref is not None
    blocked = ref.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        terminating = asyncio.ensure_future(supervisor.terminate_child("stuck"))
        await until(lambda: not ref.is_alive())  # the stop has begun
        terminating.cancel()
        with pytest.raises(asyncio.CancelledError):
            await terminating
        exit = await ref.wait()  # the child is not orphaned half-stopped
        with pytest.raises(ActorDiedError):
            await blocked
    assert exit.kind is ExitKind.SHUTDOWN


async def test_registry_operations_need_a_running_supervisor() -> None:
    supervisor = OneForOneSupervisor([spec("a")])
    with pytest.raises(AlaraError, match="not running"):
        await supervisor.add_child(spec("b"))
    with pytest.raises(AlaraError, match="not running"):
        await supervisor.terminate_child("a")
    async with asyncio.timeout(BOUND):
        await supervisor.start()
        with pytest.raises(AlaraError, match="already started"):
            await supervisor.start()
        await supervisor.stop()
        await supervisor.stop()  # idempotent
        await supervisor.wait()  # a normal stop is not an error
    assert supervisor.error is None
    with pytest.raises(AlaraError, match="not running"):
        await supervisor.add_child(spec("b"))


async def test_stop_before_start_is_harmless() -> None:
    supervisor = OneForOneSupervisor([spec("a")])
    async with asyncio.timeout(BOUND):
        await supervisor.stop()
        await supervisor.wait()
    assert not supervisor.running
    assert supervisor.which_children() == []


async def test_start_with_a_failing_factory_stops_what_it_started() -> None:
    first = Echo()

    def broken() -> Actor:
        raise RuntimeError("cannot build")

    supervisor = OneForOneSupervisor([spec("a", lambda: first), spec("b", broken)])
    with pytest.raises(RuntimeError, match="cannot build"):
        await supervisor.start()
    assert not supervisor.running
    async with asyncio.timeout(BOUND):
        await supervisor.wait()  # ended, not hung
        await asyncio.sleep(0)
    assert first.stopped  # the child started before the failure was stopped, not orphaned
    assert all(not child.alive for child in supervisor.which_children())


async def test_start_with_a_factory_that_returns_a_non_actor() -> None:
    supervisor = OneForOneSupervisor([spec("a", lambda: "not an actor")])  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="actor"):
        await supervisor.start()
    assert not supervisor.running


# -- restart intensity -------------------------------------------------------------------------


async def test_defaults_follow_alara() -> None:
    supervisor = OneForOneSupervisor()
    assert (supervisor.max_restarts, supervisor.period) == (10, 5.0)


async def test_intensity_exceeded_stops_the_children_and_fails_visibly(clock: FakeClock) -> None:
    order: list[str] = []
    supervisor = await started(
        spec("sibling", recorder("sibling", order)),
        spec("a", Crasher),
        max_restarts=2,
        period=5.0,
        name="pool",
        clock=clock,
    )
    sibling = supervisor.child_ref("sibling")
    assert sibling is not None
    async with asyncio.timeout(BOUND):
        for expected_restarts in (1, 2):  # two restarts are allowed...
            ref = supervisor.child_ref("a")
            assert ref is not None
            await crash(ref)
            await replaced(supervisor, "a", ref)
            assert supervisor.which_children()[1].restarts == expected_restarts
        assert supervisor.running
        last = supervisor.child_ref("a")
        assert last is not None
        last.kill("third strike")  # ...the third within the period is one too many
        with pytest.raises(SupervisorGaveUpError) as caught:
            await supervisor.wait()
    error = caught.value
    assert isinstance(error, AlaraError)
    assert supervisor.error is error
    assert not supervisor.running
    assert "'pool'" in str(error)
    assert "'a'" in str(error)
    assert "third strike" in str(error)
    assert "2 restarts" in str(error)
    # Its children were stopped, gracefully: nothing is left running behind a dead supervisor.
    assert not sibling.is_alive()
    assert sibling.exit is not None
    assert sibling.exit.kind is ExitKind.NORMAL
    assert order == ["sibling"]
    assert supervisor.live_refs() == []
    assert supervisor.child_ref("a") is last  # not restarted a third time
    # The failure stays visible to every later use.
    with pytest.raises(SupervisorGaveUpError):
        await supervisor.add_child(spec("b"))
    with pytest.raises(SupervisorGaveUpError):
        await supervisor.terminate_child("sibling")
    async with asyncio.timeout(BOUND):
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()
        await supervisor.stop()  # harmless after giving up
    assert supervisor.changed().done()


async def test_max_restarts_zero_gives_up_at_the_first_crash(clock: FakeClock) -> None:
    supervisor = await started(spec("a", Crasher), max_restarts=0, clock=clock)
    ref = supervisor.child_ref("a")
    assert ref is not None
    async with asyncio.timeout(BOUND):
        await crash(ref)
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()


async def test_restarts_spread_over_time_stay_within_intensity(clock: FakeClock) -> None:
    supervisor = await started(spec("a", Crasher), max_restarts=1, period=5.0, clock=clock)
    try:
        async with asyncio.timeout(BOUND):
            for round_ in range(1, 5):
                ref = supervisor.child_ref("a")
                assert ref is not None
                await crash(ref)
                await replaced(supervisor, "a", ref)
                assert supervisor.which_children()[0].restarts == round_
                clock.advance(5.1)  # the previous restart leaves the window
        assert supervisor.running
        assert supervisor.error is None
    finally:
        async with asyncio.timeout(BOUND):
            await supervisor.stop()


async def test_the_same_restarts_without_the_spread_exceed_intensity(clock: FakeClock) -> None:
    supervisor = await started(spec("a", Crasher), max_restarts=1, period=5.0, clock=clock)
    async with asyncio.timeout(BOUND):
        ref = supervisor.child_ref("a")
        assert ref is not None
        await crash(ref)
        ref = await replaced(supervisor, "a", ref)
        clock.advance(4.9)  # still inside the window
        await crash(ref)
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()


async def test_restarts_of_different_children_count_together(clock: FakeClock) -> None:
    supervisor = await started(spec("a"), spec("b"), max_restarts=2, clock=clock)
    async with asyncio.timeout(BOUND):
        for child_id in ("a", "b"):
            ref = supervisor.child_ref(child_id)
            assert ref is not None
            ref.kill()
            await replaced(supervisor, child_id, ref)
        a = supervisor.child_ref("a")
        assert a is not None
        a.kill()
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()


async def test_a_child_that_crashes_on_every_start_ends_in_giving_up(clock: FakeClock) -> None:
    class FailsToStart(Actor):
        async def on_start(self) -> None:
            raise RuntimeError("bad config")

    supervisor = await started(spec("doomed", FailsToStart), max_restarts=3, clock=clock)
    async with asyncio.timeout(BOUND):
        with pytest.raises(SupervisorGaveUpError, match="bad config"):
            await supervisor.wait()
    assert supervisor.which_children()[0].restarts == 3


async def test_a_factory_that_fails_on_restart_counts_as_a_crash(clock: FakeClock) -> None:
    calls = itertools.count()

    def factory() -> Actor:
        if next(calls) > 0:
            raise RuntimeError("no more")
        return Echo()

    supervisor = await started(spec("a", factory), max_restarts=3, clock=clock)
    ref = supervisor.child_ref("a")
    assert ref is not None
    ref.kill()
    async with asyncio.timeout(BOUND):
        with pytest.raises(SupervisorGaveUpError, match="restart failed"):
            await supervisor.wait()
    assert next(calls) == 1 + 3  # the first start, then max_restarts failed attempts


async def test_a_factory_failing_at_a_restart_is_retried_by_the_supervisor(
    supervise: Supervise,
) -> None:
    """A factory that fails when a killed child is restarted raises nothing out of kill(); the
    supervisor retries, as for any failed restart."""
    calls = itertools.count()

    def factory() -> Actor:
        if next(calls) == 1:
            raise RuntimeError("not yet")
        return Echo()

    supervisor = await supervise(spec("a", factory))
    old = supervisor.child_ref("a")
    assert old is not None
    old.kill("test")  # returns normally: the restart is the supervisor's business
    assert supervisor.child_ref("a") is old
    async with asyncio.timeout(BOUND):
        new = await replaced(supervisor, "a", old)
        assert await new.call("back") == "back"
    assert supervisor.running
    assert supervisor.which_children()[0].restarts == 1
    assert next(calls) == 3  # the first start, the failed restart, the retry


# -- ordered graceful shutdown -----------------------------------------------------------------


async def test_shutdown_stops_children_last_started_first() -> None:
    order: list[str] = []
    supervisor = await started(*(spec(label, recorder(label, order)) for label in "abc"))
    async with asyncio.timeout(BOUND):
        await supervisor.add_child(spec("d", recorder("d", order)))
        b = supervisor.child_ref("b")
        assert b is not None
        b.kill()  # a restarted child keeps its place in the order
        await replaced(supervisor, "b", b)
        refs = supervisor.live_refs()
        await supervisor.stop()
        await supervisor.wait()
    assert order == ["d", "c", "b", "a"]
    assert all(ref.exit is not None and ref.exit.kind is ExitKind.NORMAL for ref in refs)
    assert not supervisor.running
    assert supervisor.error is None


async def test_shutdown_cancels_a_child_that_outlives_its_timeout() -> None:
    order: list[str] = []
    gate = Gate()  # never released: this child's handler blocks forever
    supervisor = await started(
        spec("first", recorder("first", order)),
        spec("stuck", lambda: Blocker(gate), shutdown_timeout=0.05),
        spec("last", recorder("last", order)),
    )
    stuck = supervisor.child_ref("stuck")
    assert stuck is not None
    in_flight = stuck.ask("block")
    queued = stuck.ask("behind it")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        await supervisor.stop()
        for reply in (in_flight, queued):
            with pytest.raises(ActorDiedError, match="shutdown"):
                await reply
    assert stuck.exit is not None
    assert stuck.exit.kind is ExitKind.SHUTDOWN
    assert order == ["last", "first"]  # the stuck one delayed, but did not stop, the rest


async def test_calls_in_flight_during_shutdown_complete_or_fail_fast() -> None:
    gate = Gate()
    supervisor = await started(spec("fast"), spec("slow", lambda: Blocker(gate)))
    slow, fast = supervisor.child_ref("slow"), supervisor.child_ref("fast")
    assert slow is not None
    assert fast is not None
    queued = [slow.ask("block"), *(slow.ask(i) for i in range(5))]
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        stopping = asyncio.ensure_future(supervisor.stop())
        await until(lambda: not slow.is_alive())  # shutdown begins with the last started
        assert not supervisor.running
        with pytest.raises(ActorDiedError):
            await slow.call("too late")  # refused at once, not queued behind the stop
        assert await fast.call("not yet stopped") == "not yet stopped"
        gate.release.set()
        assert await asyncio.gather(*queued) == ["block", 0, 1, 2, 3, 4]
        await stopping
        with pytest.raises(ActorDiedError):
            await fast.call("after")
    # Nothing was restarted during shutdown.
    assert supervisor.child_ref("slow") is slow
    assert supervisor.child_ref("fast") is fast


async def test_a_child_crashing_during_shutdown_is_not_restarted() -> None:
    gate = Gate()
    supervisor = await started(spec("victim", Crasher), spec("slow", lambda: Blocker(gate)))
    victim = supervisor.child_ref("victim")
    assert victim is not None
    async with asyncio.timeout(BOUND):
        slow = supervisor.child_ref("slow")
        assert slow is not None
        blocked = slow.ask("block")
        await gate.entered.wait()
        stopping = asyncio.ensure_future(supervisor.stop())
        await until(lambda: not slow.is_alive())
        await crash(victim)
        gate.release.set()
        await blocked
        await stopping
    assert supervisor.child_ref("victim") is victim
    assert supervisor.error is None


async def test_stop_cancelled_by_its_caller_still_finishes_shutdown() -> None:
    gate = Gate()  # never released
    supervisor = await started(spec("stuck", lambda: Blocker(gate), shutdown_timeout=0.2))
    stuck = supervisor.child_ref("stuck")
    assert stuck is not None
    blocked = stuck.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await supervisor.stop()  # the owner gives up waiting...
        await supervisor.stop()  # ...but shutdown went on, and a second stop sees it end
        await supervisor.wait()
        with pytest.raises(ActorDiedError):
            await blocked
    assert stuck.exit is not None
    assert stuck.exit.kind is ExitKind.SHUTDOWN


async def test_the_supervisor_task_ends_with_the_supervisor() -> None:
    await asyncio.sleep(0)
    before = asyncio.all_tasks()
    supervisor = await started(spec("a"), spec("b", Crasher))
    async with asyncio.timeout(BOUND):
        b = supervisor.child_ref("b")
        assert b is not None
        await crash(b)
        await replaced(supervisor, "b", b)
        await supervisor.stop()
        await until(lambda: asyncio.all_tasks() == before)  # the supervising task has ended
    assert asyncio.all_tasks() == before


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "argument"),
    [
        ({"id": ""}, ValueError, "id"),
        ({"id": 3}, TypeError, "id"),
        ({"id": None}, TypeError, "id"),
        ({"factory": Echo()}, TypeError, "factory"),
        ({"factory": None}, TypeError, "factory"),
        ({"restart": "sometimes"}, ValueError, "restart"),
        ({"restart": 1}, TypeError, "restart"),
        ({"shutdown_timeout": 0}, ValueError, "shutdown_timeout"),
        ({"shutdown_timeout": -1.0}, ValueError, "shutdown_timeout"),
        ({"shutdown_timeout": math.nan}, ValueError, "shutdown_timeout"),
        ({"shutdown_timeout": True}, TypeError, "shutdown_timeout"),
        ({"shutdown_timeout": "5"}, TypeError, "shutdown_timeout"),
    ],
)
def test_child_spec_rejects_bad_fields(
    kwargs: dict[str, Any], error: type[Exception], argument: str
) -> None:
    fields: dict[str, Any] = {"id": "a", "factory": Echo} | kwargs
    with pytest.raises(error, match=argument):
        ChildSpec(**fields)


def test_child_spec_accepts_restart_names() -> None:
    assert ChildSpec("a", Echo, restart="transient").restart is Restart.TRANSIENT  # type: ignore[arg-type]
    assert ChildSpec("a", Echo).restart is Restart.PERMANENT
    assert ChildSpec("a", Echo, shutdown_timeout=1).shutdown_timeout == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "argument"),
    [
        ({"max_restarts": -1}, ValueError, "max_restarts"),
        ({"max_restarts": 1.5}, TypeError, "max_restarts"),
        ({"max_restarts": True}, TypeError, "max_restarts"),
        ({"max_restarts": "10"}, TypeError, "max_restarts"),
        ({"max_restarts": None}, TypeError, "max_restarts"),
        ({"period": 0}, ValueError, "period"),
        ({"period": -5}, ValueError, "period"),
        ({"period": math.nan}, ValueError, "period"),
        ({"period": False}, TypeError, "period"),
        ({"period": "5"}, TypeError, "period"),
        ({"name": 3}, TypeError, "name"),
        ({"children": [Echo]}, TypeError, "children"),
        ({"children": [spec("a"), spec("a")]}, ValueError, "'a'"),
        ({"strategy": Strategy.ONE_FOR_ALL}, TypeError, "strategy"),
        ({"strategy": "rest_for_one"}, TypeError, "strategy"),
    ],
)
def test_supervisor_rejects_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], argument: str
) -> None:
    with pytest.raises(error, match=argument):
        OneForOneSupervisor(**kwargs)


def test_a_supervisor_left_running_at_the_end_of_asyncio_run_restarts_nothing() -> None:
    # asyncio.run cancels every task, the children's and the supervisor's: restarting a child
    # then would leave a task the closing loop never runs.
    started: list[Actor] = []

    class Counted(Actor):
        def __init__(self) -> None:
            started.append(self)

    async def main() -> None:
        supervisor = OneForOneSupervisor([ChildSpec("a", Counted), ChildSpec("b", Counted)])
        await supervisor.start()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    assert len(started) == 2
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


async def test_a_stopped_supervisor_is_freed_without_the_garbage_collector(
    no_collector: None,
) -> None:
    """Stopping ends every cycle through the supervisor (its shared monitor is a bound method
    it holds), so an owner that drops it frees it, its children and their tasks at once."""
    supervisor = OneForOneSupervisor([ChildSpec(f"c{i}", Echo) for i in range(3)])
    await supervisor.start()
    refs = [supervisor.child_ref(f"c{i}") for i in range(3)]
    async with asyncio.timeout(BOUND):
        for ref in refs:
            assert ref is not None
            assert await ref.ask("up") == "up"
        await supervisor.stop()
        await asyncio.sleep(0)  # the supervising task takes its last step
    del ref, refs
    probe = weakref.ref(supervisor)
    del supervisor
    assert probe() is None
