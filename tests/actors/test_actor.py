"""Actors: call/cast/stop, fan-out, timeouts, crashes, kills, cancellation and bad input."""

from __future__ import annotations

import asyncio
import math
import weakref
from typing import Any

import pytest

from alara.actors import (
    Actor,
    ActorDiedError,
    ActorRef,
    AlaraError,
    CallTimeoutError,
    Exit,
    ExitKind,
    spawn,
)
from tests.actors.behaviours import Blocker, Crasher, Echo, Gate, Recorder
from tests.actors.conftest import recording_task_factory, task_of
from tests.helpers import BOUND


def monitored(ref: ActorRef) -> asyncio.Future[tuple[ActorRef, Exit]]:
    """A future resolved by the ref's monitor callback, to prove monitors are told."""
    told: asyncio.Future[tuple[ActorRef, Exit]] = asyncio.get_running_loop().create_future()
    ref.monitor(lambda r, e: told.set_result((r, e)))
    return told


# -- call / cast / stop ------------------------------------------------------------------------


async def test_call_returns_the_handler_reply() -> None:
    ref = spawn(Echo())
    async with asyncio.timeout(BOUND):
        assert await ref.call("hello") == "hello"
        assert await ref.call({"n": 1}, timeout=None) == {"n": 1}
        await ref.stop()


async def test_cast_is_handled_in_order_without_a_reply() -> None:
    echo = Echo()
    ref = spawn(echo)
    assert ref.cast(1) is None  # type: ignore[func-returns-value]
    ref.cast(2)
    ref.cast(3)
    async with asyncio.timeout(BOUND):
        # A call queued after the casts is answered only once they have been handled.
        assert await ref.call("sync") == "sync"
        assert echo.casts == [1, 2, 3]
        await ref.stop()


async def test_stop_drains_the_mailbox_runs_on_stop_and_ends_normally() -> None:
    echo = Echo()
    ref = spawn(echo)
    told = monitored(ref)
    replies = [ref.ask(i) for i in range(5)]
    ref.cast("last")
    async with asyncio.timeout(BOUND):
        exit = await ref.stop()
        assert [await reply for reply in replies] == list(range(5))
        assert (await told) == (ref, exit)
        assert await ref.wait() is exit
    assert exit.kind is ExitKind.NORMAL
    assert not exit.abnormal
    assert exit.error is None
    assert echo.casts == ["last"]
    assert echo.stopped
    assert ref.exit is exit
    assert not ref.is_alive()
    assert "dead" in repr(ref)


async def test_stop_twice_returns_the_same_exit() -> None:
    ref = spawn(Echo())
    async with asyncio.timeout(BOUND):
        first = await ref.stop()
        second = await ref.stop()
    assert first is second


async def test_spawn_names_the_ref_and_gives_each_ref_a_distinct_id() -> None:
    a, b = spawn(Echo(), name="alpha"), spawn(Echo())
    assert a.name == "alpha"
    assert b.name == "Echo"
    assert a.id != b.id
    assert a.is_alive()
    assert a.exit is None
    assert "alpha" in repr(a)
    assert "alive" in repr(a)
    async with asyncio.timeout(BOUND):
        await asyncio.gather(a.stop(), b.stop())


async def test_the_base_actor_refuses_calls_by_crashing() -> None:
    ref = spawn(Actor())
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await ref.call("anything")
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED
    assert "NotImplementedError" in exit.reason


# -- ask + gather fan-out ----------------------------------------------------------------------


async def test_ask_fans_out_with_gather() -> None:
    refs = [spawn(Echo(), name=f"echo-{i}") for i in range(10)]
    async with asyncio.timeout(BOUND):
        replies = await asyncio.gather(*(ref.ask((ref.name, i)) for i, ref in enumerate(refs)))
        assert replies == [(f"echo-{i}", i) for i in range(10)]
        await asyncio.gather(*(ref.stop() for ref in refs))


async def test_ask_returns_a_future_without_waiting() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate))
    reply = ref.ask("block")
    assert isinstance(reply, asyncio.Future)
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        assert not reply.done()
        gate.release.set()
        assert await reply == "block"
        await ref.stop()


