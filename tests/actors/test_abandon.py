"""Kill that always works: an actor whose task swallows its cancellation is abandoned.

A driver wrapper that catches ``CancelledError`` must not leave a zombie behind (issue 7,
finding 4): after the grace (the ref's ``shutdown_timeout``) the ref dies as ``killed`` with a
reason that says it was abandoned, every waiting caller is failed at once, the monitors hear
it (a supervisor restarts a fresh child), and stopping a supervisor still ends. The grace is
real time but short; every wait is on an event or a future under ``BOUND``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest

from alara.actors import (
    Actor,
    ActorDiedError,
    ActorRef,
    ChildSpec,
    Exit,
    ExitKind,
    OneForOneSupervisor,
    spawn,
)
from alara.actors._timers import deadlines_of
from tests.actors.behaviours import Blocker, Echo, Gate
from tests.helpers import BOUND, replaced

GRACE = 0.05
"""The ``shutdown_timeout`` of the swallowing actors: how long a kill waits before abandoning."""

Events = list[MutableMapping[str, Any]]


class Swallower(Actor):
    """``"block"`` waits at the gate and swallows the ``CancelledError`` that a kill throws in,
    then carries on until ``carry_on`` is set, as a badly written driver wrapper would."""

    def __init__(self, gate: Gate, carry_on: asyncio.Event) -> None:
        self.gate = gate
        self.carry_on = carry_on
        self.swallowed = asyncio.Event()
        self.returned = asyncio.Event()
        self.exits: list[Exit] = []

    async def handle_call(self, message: Any) -> Any:
        if message == "block":
            try:
                await self.gate.pass_through()
            except asyncio.CancelledError:
                self.swallowed.set()
                await self.carry_on.wait()
            self.returned.set()
        return message

    def on_exit(self, exit: Exit) -> None:
        self.exits.append(exit)


class Zombies:
    """Makes swallowing actors and lets every one of them finish when the test ends."""

    def __init__(self) -> None:
        self.carry_on = asyncio.Event()
        self.made: list[Swallower] = []

    def __call__(self, gate: Gate | None = None) -> Swallower:
        actor = Swallower(gate or Gate(), self.carry_on)
        self.made.append(actor)
        return actor


@pytest.fixture
async def zombies() -> AsyncIterator[Zombies]:
    made = Zombies()
    yield made
    made.carry_on.set()  # the abandoned tasks end on their own, leaving no task behind
    async with asyncio.timeout(BOUND):
        for actor in made.made:
            if actor.swallowed.is_set():
                await actor.returned.wait()


async def blocked(actor: Swallower) -> tuple[ActorRef, asyncio.Future[Any]]:
    """A swallowing actor inside its ``"block"`` call, and that call's reply future."""
    ref = spawn(actor, shutdown_timeout=GRACE)
    reply = ref.ask("block")
    await actor.gate.entered.wait()
    return ref, reply


async def test_a_kill_abandons_a_task_that_swallows_cancellation(
    zombies: Zombies, logs: Events
) -> None:
    actor = zombies()
    async with asyncio.timeout(BOUND):
        ref = spawn(actor, shutdown_timeout=GRACE)
        in_flight = ref.ask("block")
        await actor.gate.entered.wait()
        queued = ref.ask("queued")
        heard: asyncio.Future[Exit] = asyncio.get_running_loop().create_future()
        ref.monitor(lambda _ref, exit: heard.set_result(exit))

        ref.kill("chaos")
        await actor.swallowed.wait()
        assert not ref.is_alive()
        assert ref.exit is None  # still within the grace

        exit = await heard
    assert exit.kind is ExitKind.KILLED
    assert exit.abnormal
    assert "abandoned" in exit.reason
    assert "chaos" in exit.reason
    assert ref.exit is exit
    for future in (in_flight, queued):
        with pytest.raises(ActorDiedError, match="abandoned"):
            future.result()
    with pytest.raises(ActorDiedError, match="abandoned"):
        await ref.call("later")
    assert actor.exits == [exit]
    abandoned = [e for e in logs if e["event"] == "actor.abandoned"]
    assert len(abandoned) == 1
    assert abandoned[0]["actor"] == ref.name
    assert abandoned[0]["reason"] == "chaos"
    assert not actor.returned.is_set()  # the task still runs: it was abandoned, not ended


async def test_the_abandoned_task_finishing_later_changes_nothing(zombies: Zombies) -> None:
    actor = zombies()
    async with asyncio.timeout(BOUND):
        ref, reply = await blocked(actor)
        ref.kill("chaos")
        exit = await ref.wait()
        with pytest.raises(ActorDiedError):
            reply.result()
        zombies.carry_on.set()
        await actor.returned.wait()
        await asyncio.sleep(0)  # one step more: the task's own end runs its finally
    assert ref.exit is exit
    assert actor.exits == [exit]  # on_exit ran once, at the abandonment


