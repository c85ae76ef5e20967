"""Supervision trees: a supervisor as a child, and escalation of its give-up to the top.

Intensity tests use the ``clock`` fixture (it stands still), so "within the period" holds by
construction; every wait is on an event, a future or a registry change, under ``BOUND``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest

from alara import supervisor_spec as public_supervisor_spec
from alara.actors import (
    Actor,
    ActorDiedError,
    ActorRef,
    ChildSpec,
    Exit,
    ExitKind,
    OneForOneSupervisor,
    Restart,
    Supervisor,
    SupervisorGaveUpError,
    spawn,
    supervisor_spec,
)
from tests.actors.behaviours import Blocker, Crasher, Echo, Gate, StopRecorder
from tests.actors.conftest import FakeClock
from tests.helpers import BOUND, replaced, until

Events = list[MutableMapping[str, Any]]


def recorder(label: str, order: list[str]) -> Callable[[], Actor]:
    return lambda: StopRecorder(label, order)


async def started(*specs: ChildSpec, **options: Any) -> OneForOneSupervisor:
    supervisor = OneForOneSupervisor(specs, **options)
    await supervisor.start()
    return supervisor


def ref_of(supervisor: Supervisor, child_id: str) -> ActorRef:
    ref = supervisor.child_ref(child_id)
    assert ref is not None, f"no child {child_id!r}"
    return ref


async def inner(supervisor: Supervisor, child_id: str) -> Supervisor:
    """The nested supervisor run by ``supervisor``'s child ``child_id``, asked of the actor."""
    nested = await ref_of(supervisor, child_id).call(Supervisor.SUPERVISOR)
    assert isinstance(nested, Supervisor)
    return nested


async def crash(ref: ActorRef) -> None:
    with pytest.raises(ActorDiedError):
        await ref.call("crash")


def restarted(logs: Events, actor: str) -> Events:
    return [e for e in logs if e["event"] == "actor.restarted" and e["actor"] == actor]


# -- the nested supervisor copes alone -----------------------------------------------------------


async def test_inner_child_crash_is_restarted_by_the_inner_supervisor_alone(
    clock: FakeClock, logs: Events
) -> None:
    parent = await started(
        ChildSpec("sibling", Echo),
        supervisor_spec("sub", [ChildSpec("w", Crasher)], clock=clock),
        clock=clock,
    )
    async with asyncio.timeout(BOUND):
        sub, sibling = ref_of(parent, "sub"), ref_of(parent, "sibling")
        nested = await inner(parent, "sub")
        w = ref_of(nested, "w")
        await crash(w)
        new_w = await replaced(nested, "w", w)
        assert await new_w.call("hello") == "hello"
        rows = await sub.call(Supervisor.WHICH_CHILDREN)
        assert [(row.id, row.ref, row.restarts) for row in rows] == [("w", new_w, 1)]
        # The parent saw nothing: same refs, no restart counted, nothing logged for "sub".
        assert ref_of(parent, "sub") is sub
        assert sub.is_alive()
        assert ref_of(parent, "sibling") is sibling
        assert [row.restarts for row in parent.which_children()] == [0, 0]
        assert restarted(logs, "sub") == []
        assert len(restarted(logs, "w")) == 1
        await parent.stop()


# -- escalation ----------------------------------------------------------------------------------