# -- call timeout ------------------------------------------------------------------------------


async def test_call_timeout_raises_and_the_actor_stays_alive() -> None:
    gate = Gate()
    blocker = Blocker(gate)
    ref = spawn(blocker)
    async with asyncio.timeout(BOUND):
        with pytest.raises(CallTimeoutError) as caught:
            await ref.call("block", timeout=0.05)
        assert isinstance(caught.value, TimeoutError)  # catchable as the builtin too
        assert isinstance(caught.value, AlaraError)
        assert ref.is_alive()
        gate.release.set()
        assert await ref.call("after") == "after"
        await ref.stop()
    assert blocker.handled == ["block", "after"]


async def test_a_call_that_timed_out_while_queued_is_skipped() -> None:
    gate = Gate()
    blocker = Blocker(gate)
    ref = spawn(blocker)
    first = ref.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        with pytest.raises(CallTimeoutError):
            await ref.call("too late", timeout=0.01)
        gate.release.set()
        assert await first == "block"
        assert await ref.call("next") == "next"
        await ref.stop()
    assert blocker.handled == ["block", "next"]


# -- stopped or dead refs fail fast ------------------------------------------------------------


async def assert_fails_fast(ref: ActorRef) -> None:
    """call, cast and ask on ``ref`` raise ``ActorDiedError`` at once, naming the actor."""
    assert not ref.is_alive()
    with pytest.raises(ActorDiedError) as caught:
        await ref.call("x", timeout=None)  # no timeout: only failing fast can end it
    assert caught.value.actor == ref.name
    assert ref.name in str(caught.value)
    with pytest.raises(ActorDiedError):
        ref.cast("x")
    with pytest.raises(ActorDiedError):
        ref.ask("x")


async def test_stopped_ref_fails_fast() -> None:
    ref = spawn(Echo(), name="gone")
    async with asyncio.timeout(BOUND):
        await ref.stop()
        await assert_fails_fast(ref)


async def test_stopping_ref_refuses_new_messages_but_answers_queued_ones() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate))
    queued = [ref.ask("block"), ref.ask("queued")]
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        stopping = asyncio.ensure_future(ref.stop())
        await asyncio.sleep(0)  # let stop() run up to its first await
        await assert_fails_fast(ref)
        with pytest.raises(ActorDiedError, match="stopping"):
            ref.ask("x")
        gate.release.set()
        assert [await reply for reply in queued] == ["block", "queued"]
        assert (await stopping).kind is ExitKind.NORMAL


async def test_crashed_ref_fails_fast() -> None:
    ref = spawn(Crasher())
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await ref.call("crash")
        await assert_fails_fast(ref)
        with pytest.raises(ActorDiedError, match="ValueError: boom"):
            ref.ask("x")


# -- a handler exception crashes the actor -----------------------------------------------------


async def test_handler_crash_fails_the_call_in_flight_and_every_queued_caller_at_once() -> None:
    gate = Gate()
    crasher = Crasher(gate, ValueError("boom"))
    ref = spawn(crasher, name="fragile")
    told = monitored(ref)
    in_flight = asyncio.ensure_future(ref.call("crash", timeout=None))
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()  # the crashing handler is running now
        queued = [asyncio.ensure_future(ref.call(i, timeout=None)) for i in range(5)]
        asked = [ref.ask(f"ask-{i}") for i in range(3)]
        ref.cast("cast-after")
        await asyncio.sleep(0)  # the queued callers are now waiting on their replies
        assert not any(task.done() for task in queued)
        gate.release.set()
        outcomes = await asyncio.gather(in_flight, *queued, *asked, return_exceptions=True)
        monitored_ref, exit = await told
    assert all(isinstance(outcome, ActorDiedError) for outcome in outcomes), outcomes
    assert all("fragile" in str(outcome) for outcome in outcomes)
    assert all("ValueError: boom" in str(outcome) for outcome in outcomes)
    assert crasher.handled == ["crash"]  # nobody behind the crash was served
    assert monitored_ref is ref
    assert exit.kind is ExitKind.CRASHED
    assert exit.abnormal
    assert exit.reason == "ValueError: boom"
    assert exit.error is crasher.error
    assert ref.exit is exit
    assert not ref.is_alive()