async def test_killing_twice_during_the_grace_is_harmless(zombies: Zombies) -> None:
    actor = zombies()
    async with asyncio.timeout(BOUND):
        ref, reply = await blocked(actor)
        ref.kill("first")
        await actor.swallowed.wait()
        ref.kill("second")
        exit = await ref.wait()
        ref.kill("after")
    with pytest.raises(ActorDiedError, match="first"):
        reply.result()
    assert "first" in exit.reason
    assert "second" not in exit.reason
    assert ref.exit is exit


async def test_a_task_that_swallows_then_returns_ends_as_killed_without_abandoning(
    zombies: Zombies, logs: Events
) -> None:
    actor = zombies()
    async with asyncio.timeout(BOUND):
        ref = spawn(actor, shutdown_timeout=BOUND * 10)  # the grace never runs out here
        reply = ref.ask("block")
        await actor.gate.entered.wait()
        queued = ref.ask("queued")
        ref.kill("chaos")
        await actor.swallowed.wait()
        zombies.carry_on.set()
        exit = await ref.wait()
    assert exit == Exit(ExitKind.KILLED, "chaos")
    assert reply.result() == "block"  # the handler did finish, so its caller is answered
    with pytest.raises(ActorDiedError, match="chaos"):
        queued.result()  # but the killed actor serves nothing more
    assert actor.returned.is_set()
    assert not [e for e in logs if e["event"] == "actor.abandoned"]


async def test_stop_abandons_a_task_that_swallows_its_cancellation(zombies: Zombies) -> None:
    actor = zombies()
    async with asyncio.timeout(BOUND):
        ref, reply = await blocked(actor)
        exit = await ref.stop()
    assert reply.exception() is not None
    assert exit.kind is ExitKind.KILLED
    assert "abandoned" in exit.reason
    assert "did not stop within" in exit.reason


async def test_the_supervisor_restarts_an_abandoned_child(zombies: Zombies) -> None:
    gate = Gate()
    supervisor = OneForOneSupervisor(
        [ChildSpec("zombie", lambda: zombies(gate), shutdown_timeout=GRACE)]
    )
    await supervisor.start()
    try:
        async with asyncio.timeout(BOUND):
            old = supervisor.child_ref("zombie")
            assert old is not None
            reply = old.ask("block")
            await gate.entered.wait()
            old.kill("chaos")
            new = await replaced(supervisor, "zombie", old)
            assert await new.call("ping") == "ping"
        with pytest.raises(ActorDiedError, match="abandoned"):
            reply.result()
        assert old.exit is not None
        assert old.exit.kind is ExitKind.KILLED
        assert supervisor.which_children()[0].restarts == 1
    finally:
        async with asyncio.timeout(BOUND):
            await supervisor.stop()


async def test_supervisor_stop_ends_with_a_child_that_swallows_cancellation(
    zombies: Zombies,
) -> None:
    gate = Gate()
    supervisor = OneForOneSupervisor(
        [
            ChildSpec("first", lambda: zombies(), shutdown_timeout=GRACE),
            ChildSpec("zombie", lambda: zombies(gate), shutdown_timeout=GRACE),
        ]
    )
    await supervisor.start()
    zombie = supervisor.child_ref("zombie")
    assert zombie is not None
    reply = zombie.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        await supervisor.stop()
    with pytest.raises(ActorDiedError, match="abandoned"):
        reply.result()
    assert not supervisor.running
    assert zombie.exit is not None
    assert "abandoned" in zombie.exit.reason
    assert all(not child.alive for child in supervisor.which_children())


async def test_killing_an_idle_actor_arms_no_abandon_deadline() -> None:
    """An actor waiting on its empty mailbox runs only the framework's code: the cancellation
    surely ends it, so its kill needs no grace deadline (one timer bucket fewer per kill)."""
    loop = asyncio.get_running_loop()
    idle = spawn(Echo(), shutdown_timeout=3600.0)
    busy = spawn(Blocker(gate := Gate()), shutdown_timeout=3600.0)
    async with asyncio.timeout(BOUND):
        assert await idle.ask("up") == "up"  # now waiting on its empty mailbox
        in_flight = busy.ask("block")
        await gate.entered.wait()
        buckets = deadlines_of(loop)._buckets
        before = set(buckets)
        idle.kill("idle")
        assert set(buckets) == before
        busy.kill("busy")
        assert any(due > loop.time() + 3000 for due in set(buckets) - before)
        assert (await idle.wait()).reason == "idle"
        assert (await busy.wait()).reason == "busy"
        with pytest.raises(ActorDiedError):
            await in_flight
