"""One-for-all and rest-for-one, against OTP's documented behaviour (``sup_princ``, ``supervisor``).

What OTP specifies, and each test pins:
- one_for_all: a child that ends and is to be restarted takes every sibling with it: the others
  are terminated, then all are restarted.
- rest_for_one: the children started after it are terminated, then it and they are restarted.
- Termination is in reverse start order, one child at a time; restart is in start order.
- A group restart counts as one restart toward the intensity.
- A temporary child is never restarted, even when a sibling's restart terminates it; a child
  that is not to be restarted (temporary, or transient ending normally) triggers nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from alara.actors import (
    Actor,
    ActorDiedError,
    ActorRef,
    ChildSpec,
    ExitKind,
    Restart,
    Strategy,
    Supervisor,
    SupervisorGaveUpError,
    supervisor_spec,
)
from tests.actors.behaviours import Gate
from tests.actors.conftest import FakeClock
from tests.helpers import BOUND, changed_until, replaced, until

Journal = list[tuple[str, str]]


class Tracked(Actor):
    """Writes ``("start", label)`` and ``("stop", label)`` to a shared journal; ``"crash"``
    raises; an optional gate holds its ``on_stop`` so a test can see who waits for whom."""

    def __init__(self, label: str, journal: Journal, stop_gate: Gate | None = None) -> None:
        self.label = label
        self.journal = journal
        self.stop_gate = stop_gate

    async def on_start(self) -> None:
        self.journal.append(("start", self.label))

    async def handle_call(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError(f"{self.label} crashed")
        return message

    async def on_stop(self) -> None:
        if self.stop_gate is not None:
            await self.stop_gate.pass_through()
        self.journal.append(("stop", self.label))


def tracked(label: str, journal: Journal, **options: Any) -> ChildSpec:
    gate = options.pop("stop_gate", None)
    return ChildSpec(label, lambda: Tracked(label, journal, gate), **options)


@pytest.fixture
async def supervisors() -> AsyncIterator[list[Supervisor]]:
    """Every supervisor a test appends here is stopped afterwards, whatever happened."""
    made: list[Supervisor] = []
    yield made
    async with asyncio.timeout(BOUND):
        for supervisor in made:
            await supervisor.stop()


async def started(made: list[Supervisor], strategy: Strategy, *specs: ChildSpec,
                  **options: Any) -> Supervisor:
    supervisor = Supervisor(specs, strategy=strategy, **options)
    made.append(supervisor)
    await supervisor.start()
    async with asyncio.timeout(BOUND):  # every child has run its on_start
        for ref in supervisor.live_refs():
            await ref.call("ready")
    return supervisor


def refs(supervisor: Supervisor) -> dict[str, ActorRef]:
    return {child.id: child.ref for child in supervisor.which_children()}


async def crash(ref: ActorRef) -> None:
    with pytest.raises(ActorDiedError):
        await ref.call("crash")


async def all_restarted(supervisor: Supervisor, old: dict[str, ActorRef],
                        ids: Callable[[], list[str]]) -> None:
    """Wait until every child in ``ids()`` runs under a ref other than its old one."""
    for child_id in ids():
        await replaced(supervisor, child_id, old[child_id])


# -- one_for_all ----------------------------------------------------------------------------


async def test_one_for_all_stops_the_others_last_first_then_restarts_all_in_order(
    supervisors: list[Supervisor],
) -> None:
    journal: Journal = []
    supervisor = await started(supervisors, Strategy.ONE_FOR_ALL,
                               *(tracked(label, journal) for label in "abcd"))
    before = refs(supervisor)
    journal.clear()
    async with asyncio.timeout(BOUND):
        await crash(before["b"])
        await all_restarted(supervisor, before, lambda: list("abcd"))
        for ref in supervisor.live_refs():
            await ref.call("ready")
    # b crashed (no stop); the others stopped last-started-first; then all in start order.
    assert journal == [("stop", "d"), ("stop", "c"), ("stop", "a"),
                       ("start", "a"), ("start", "b"), ("start", "c"), ("start", "d")]
    after = refs(supervisor)
    assert all(after[k] is not before[k] for k in "abcd")
    assert all(not ref.is_alive() for ref in before.values())
    assert [child.restarts for child in supervisor.which_children()] == [1, 1, 1, 1]
    for label in "acd":
        exit = before[label].exit
        assert exit is not None
        assert exit.kind is ExitKind.NORMAL  # terminated gracefully, not killed


async def test_one_for_all_group_restart_counts_once_toward_intensity(
    supervisors: list[Supervisor], clock: FakeClock
) -> None:
    journal: Journal = []
    supervisor = await started(supervisors, Strategy.ONE_FOR_ALL,
                               *(tracked(label, journal) for label in "abc"),
                               max_restarts=1, clock=clock)
    before = refs(supervisor)
    async with asyncio.timeout(BOUND):
        await crash(before["a"])
        await all_restarted(supervisor, before, lambda: list("abc"))
        assert supervisor.running  # three children restarted, one restart counted
        await crash(refs(supervisor)["c"])  # a second restart within the period: too many
        with pytest.raises(SupervisorGaveUpError, match="'c'"):
            await supervisor.wait()
    assert supervisor.live_refs() == []


async def test_one_for_all_forgets_a_temporary_sibling_it_terminated(
    supervisors: list[Supervisor],
) -> None:
    journal: Journal = []
    supervisor = await started(
        supervisors, Strategy.ONE_FOR_ALL,
        tracked("a", journal),
        tracked("tmp", journal, restart=Restart.TEMPORARY),
        tracked("c", journal),
    )
    before = refs(supervisor)
    async with asyncio.timeout(BOUND):
        await crash(before["c"])
        await changed_until(supervisor, lambda: supervisor.child_ref("tmp") is None)
        await all_restarted(supervisor, before, lambda: ["a", "c"])
    assert [child.id for child in supervisor.which_children()] == ["a", "c"]
    assert not before["tmp"].is_alive()


async def test_one_for_all_restarts_a_transient_sibling_it_terminated(
    supervisors: list[Supervisor],
) -> None:
    journal: Journal = []
    supervisor = await started(
        supervisors, Strategy.ONE_FOR_ALL,
        tracked("t", journal, restart=Restart.TRANSIENT), tracked("b", journal),
    )
    before = refs(supervisor)
    async with asyncio.timeout(BOUND):
        await crash(before["b"])
        await all_restarted(supervisor, before, lambda: ["t", "b"])
    assert supervisor.which_children()[0].alive


@pytest.mark.parametrize("strategy", [Strategy.ONE_FOR_ALL, Strategy.REST_FOR_ONE])
async def test_a_child_not_to_be_restarted_triggers_nothing(
    supervisors: list[Supervisor], strategy: Strategy
) -> None:
    journal: Journal = []
    supervisor = await started(
        supervisors, strategy,
        tracked("tmp", journal, restart=Restart.TEMPORARY),
        tracked("tr", journal, restart=Restart.TRANSIENT),
        tracked("z", journal),
    )
    before = refs(supervisor)
    async with asyncio.timeout(BOUND):
        await crash(before["tmp"])  # temporary: forgotten, siblings untouched
        await changed_until(supervisor, lambda: supervisor.child_ref("tmp") is None)
        await before["tr"].stop()  # transient ending normally: forgotten too
        await changed_until(supervisor, lambda: supervisor.child_ref("tr") is None)
        barrier = before["z"]
        barrier.kill("barrier")  # exits are handled in order: once z is back, all were seen
        await replaced(supervisor, "z", barrier)
    assert [child.id for child in supervisor.which_children()] == ["z"]
    assert [child.restarts for child in supervisor.which_children()] == [1]


# -- rest_for_one ---------------------------------------------------------------------------


async def test_rest_for_one_restarts_the_child_and_those_started_after_it(
    supervisors: list[Supervisor],
) -> None:
    journal: Journal = []
    supervisor = await started(supervisors, Strategy.REST_FOR_ONE,
                               *(tracked(label, journal) for label in "abcd"))
    before = refs(supervisor)
    journal.clear()
    async with asyncio.timeout(BOUND):
        await crash(before["b"])
        await all_restarted(supervisor, before, lambda: ["b", "c", "d"])
        for ref in supervisor.live_refs():
            await ref.call("ready")
    assert journal == [("stop", "d"), ("stop", "c"),
                       ("start", "b"), ("start", "c"), ("start", "d")]
    after = refs(supervisor)
    assert after["a"] is before["a"]  # started before b: untouched
    assert before["a"].is_alive()
    assert [child.restarts for child in supervisor.which_children()] == [0, 1, 1, 1]


async def test_rest_for_one_with_the_last_child_restarts_only_it(
    supervisors: list[Supervisor],
) -> None:
    journal: Journal = []
    supervisor = await started(supervisors, Strategy.REST_FOR_ONE,
                               *(tracked(label, journal) for label in "abc"))
    before = refs(supervisor)
    async with asyncio.timeout(BOUND):
        await crash(before["c"])
        await replaced(supervisor, "c", before["c"])
    after = refs(supervisor)
    assert (after["a"], after["b"]) == (before["a"], before["b"])


async def test_a_child_added_later_is_last_in_start_order(
    supervisors: list[Supervisor],
) -> None:
    journal: Journal = []
    supervisor = await started(supervisors, Strategy.REST_FOR_ONE,
                               tracked("a", journal), tracked("b", journal))
    async with asyncio.timeout(BOUND):
        await supervisor.add_child(tracked("late", journal))
        before = refs(supervisor)
        await crash(before["b"])
        await all_restarted(supervisor, before, lambda: ["b", "late"])
    assert refs(supervisor)["a"] is before["a"]


async def test_a_failed_start_in_a_group_restart_is_retried_and_counted(
    supervisors: list[Supervisor], clock: FakeClock
) -> None:
    journal: Journal = []
    failures = [1]

    def flaky() -> Actor:
        if journal and failures[0]:  # fails once, at its first restart
            failures[0] -= 1
            raise RuntimeError("not yet")
        return Tracked("flaky", journal)

    supervisor = await started(
        supervisors, Strategy.REST_FOR_ONE,
        tracked("a", journal), ChildSpec("flaky", flaky), tracked("c", journal),
        max_restarts=2, clock=clock,
    )
    before = refs(supervisor)
    async with asyncio.timeout(BOUND):
        await crash(before["a"])
        await all_restarted(supervisor, before, lambda: ["a", "flaky", "c"])
    assert supervisor.running
    assert failures == [0]
    # The group restart and its retry both counted: one more restart is one too many.
    async with asyncio.timeout(BOUND):
        await crash(refs(supervisor)["c"])
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()


# -- shutdown order -------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", list(Strategy))
async def test_stop_asks_each_child_to_stop_only_after_the_later_ones_ended(
    strategy: Strategy,
) -> None:
    journal: Journal = []
    gate = Gate()
    supervisor = Supervisor(
        [tracked("a", journal), tracked("b", journal, stop_gate=gate), tracked("c", journal)],
        strategy=strategy,
    )
    await supervisor.start()
    a, b, c = refs(supervisor).values()
    async with asyncio.timeout(BOUND):
        stopping = asyncio.ensure_future(supervisor.stop())
        await gate.entered.wait()  # b is in its on_stop...
        assert c.exit is not None  # ...after c ended...
        assert a.is_alive()  # ...and a has not been asked yet
        gate.release.set()
        await stopping
    assert journal[-3:] == [("stop", "c"), ("stop", "b"), ("stop", "a")]
    assert all(ref.exit is not None for ref in (a, b, c))


# -- the surface ----------------------------------------------------------------------------


def test_strategy_accepts_members_and_their_names_and_refuses_the_rest() -> None:
    named = Supervisor(strategy="rest_for_one")  # type: ignore[arg-type]
    assert named.strategy is Strategy.REST_FOR_ONE
    assert Supervisor().strategy is Strategy.ONE_FOR_ONE
    with pytest.raises(ValueError, match="strategy must be one of one_for_one"):
        Supervisor(strategy="simple_one_for_one")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strategy"):
        Supervisor(strategy=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="clock"):
        Supervisor(clock=3.0)  # type: ignore[arg-type]


async def test_a_nested_supervisor_takes_its_strategy(supervisors: list[Supervisor]) -> None:
    journal: Journal = []
    spec = supervisor_spec("sub", [tracked("x", journal), tracked("y", journal)],
                           strategy=Strategy.ONE_FOR_ALL)
    parent = Supervisor([spec])
    supervisors.append(parent)
    await parent.start()
    sub = parent.child_ref("sub")
    assert sub is not None
    async with asyncio.timeout(BOUND):
        nested = await sub.call(Supervisor.SUPERVISOR)
        assert isinstance(nested, Supervisor)
        assert nested.strategy is Strategy.ONE_FOR_ALL
        await until(lambda: len(nested.live_refs()) == 2)
        before = refs(nested)
        await crash(before["y"])
        await all_restarted(nested, before, lambda: ["x", "y"])