async def test_a_crash_with_many_callers_waiting_answers_them_all() -> None:
    gate = Gate()
    ref = spawn(Crasher(gate))
    in_flight = ref.ask("crash")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        waiting = [asyncio.ensure_future(ref.call(i, timeout=None)) for i in range(200)]
        await asyncio.sleep(0)
        gate.release.set()
        outcomes = await asyncio.gather(in_flight, *waiting, return_exceptions=True)
    assert len(outcomes) == 201
    assert all(isinstance(outcome, ActorDiedError) for outcome in outcomes)
    assert ref.queued == 0


async def test_crash_reason_names_the_exception_type_even_without_a_message() -> None:
    ref = spawn(Crasher(error=KeyError()))
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await ref.call("crash")
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED
    assert exit.reason == "KeyError"


async def test_crash_in_a_cast_handler_fails_later_callers() -> None:
    ref = spawn(Crasher())
    ref.cast("crash")
    pending = ref.ask("behind the cast")
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await pending
        assert (await ref.wait()).kind is ExitKind.CRASHED


class FailsToStart(Actor):
    async def on_start(self) -> None:
        raise RuntimeError("no config")


async def test_crash_in_on_start_fails_the_callers_already_queued() -> None:
    ref = spawn(FailsToStart())
    replies = [ref.ask(i) for i in range(3)]
    async with asyncio.timeout(BOUND):
        outcomes = await asyncio.gather(*replies, return_exceptions=True)
        exit = await ref.wait()
    assert all(isinstance(outcome, ActorDiedError) for outcome in outcomes)
    assert exit.kind is ExitKind.CRASHED
    assert exit.reason == "RuntimeError: no config"


class FailsToStop(Echo):
    async def on_stop(self) -> None:
        raise RuntimeError("stuck resource")


async def test_crash_in_on_stop_is_reported_as_a_crash() -> None:
    ref = spawn(FailsToStop())
    async with asyncio.timeout(BOUND):
        exit = await ref.stop()
    assert exit.kind is ExitKind.CRASHED
    assert exit.reason == "RuntimeError: stuck resource"


async def test_a_crash_leaves_no_unretrieved_exception_or_task() -> None:
    before = asyncio.all_tasks()
    ref = spawn(Crasher())
    task = task_of(ref)
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await ref.call("crash")
        await ref.wait()
        await asyncio.sleep(0)  # let the task's done callbacks run
    assert task.done()
    assert not task.cancelled()
    assert task.exception() is None  # the crash is the exit reason, not a task error
    assert asyncio.all_tasks() == before


# -- kill --------------------------------------------------------------------------------------


async def test_kill_crashes_the_actor_from_outside() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate), name="victim")
    told = monitored(ref)
    in_flight = ref.ask("block")
    queued = ref.ask("queued")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        ref.kill(reason="chaos monkey")
        assert not ref.is_alive()  # at once, before the task has even seen the cancellation
        with pytest.raises(ActorDiedError):
            ref.ask("after kill")
        for reply in (in_flight, queued):
            with pytest.raises(ActorDiedError, match="killed: chaos monkey"):
                await reply
        _, exit = await told
    assert exit.kind is ExitKind.KILLED
    assert exit.reason == "chaos monkey"
    assert exit.abnormal
    assert await ref.wait() is exit


