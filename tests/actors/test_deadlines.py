"""Timed calls and the coarse deadlines behind them: never early, bounded late, nothing kept.

``call()`` has no timer of its own (a table per ref); these tests pin what that design
promises. "Never early" is checked against the loop's clock, which only moves forward: a
deadline that fired before its time would be a bug, not a slow machine. Nothing here asserts
how *fast* anything is.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from alara.actors import Actor, ActorDiedError, CallTimeoutError, Envelope, spawn
from alara.actors._calls import TimedCalls
from alara.actors._timers import deadlines_of, grain, sweep_delay
from tests.actors.behaviours import Blocker, Gate
from tests.helpers import BOUND, until


class Deferred(Actor):
    """Keeps every call's reply to answer later, outside its batch (as a router might)."""

    def __init__(self) -> None:
        self.kept: list[asyncio.Future[Any]] = []

    async def handle_batch(self, batch: list[Envelope]) -> None:
        self.kept.extend(reply for _message, reply in batch if reply is not None)


@pytest.mark.parametrize("timeout", [1e-6, 0.001, 0.05, 1.0, 5.0, 3600.0])
def test_the_grain_is_a_power_of_two_at_most_a_64th_of_the_timeout(timeout: float) -> None:
    width = grain(timeout)
    assert math.frexp(width)[0] == 0.5  # a power of two
    assert width <= max(timeout / 64, 2**-10)
    assert width >= min(timeout / 128, 2**-10)
    assert sweep_delay(timeout) == min(width, 2**-7)


async def test_a_deadline_callback_never_runs_early() -> None:
    loop = asyncio.get_running_loop()
    deadlines = deadlines_of(loop)
    assert deadlines_of(loop) is deadlines  # one per loop
    fired: dict[float, float] = {}
    done = asyncio.Event()
    timeouts = [0.001, 0.01, 0.03, 0.0305]
    start = loop.time()

    def record(timeout: float) -> None:
        fired[timeout] = loop.time()

    for timeout in timeouts:
        deadlines.call_after(loop, timeout, record, timeout)
    deadlines.call_after(loop, 0.04, done.set)
    async with asyncio.timeout(BOUND):
        await done.wait()
    assert sorted(fired) == timeouts
    for timeout in timeouts:
        assert fired[timeout] - start >= timeout


async def test_a_timed_call_fails_no_sooner_than_its_timeout() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate))
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(BOUND):
        sent = loop.time()
        with pytest.raises(CallTimeoutError, match=r"'Blocker' did not reply within 0.03s"):
            await ref.call("block", timeout=0.03)
        assert loop.time() - sent >= 0.03
        gate.release.set()
        await ref.stop()


async def test_call_returns_the_reply_future_and_cancelling_it_withdraws_the_request() -> None:
    gate = Gate()
    blocker = Blocker(gate)
    ref = spawn(blocker)
    async with asyncio.timeout(BOUND):
        first = ref.call("block")
        assert isinstance(first, asyncio.Future)
        await gate.entered.wait()
        withdrawn = ref.call("withdrawn")
        withdrawn.cancel()
        gate.release.set()
        assert await first == "block"
        assert await ref.call("next") == "next"
        await ref.stop()
    assert blocker.handled == ["block", "next"]


async def swept(timeout: float) -> None:
    """Wait until a sweep armed now for calls of ``timeout`` has run (deadlines never run early,
    and the sweep's bucket closes no later than this one's)."""
    loop = asyncio.get_running_loop()
    passed = asyncio.Event()
    deadlines_of(loop).call_after(loop, 2 * sweep_delay(timeout), passed.set)
    async with asyncio.timeout(BOUND):
        await passed.wait()


async def test_answered_calls_are_forgotten_by_the_next_sweep() -> None:
    loop = asyncio.get_running_loop()
    calls = TimedCalls("t", loop)
    replies = [loop.create_future() for _ in range(200)]
    for number, reply in enumerate(replies):
        calls.add(reply, 5.0 if number % 2 else 1.5)
    assert len(calls) == 200
    for reply in replies:
        reply.set_result(None)
    # The sweep ran: nothing is kept for answered calls, whatever their timeout.
    async with asyncio.timeout(BOUND):
        await until(lambda: len(calls) == 0)


async def test_a_burst_of_calls_forgets_the_answered_ones_before_the_sweep() -> None:
    """Every 256th timed call drops the answered ones at once (they would otherwise stay alive
    until the sweep and set off the garbage collector), and keeps every unanswered one."""
    loop = asyncio.get_running_loop()
    calls = TimedCalls("t", loop)
    replies = [loop.create_future() for _ in range(256)]
    for reply in replies[:255]:  # no await: no sweep runs
        calls.add(reply, 5.0)
    for withdrawn in replies[:100]:
        withdrawn.cancel()
    calls.add(replies[255], 5.0)
    assert len(calls) == 156
    assert calls.close() == replies[100:]
    assert len(calls) == 0


async def test_a_slow_call_answered_later_is_forgotten_by_the_next_sweep() -> None:
    """A call still unanswered at a sweep gets a deadline seconds away; once answered, the next
    sweep forgets it rather than keeping its future alive until that deadline."""
    loop = asyncio.get_running_loop()
    calls = TimedCalls("t", loop)
    slow, following = loop.create_future(), loop.create_future()
    calls.add(slow, 5.0)
    await swept(5.0)
    assert len(calls) == 1  # unanswered at the sweep: given its deadline
    slow.set_result("late")
    calls.add(following, 5.0)  # any timed call arms the next sweep
    await swept(5.0)
    assert calls.close() == [following]  # the answered one is gone


async def test_a_reply_kept_for_later_still_times_out() -> None:
    actor = Deferred()
    ref = spawn(actor)
    async with asyncio.timeout(BOUND):
        with pytest.raises(CallTimeoutError):
            await ref.call("later", timeout=0.02)
        answered = ref.call("answered in time", timeout=BOUND)
        await until(lambda: len(actor.kept) == 2)
        actor.kept[1].set_result("late but in time")
        assert await answered == "late but in time"
        await ref.stop()


async def test_a_reply_kept_for_later_fails_when_the_actor_ends() -> None:
    actor = Deferred()
    ref = spawn(actor)
    async with asyncio.timeout(BOUND):
        kept = ref.call("kept", timeout=BOUND)
        await until(lambda: len(actor.kept) == 1)
        await ref.stop()
        with pytest.raises(ActorDiedError, match="normal: stopped"):
            await kept


async def test_many_callers_with_mixed_timeouts_each_get_their_own_outcome() -> None:
    gate = Gate()
    ref = spawn(Blocker(gate))
    async with asyncio.timeout(BOUND):
        blocked = ref.call("block", timeout=BOUND)
        await gate.entered.wait()
        short = [ref.call(i, timeout=0.01) for i in range(5)]
        long = [ref.call(i, timeout=BOUND) for i in range(5)]
        outcomes = await asyncio.gather(*short, return_exceptions=True)
        assert all(isinstance(outcome, CallTimeoutError) for outcome in outcomes)
        assert not any(future.done() for future in long)
        gate.release.set()
        assert await blocked == "block"
        assert await asyncio.gather(*long) == list(range(5))
        await ref.stop()