async def test_inner_give_up_crashes_the_nested_supervisor_and_the_parent_restarts_it_fresh(
    clock: FakeClock, logs: Events
) -> None:
    order: list[str] = []
    parent = await started(
        supervisor_spec(
            "sub",
            [ChildSpec("x", recorder("x", order)), ChildSpec("w", Crasher)],
            max_restarts=0,
            clock=clock,
        ),
        name="top",
        clock=clock,
    )
    async with asyncio.timeout(BOUND):
        sub = ref_of(parent, "sub")
        nested = await inner(parent, "sub")
        x, w = ref_of(nested, "x"), ref_of(nested, "w")
        await crash(w)  # max_restarts=0: the nested supervisor gives up at once
        exit = await sub.wait()
        new_sub = await replaced(parent, "sub", sub)
        new_nested = await inner(parent, "sub")
    # The nested children were stopped (gracefully) before the nested supervisor crashed.
    assert order == ["x"]
    assert x.exit is not None
    assert x.exit.kind is ExitKind.NORMAL
    assert not w.is_alive()
    with pytest.raises(SupervisorGaveUpError):
        await nested.wait()
    # The nested supervisor's exit is a crash whose reason and error name the nested give-up.
    assert exit.kind is ExitKind.CRASHED
    assert exit.abnormal
    assert isinstance(exit.error, SupervisorGaveUpError)
    assert exit.error is nested.error
    assert "gave up" in exit.reason
    assert "'sub'" in exit.reason
    # The parent restarted the subtree: a new actor, a new nested supervisor, new children.
    assert new_sub.is_alive()
    assert new_nested is not nested
    assert new_nested.running
    assert ref_of(new_nested, "x") not in (x, w)
    assert ref_of(new_nested, "w") not in (x, w)
    assert all(row.restarts == 0 for row in new_nested.which_children())
    assert parent.which_children()[0].restarts == 1
    assert parent.running
    [event] = restarted(logs, "sub")
    assert event["restarts"] == 1
    assert "gave up" in event["reason"]
    async with asyncio.timeout(BOUND):
        await parent.stop()


async def test_repeated_inner_give_ups_exceed_the_parent_intensity(clock: FakeClock) -> None:
    parent = await started(
        ChildSpec("sibling", Echo),
        supervisor_spec("sub", [ChildSpec("w", Crasher)], max_restarts=0, clock=clock),
        max_restarts=1,
        name="top",
        clock=clock,
    )
    sibling = ref_of(parent, "sibling")
    nested_children: list[ActorRef] = []
    async with asyncio.timeout(BOUND):
        sub = ref_of(parent, "sub")
        await crash(ref_of(await inner(parent, "sub"), "w"))  # first give-up: restarted
        sub = await replaced(parent, "sub", sub)
        last = ref_of(await inner(parent, "sub"), "w")
        nested_children.append(last)
        await crash(last)  # second give-up within the period: one more than the parent allows
        with pytest.raises(SupervisorGaveUpError) as caught:
            await parent.wait()
    message = str(caught.value)
    assert "'top'" in message
    assert "'sub'" in message
    assert "gave up" in message
    assert parent.error is caught.value
    assert not parent.running
    # The top gave up in its turn: every actor of the tree has ended.
    assert not sibling.is_alive()
    assert not sub.is_alive()
    assert all(not ref.is_alive() for ref in nested_children)
    assert parent.live_refs() == []


async def test_a_three_level_tree_escalates_two_levels_and_restarts_fresh(
    clock: FakeClock,
) -> None:
    await asyncio.sleep(0)
    before = asyncio.all_tasks()
    leaf = supervisor_spec("leaf", [ChildSpec("w", Crasher)], max_restarts=0, clock=clock)
    middle = supervisor_spec("middle", [ChildSpec("m", Echo), leaf], max_restarts=0, clock=clock)
    top = await started(ChildSpec("t", Echo), middle, name="top", clock=clock)
    async with asyncio.timeout(BOUND):
        middle_ref = ref_of(top, "middle")
        middle_sup = await inner(top, "middle")
        leaf_sup = await inner(middle_sup, "leaf")
        m, w = ref_of(middle_sup, "m"), ref_of(leaf_sup, "w")
        await crash(w)  # leaf gives up and crashes -> middle (0 restarts) gives up
        with pytest.raises(SupervisorGaveUpError):
            await middle_sup.wait()
        with pytest.raises(SupervisorGaveUpError):
            await leaf_sup.wait()
        new_middle = await replaced(top, "middle", middle_ref)  # ...and the top restarts it
        new_middle_sup = await inner(top, "middle")
        new_leaf_sup = await inner(new_middle_sup, "leaf")
        new_w = ref_of(new_leaf_sup, "w")
        assert await new_w.call("alive") == "alive"
        assert not m.is_alive()
        assert ref_of(new_middle_sup, "m") is not m
        assert new_w is not w
        assert new_middle.is_alive()
        assert top.running
        assert "'middle'" in str(middle_sup.error)
        assert "'leaf'" in str(middle_sup.error)
        await top.stop()
        await top.wait()
        assert not new_w.is_alive()
        assert not new_middle.is_alive()
        await until(lambda: asyncio.all_tasks() == before)
    assert asyncio.all_tasks() == before