async def test_kill_ends_an_idle_actor_inside_kill() -> None:
    """Waiting for mail, nothing of the actor can run again: it ends before kill() returns."""
    before = asyncio.all_tasks()
    told: list[Exit] = []
    exits: list[Exit] = []

    class Quiet(Echo):
        def on_exit(self, exit: Exit) -> None:
            exits.append(exit)

    ref = spawn(Quiet())
    ref.monitor(lambda _ref, exit: told.append(exit))
    waiter = ref.wait()
    task = task_of(ref)
    async with asyncio.timeout(BOUND):
        assert await ref.call("up") == "up"  # it has run, and now waits for mail
    ref.kill("idle")
    exit = ref.exit
    assert exit is not None
    assert (exit.kind, exit.reason) == (ExitKind.KILLED, "idle")
    assert told == [exit]
    assert exits == [exit]
    assert waiter.done()
    assert waiter.result() is exit
    async with asyncio.timeout(BOUND):
        await asyncio.wait([task])  # the task still ends, and reports nothing twice
    assert not task.cancelled()
    assert task.exception() is None
    assert told == [exit]
    assert exits == [exit]
    assert asyncio.all_tasks() == before


@pytest.mark.parametrize("end", ["stop", "kill", "kill_busy"])
async def test_an_ended_actor_is_freed_without_the_garbage_collector(
    end: str, no_collector: None
) -> None:
    """The actor's ``ref`` points at its ref; the ref lets go of the actor when it ends, so no
    cycle keeps the actor, its ref, its mailbox and its task for the collector (a restart
    loop would otherwise leave a dozen objects per restart behind, and pay for collections).
    A graceful stop of an actor with its own ``on_stop``, or the kill of a busy one, arms a
    deadline that holds the (now light) ref until it passes; the actor is freed at once."""
    gate = Gate()
    actor = Blocker(gate) if end == "kill_busy" else Echo()
    ref = spawn(actor)
    async with asyncio.timeout(BOUND):
        reply = ref.ask("block" if end == "kill_busy" else "up")
        if end == "kill_busy":
            await gate.entered.wait()
        else:
            assert await reply == "up"
        if end == "stop":
            await ref.stop()
        else:
            task = task_of(ref)
            ref.kill("test")
            await asyncio.wait([task, reply])
            del task
    assert ref.exit is not None
    assert isinstance(reply.exception(), ActorDiedError) if end == "kill_busy" else reply.done()
    del reply
    actor_probe, ref_probe = weakref.ref(actor), weakref.ref(ref)
    del actor, ref
    assert actor_probe() is None
    if end == "kill":  # no deadline was armed: nothing at all holds the ref
        assert ref_probe() is None


async def test_spawn_uses_the_loops_task_factory_when_one_is_set() -> None:
    plain = spawn(Echo(), name="plain")
    assert task_of(plain).get_name() == f"alara:plain#{plain.id}"
    with recording_task_factory() as made:
        ref = spawn(Echo(), name="custom")
    assert made == [task_of(ref)]
    assert made[0].get_name() == f"alara:custom#{ref.id}"  # named by the loop, after
    async with asyncio.timeout(BOUND):
        assert await ref.call("via the factory's task") == "via the factory's task"
        assert await plain.call("plain") == "plain"
        await ref.stop()
        await plain.stop()


async def test_kill_default_reason() -> None:
    ref = spawn(Echo())
    ref.kill()
    async with asyncio.timeout(BOUND):
        exit = await ref.wait()
    assert (exit.kind, exit.reason) == (ExitKind.KILLED, "killed")


async def test_killing_twice_and_killing_a_dead_actor_is_harmless() -> None:
    ref = spawn(Echo())
    async with asyncio.timeout(BOUND):
        assert await ref.call("up") == "up"
        ref.kill("first")
        ref.kill("second")
        exit = await ref.wait()
        ref.kill("third")
        assert await ref.wait() is exit
    assert exit.reason == "first"

    stopped = spawn(Echo())
    async with asyncio.timeout(BOUND):
        normal = await stopped.stop()
        stopped.kill("too late")
        assert await stopped.wait() is normal
    assert normal.kind is ExitKind.NORMAL
    assert stopped.exit is normal


