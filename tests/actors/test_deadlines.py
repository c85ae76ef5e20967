"""Timed calls and the coarse deadlines behind them: never early, bounded late, nothing kept.

``call()`` has no timer of its own (``alara.actors._timers``); these tests pin what that design
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
from alara.actors._timers import deadlines_of, grain, sweep_delay
from tests.actors.behaviours import Blocker, Echo, Gate
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


async def test_answered_calls_are_forgotten_by_the_next_sweep() -> None:
    ref = spawn(Echo())
    async with asyncio.timeout(BOUND):
        assert await asyncio.gather(*(ref.call(i) for i in range(100))) == list(range(100))
        assert await asyncio.gather(*(ref.call(i, timeout=1.5) for i in range(100))) == list(
            range(100))
        # The sweep ran: nothing is kept for answered calls, whatever their timeout.
        await until(lambda: not ref._recent and not ref._recent_other)
        assert not ref._slow
        await ref.stop()


async def test_a_burst_of_calls_forgets_the_answered_ones_before_the_sweep() -> None:
    """Every 256th timed call drops the answered ones at once (they would otherwise stay alive
    until the sweep and set off the garbage collector), and keeps every unanswered one."""
    ref = spawn(Deferred())
    calls = [ref.call(i) for i in range(255)]  # no await: neither actor nor sweep runs
    for withdrawn in calls[:100]:
        withdrawn.cancel()
    calls.append(ref.call(255))
    assert ref._recent is not None
    assert len(ref._recent) == 156
    assert all(not reply.done() for reply in ref._recent)
    async with asyncio.timeout(BOUND):
        await ref.stop()
        for kept in calls[100:]:
            with pytest.raises(ActorDiedError):
                await kept


async def test_a_slow_call_answered_later_is_forgotten_by_the_next_sweep() -> None:
    """A call still unanswered at a sweep gets a deadline seconds away; once answered, the next
    sweep forgets it rather than keeping its future alive until that deadline."""
    actor = Deferred()
    ref = spawn(actor)
    async with asyncio.timeout(BOUND):
        slow = ref.call("slow")
        await until(lambda: slow in (ref._slow or {}))
        actor.kept[0].set_result("late")
        assert await slow == "late"
        following = ref.call("next")  # any timed call arms the next sweep
        await until(lambda: following in (ref._slow or {}))  # unanswered at that sweep
        assert slow not in (ref._slow or {})
        await ref.stop()
        with pytest.raises(ActorDiedError, match="normal: stopped"):
            await following  # never answered: the stop fails it


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