# -- every way a nested supervisor ends ends its children ------------------------------------


async def test_parent_stop_stops_the_nested_tree_last_started_first_leaving_no_task() -> None:
    await asyncio.sleep(0)
    before = asyncio.all_tasks()
    order: list[str] = []
    parent = await started(
        ChildSpec("a", recorder("a", order)),
        supervisor_spec(
            "sub", [ChildSpec("b1", recorder("b1", order)), ChildSpec("b2", recorder("b2", order))]
        ),
        ChildSpec("c", recorder("c", order)),
    )
    async with asyncio.timeout(BOUND):
        sub = ref_of(parent, "sub")
        nested = await inner(parent, "sub")
        nested_refs = nested.live_refs()
        await parent.stop()
        await parent.wait()
        # The whole tree, depth first, last started first; the nested supervisor ended normally.
        assert order == ["c", "b2", "b1", "a"]
        assert sub.exit == Exit(ExitKind.NORMAL, "stopped")
        assert all(ref.exit is not None and ref.exit.kind is ExitKind.NORMAL for ref in nested_refs)
        assert not nested.running
        assert nested.error is None
        await until(lambda: asyncio.all_tasks() == before)
    assert asyncio.all_tasks() == before


async def test_killing_a_nested_supervisor_stops_its_children_and_the_parent_restarts_it() -> None:
    """No child outlives its supervisor: killed, it asks its children to stop."""
    await asyncio.sleep(0)
    before = asyncio.all_tasks()
    order: list[str] = []
    parent = await started(
        supervisor_spec(
            "sub", [ChildSpec("x", recorder("x", order)), ChildSpec("y", recorder("y", order))]
        )
    )
    async with asyncio.timeout(BOUND):
        sub = ref_of(parent, "sub")
        nested = await inner(parent, "sub")
        x, y = ref_of(nested, "x"), ref_of(nested, "y")
        sub.kill("operator")
        await nested.wait()  # the nested supervisor ended, and its children were told
        assert await x.wait() == Exit(ExitKind.NORMAL, "stopped")
        assert await y.wait() == Exit(ExitKind.NORMAL, "stopped")
        assert order == ["y", "x"]  # asked last started first
        assert sub.exit == Exit(ExitKind.KILLED, "operator")
        await replaced(parent, "sub", sub)
        new_nested = await inner(parent, "sub")  # restarted with fresh children
        assert ref_of(new_nested, "x") is not x
        await parent.stop()
        await until(lambda: asyncio.all_tasks() == before)
    assert asyncio.all_tasks() == before


async def test_a_subtree_crashed_by_an_unknown_call_stops_its_children() -> None:
    parent = await started(supervisor_spec("sub", [ChildSpec("x", Echo)]))
    async with asyncio.timeout(BOUND):
        sub = ref_of(parent, "sub")
        x = ref_of(await inner(parent, "sub"), "x")
        with pytest.raises(ActorDiedError):
            await sub.call("no such call")
        assert sub.exit is not None
        assert sub.exit.kind is ExitKind.CRASHED
        assert "str" in sub.exit.reason
        assert "no such call" not in sub.exit.reason
        await x.wait()
        await replaced(parent, "sub", sub)
        await parent.stop()


async def test_a_subtree_cancelled_at_its_shutdown_timeout_still_ends_its_children() -> None:
    await asyncio.sleep(0)
    before = asyncio.all_tasks()
    gate = Gate()
    parent = await started(
        supervisor_spec(
            "sub",
            [ChildSpec("stuck", lambda: Blocker(gate), shutdown_timeout=0.05)],
            shutdown_timeout=0.01,  # shorter than its child needs: it is cancelled
        )
    )
    async with asyncio.timeout(BOUND):
        sub = ref_of(parent, "sub")
        stuck = ref_of(await inner(parent, "sub"), "stuck")
        blocked = stuck.ask("block")
        await gate.entered.wait()
        await parent.stop()
        assert sub.exit is not None
        assert sub.exit.kind is ExitKind.SHUTDOWN
        stuck_exit = await stuck.wait()  # stopped, then cancelled at its own timeout
        assert stuck_exit.kind is ExitKind.SHUTDOWN
        with pytest.raises(ActorDiedError):
            await blocked
        await until(lambda: asyncio.all_tasks() == before)
    assert asyncio.all_tasks() == before