async def test_kill_before_the_first_step_still_finishes_the_ref() -> None:
    before = asyncio.all_tasks()
    ref = spawn(Echo())
    told = monitored(ref)
    queued = ref.ask("never served")
    ref.kill("early")  # the actor's task has not run a single step yet
    assert not ref.is_alive()
    assert ref.exit is not None  # nothing of it ever ran: it ends inside kill()
    async with asyncio.timeout(BOUND):
        exit = await ref.wait()
        with pytest.raises(ActorDiedError):
            await queued
        assert (await told)[1] is exit
        await asyncio.sleep(0)
    assert (exit.kind, exit.reason) == (ExitKind.KILLED, "early")
    assert asyncio.all_tasks() == before


async def test_kill_during_on_start() -> None:
    gate = Gate()

    class SlowStart(Echo):
        async def on_start(self) -> None:
            await gate.pass_through()

    ref = spawn(SlowStart())
    queued = ref.ask("waiting for start")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        ref.kill("impatient")
        with pytest.raises(ActorDiedError):
            await queued
        assert (await ref.wait()).kind is ExitKind.KILLED


async def test_kill_while_stopping_is_a_kill() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate))
    in_flight = ref.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        stopping = asyncio.ensure_future(ref.stop())
        await asyncio.sleep(0)
        ref.kill("hurry up")
        exit = await stopping
        with pytest.raises(ActorDiedError):
            await in_flight
    assert exit.kind is ExitKind.KILLED


async def test_stop_timeout_cancels_a_handler_that_never_returns() -> None:
    gate = Gate()  # never released
    ref = spawn(Blocker(gate))
    in_flight = ref.ask("block")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        exit = await ref.stop(timeout=0.05)
        with pytest.raises(ActorDiedError, match="shutdown"):
            await in_flight
    assert exit.kind is ExitKind.SHUTDOWN
    assert not exit.abnormal
    assert "0.05" in exit.reason


# -- monitors ----------------------------------------------------------------------------------


async def test_monitor_on_a_dead_actor_is_called_soon() -> None:
    ref = spawn(Echo())
    async with asyncio.timeout(BOUND):
        exit = await ref.stop()
        told = monitored(ref)
        assert not told.done()  # not re-entrantly, from inside monitor()
        assert await told == (ref, exit)


async def test_every_monitor_is_told_once() -> None:
    ref = spawn(Crasher())
    seen: list[Exit] = []
    for _ in range(3):
        ref.monitor(lambda _ref, exit: seen.append(exit))
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await ref.call("crash")
        await ref.wait()
    assert len(seen) == 3
    assert all(exit is ref.exit for exit in seen)


async def test_a_failing_monitor_does_not_stop_the_others() -> None:
    ref = spawn(Echo())
    task = task_of(ref)
    seen: list[Exit] = []

    def broken(_ref: ActorRef, _exit: Exit) -> None:
        raise RuntimeError("monitor bug")

    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        ref.monitor(broken)
        ref.monitor(lambda _ref, exit: seen.append(exit))
        async with asyncio.timeout(BOUND):
            exit = await ref.stop()
            await asyncio.sleep(0)  # let the task's done callbacks run
    finally:
        loop.set_exception_handler(previous)
    assert seen == [exit]
    assert exit.kind is ExitKind.NORMAL
    assert task.exception() is None  # the monitor's bug did not become the actor's
    assert len(reported) == 1  # reported, like a failing call_soon callback, not swallowed
    assert isinstance(reported[0]["exception"], RuntimeError)


# -- cancellation of a caller ------------------------------------------------------------------


async def test_cancelled_queued_caller_is_skipped_and_leaks_nothing() -> None:
    gate = Gate()
    recorder = Recorder(gate)
    ref = spawn(recorder)
    await asyncio.sleep(0)  # the actor task exists before the baseline is taken
    before = asyncio.all_tasks()
    first = asyncio.ensure_future(ref.call("block"))
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        victim = asyncio.ensure_future(ref.call("cancelled"))
        await asyncio.sleep(0)  # the victim's request is in the mailbox now
        assert ref.queued == 1
        victim.cancel()
        with pytest.raises(asyncio.CancelledError):
            await victim
        gate.release.set()
        assert await first == "block"
        assert await ref.call("later") == "later"  # still serving
    assert recorder.handled == ["block", "later"]  # the cancelled request never ran
    futures = {message: reply for message, reply in recorder.envelopes}
    cancelled_reply = futures["cancelled"]
    assert cancelled_reply is not None
    assert cancelled_reply.cancelled()  # the caller's cancellation withdrew its request
    assert ref.queued == 0
    assert all(reply is not None and reply.done() for reply in futures.values())
    assert asyncio.all_tasks() == before
    async with asyncio.timeout(BOUND):
        await ref.stop()