# -- the pieces ----------------------------------------------------------------------------------


async def test_spawn_gives_the_actor_its_own_ref() -> None:
    seen: list[ActorRef | None] = []

    class Introspective(Actor):
        async def on_start(self) -> None:
            seen.append(self.ref)

    actor = Introspective()
    assert actor.ref is None
    ref = spawn(actor)
    assert actor.ref is ref
    async with asyncio.timeout(BOUND):
        await ref.stop()
    assert seen == [ref]


class ExitRecorder(Crasher):
    def __init__(self, exits: list[tuple[Exit, bool]]) -> None:
        super().__init__()
        self.exits = exits

    def on_exit(self, exit: Exit) -> None:
        assert self.ref is not None
        self.exits.append((exit, self.ref.exit is None))  # before the monitors hear


async def test_on_exit_runs_once_for_every_kind_of_end_before_the_monitors() -> None:
    exits: list[tuple[Exit, bool]] = []
    async with asyncio.timeout(BOUND):
        stopped = spawn(ExitRecorder(exits))
        await stopped.stop()
        crashed = spawn(ExitRecorder(exits))
        await crash(crashed)
        killed = spawn(ExitRecorder(exits))
        await killed.call("started")
        killed.kill("chaos")
        await killed.wait()
    assert [(exit.kind, before) for exit, before in exits] == [
        (ExitKind.NORMAL, True),
        (ExitKind.CRASHED, True),
        (ExitKind.KILLED, True),
    ]


async def test_an_on_exit_that_raises_is_reported_and_the_actor_still_ends() -> None:
    class Broken(Actor):
        def on_exit(self, exit: Exit) -> None:
            raise RuntimeError("cleanup failed")

    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        async with asyncio.timeout(BOUND):
            exit = await spawn(Broken(), name="broken").stop()
    finally:
        loop.set_exception_handler(previous)
    assert exit.kind is ExitKind.NORMAL
    assert [context["message"] for context in reported] == ["on_exit of actor 'broken' raised"]


async def test_a_nested_supervisor_that_cannot_start_crashes() -> None:
    def fails() -> Actor:
        raise RuntimeError("no")

    ref = spawn(Supervisor([ChildSpec("bad", fails)], name="sub"))
    async with asyncio.timeout(BOUND):
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED
    assert "RuntimeError" in exit.reason


def test_supervisor_spec_builds_a_child_spec_with_a_shutdown_long_enough_for_the_tree() -> None:
    children = [ChildSpec("a", Echo, shutdown_timeout=2.0), ChildSpec("b", Echo)]
    spec = supervisor_spec("sub", children, restart=Restart.TRANSIENT)
    assert spec.id == "sub"
    assert spec.restart is Restart.TRANSIENT
    assert spec.shutdown_timeout == 2 * (2.0 + 5.0) + 1.0  # each child: graceful, then its grace
    assert supervisor_spec("sub", children, shutdown_timeout=3.0).shutdown_timeout == 3.0
    assert isinstance(spec.factory(), Supervisor)
    assert spec.factory() is not spec.factory()  # a fresh nested supervisor per (re)start
    assert public_supervisor_spec is supervisor_spec


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (("", []), {}, ValueError),
        ((3, []), {}, TypeError),
        (("sub", 5), {}, TypeError),
        (("sub", [Echo]), {}, TypeError),
        (("sub", [ChildSpec("a", Echo), ChildSpec("a", Echo)]), {}, ValueError),
        (("sub", []), {"max_restarts": -1}, ValueError),
        (("sub", []), {"period": 0}, ValueError),
        (("sub", []), {"restart": "sometimes"}, ValueError),
        (("sub", []), {"shutdown_timeout": 0}, ValueError),
    ],
)
def test_supervisor_spec_rejects_bad_arguments_where_the_tree_is_written(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        supervisor_spec(*args, **kwargs)