async def test_caller_cancelled_while_its_request_is_in_flight() -> None:
    gate = Gate()
    recorder = Recorder(gate)
    ref = spawn(recorder)
    await asyncio.sleep(0)
    before = asyncio.all_tasks()
    caller = asyncio.ensure_future(ref.call("block"))
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()  # the handler is running the caller's request
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        gate.release.set()  # the handler finishes; its reply has nowhere to go
        assert await ref.call("later") == "later"
    _, reply = recorder.envelopes[0]
    assert reply is not None
    assert reply.cancelled()
    assert ref.is_alive()  # no InvalidStateError crashed it
    assert ref.queued == 0
    assert asyncio.all_tasks() == before
    async with asyncio.timeout(BOUND):
        assert (await ref.stop()).kind is ExitKind.NORMAL


async def test_cancelling_an_ask_future_withdraws_the_request() -> None:
    gate = Gate()
    recorder = Recorder(gate)
    ref = spawn(recorder)
    first = ref.ask("block")
    withdrawn = ref.ask("withdrawn")
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        withdrawn.cancel()
        gate.release.set()
        assert await first == "block"
        assert await ref.call("later") == "later"
        await ref.stop()
    assert recorder.handled == ["block", "later"]


async def test_cancelled_caller_of_a_crashing_actor_gets_no_stray_exception() -> None:
    """A cancelled reply future must not be given the crash error (InvalidStateError)."""
    gate = Gate()
    ref = spawn(Crasher(gate))
    in_flight = asyncio.ensure_future(ref.call("crash"))
    async with asyncio.timeout(BOUND):
        await gate.entered.wait()
        victim = asyncio.ensure_future(ref.call("queued"))
        await asyncio.sleep(0)
        victim.cancel()
        with pytest.raises(asyncio.CancelledError):
            await victim
        gate.release.set()
        with pytest.raises(ActorDiedError):
            await in_flight
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED


# -- bad input ---------------------------------------------------------------------------------


async def test_spawn_rejects_what_is_not_an_actor() -> None:
    for bad in (None, Echo, "Echo", object()):
        with pytest.raises(TypeError, match="actor"):
            spawn(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name"):
        spawn(Echo(), name=3)  # type: ignore[arg-type]


def test_spawn_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        spawn(Echo())


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (-0.5, ValueError),
        (math.nan, ValueError),
        (True, TypeError),
        (False, TypeError),
        ("x", TypeError),
        ("1", TypeError),
        ([1], TypeError),
    ],
)
async def test_call_rejects_bad_timeouts(timeout: Any, error: type[Exception]) -> None:
    echo = Echo()
    ref = spawn(echo)
    with pytest.raises(error, match="timeout"):
        await ref.call("x", timeout=timeout)
    assert ref.queued == 0  # nothing was enqueued by the rejected call
    async with asyncio.timeout(BOUND):
        assert await ref.call("ok") == "ok"
        await ref.stop()


@pytest.mark.parametrize(("timeout", "error"), [(0, ValueError), (True, TypeError)])
async def test_stop_rejects_bad_timeouts(timeout: Any, error: type[Exception]) -> None:
    ref = spawn(Echo())
    with pytest.raises(error, match="timeout"):
        await ref.stop(timeout=timeout)
    assert ref.is_alive()
    async with asyncio.timeout(BOUND):
        await ref.stop()


async def test_kill_rejects_a_non_str_reason() -> None:
    ref = spawn(Echo())
    with pytest.raises(TypeError, match="reason"):
        ref.kill(reason=3)  # type: ignore[arg-type]
    assert ref.is_alive()
    async with asyncio.timeout(BOUND):
        await ref.stop()
