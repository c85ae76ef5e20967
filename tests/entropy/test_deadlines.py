"""DeadlineWatch: one lazily armed timer fails the unanswered replies of overdue rounds.

Each test waits on the thing the deadline is supposed to do (a reply failing, a gather
completing), bounded by ``asyncio.timeout``: a timer that never fires fails the test in
``BOUND`` seconds instead of hanging it. ``TIMEOUT`` is small so the module stays fast; the
assertions are about order and about "not before the deadline", never about how late.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Sequence
from typing import Any

import pytest

from alara.entropy import _deadlines
from alara.entropy._deadlines import (
    JUDGE_GRACE,
    JUDGE_STEPS,
    ContributionTimeout,
    DeadlineWatch,
    RequestExpired,
)
from tests.doubles.blocking import LoopStaller, SteppingSource
from tests.entropy.bounded import bounded_network

TIMEOUT = 0.02
BOUND = 2.0
CONTRIBUTION = 0.2
"""The contribution timeout of the tests with a real network."""

Replies = list[asyncio.Future[Any]]


def busy_from_the_start(ref: Any) -> float:
    """Every worker has been reading since the loop's time 0: late at any round's deadline."""
    return 0.0


pytestmark = pytest.mark.usefixtures("no_loop_errors")
"""A ``ContributionTimeout`` nobody retrieves would only be logged; make it a failure."""


class Round:
    """The collector's side of one round: the replies, their gather, and when each was done."""

    def __init__(self, watch: DeadlineWatch, replies: int = 3, expires: float = 0.0) -> None:
        loop = asyncio.get_running_loop()
        self.replies: Replies = [loop.create_future() for _ in range(replies)]
        self.done_at: dict[int, float] = {}
        for index, reply in enumerate(self.replies):
            reply.add_done_callback(functools.partial(self._done, index))
        self.gathered = asyncio.gather(*self.replies, return_exceptions=True)
        self.started = loop.time()
        self.refs: list[Any] = [f"worker-{index}" for index in range(replies)]
        watch.watch(self.gathered, self.refs, self.replies, expires or self.started + 100,
                    self.started)

    def _done(self, index: int, _reply: asyncio.Future[Any]) -> None:
        self.done_at[index] = asyncio.get_running_loop().time()

    async def outcome(self) -> list[Any]:
        async with asyncio.timeout(BOUND):
            return await self.gathered


def timed_out(results: Sequence[Any]) -> list[bool]:
    return [isinstance(result, ContributionTimeout) for result in results]


async def test_an_unanswered_reply_fails_with_contribution_timeout_at_the_deadline() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    late = Round(watch)
    late.replies[0].set_result(b"answered")
    late.replies[2].set_exception(OSError("its own error"))
    results = await late.outcome()
    assert results[0] == b"answered"
    assert type(results[2]) is OSError  # a reply already failed keeps its own error
    assert timed_out(results) == [False, True, False]
    assert late.done_at[1] >= late.started + TIMEOUT  # not before the deadline
    assert not watch.armed  # nothing left to watch: the timer went idle
    assert watch.watching == 0


async def test_a_round_answered_in_time_is_dropped_untouched() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    answered = Round(watch)
    for reply in answered.replies:
        reply.set_result(b"in time")
    assert await answered.outcome() == [b"in time"] * 3
    watch.forget()  # what the collector does once its round is gathered
    assert watch.watching == 0  # nothing of an answered round (its contributions) is kept
    # fires well after the first watch's timer
    witness = Round(DeadlineWatch(2 * TIMEOUT, busy_from_the_start))
    assert timed_out(await witness.outcome()) == [True] * 3
    assert not watch.armed  # the first timer fired, found nothing, and went idle
    assert all(reply.result() == b"in time" for reply in answered.replies)


async def test_answered_rounds_are_dropped_when_a_later_round_is_watched() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    answered = [Round(watch) for _ in range(3)]
    for done in answered:
        for reply in done.replies:
            reply.set_result(b"x")
        await done.outcome()
    pending = Round(watch)
    assert watch.watching == 1  # the pending round only
    assert timed_out(await pending.outcome()) == [True] * 3


async def test_the_timer_rearms_for_a_later_round_and_does_not_fail_it_early() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    early = Round(watch)
    # Not waiting for anything: only putting half a timeout between the two deadlines.
    await asyncio.sleep(TIMEOUT / 2)
    later = Round(watch)
    assert timed_out(await early.outcome()) == [True] * 3
    assert timed_out(await later.outcome()) == [True] * 3
    assert min(early.done_at.values()) >= early.started + TIMEOUT
    assert min(later.done_at.values()) >= later.started + TIMEOUT  # its own deadline
    assert not watch.armed
    assert watch.watching == 0


async def test_a_timer_that_went_idle_is_armed_again_by_the_next_round() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    first = Round(watch, replies=1)
    assert timed_out(await first.outcome()) == [True]
    assert not watch.armed
    second = Round(watch, replies=1)
    assert watch.armed
    assert timed_out(await second.outcome()) == [True]
    assert second.done_at[0] >= second.started + TIMEOUT


async def test_every_overdue_round_fails_in_one_firing() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    rounds = [Round(watch, replies=2) for _ in range(4)]
    rounds[1].replies[0].set_result(b"answered")
    outcomes = [await overdue.outcome() for overdue in rounds]
    assert [timed_out(results) for results in outcomes] == [
        [True, True], [False, True], [True, True], [True, True]
    ]


async def test_a_cancelled_round_is_dropped_and_its_replies_left_alone() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    abandoned = Round(watch)
    abandoned.gathered.cancel()  # the leader was cancelled: gather cancels its replies
    with pytest.raises(asyncio.CancelledError):
        await abandoned.outcome()
    witness = Round(watch)
    assert timed_out(await witness.outcome()) == [True] * 3
    assert all(reply.cancelled() for reply in abandoned.replies)


async def test_close_cancels_the_timer_and_leaves_pending_replies_to_their_owner() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    orphan = Round(watch)
    assert watch.armed
    watch.close()
    assert not watch.armed  # cancelled: the replies below are never failed by it
    assert watch.watching == 0
    # fires well after the closed timer would have
    witness = Round(DeadlineWatch(2 * TIMEOUT, busy_from_the_start))
    assert timed_out(await witness.outcome()) == [True] * 3
    assert not any(reply.done() for reply in orphan.replies)
    orphan.gathered.cancel()
    with pytest.raises(asyncio.CancelledError):
        await orphan.outcome()


async def test_a_closed_watch_still_watches_rounds_started_after() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    watch.close()
    after = Round(watch, replies=1)
    assert timed_out(await after.outcome()) == [True]


# -- honest judgement: only a worker's own lateness, never the loop's ------------------------


async def test_a_worker_that_is_not_reading_is_not_judged_and_expires_with_the_request() -> None:
    watch = DeadlineWatch(TIMEOUT, lambda ref: None)  # nobody has started a read
    loop = asyncio.get_running_loop()
    queued = Round(watch, replies=2, expires=loop.time() + 4 * TIMEOUT)
    results = await queued.outcome()
    assert [type(result) for result in results] == [RequestExpired, RequestExpired]
    assert min(queued.done_at.values()) >= queued.started + 4 * TIMEOUT


async def test_a_worker_is_judged_on_its_own_read_not_on_the_round() -> None:
    loop = asyncio.get_running_loop()
    read_started = loop.time() + 3 * TIMEOUT  # its read began well after the round started
    watch = DeadlineWatch(TIMEOUT, lambda ref: read_started)
    own = Round(watch, replies=1)
    assert timed_out(await own.outcome()) == [True]
    assert own.done_at[0] >= read_started + TIMEOUT


async def test_a_reply_that_needs_loop_steps_after_a_stall_is_not_judged() -> None:
    """The loop is held past the deadline; the reply it delayed needs ``JUDGE_STEPS`` more
    steps once the loop runs again, and gets them before the judgement: it is kept, and the
    reply that never comes is still judged."""
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    stalled = Round(watch, replies=2)

    async def answer_after_a_stall() -> None:
        time.sleep(2 * TIMEOUT)  # noqa: ASYNC251 -- the stall being simulated
        for _ in range(JUDGE_STEPS):
            await asyncio.sleep(0)
        stalled.replies[0].set_result(b"the victim answers once the loop runs")

    answering = asyncio.create_task(answer_after_a_stall())
    results = await stalled.outcome()
    await answering
    assert results[0] == b"the victim answers once the loop runs"
    assert timed_out(results) == [False, True]


async def test_a_late_timer_still_judges_a_hang() -> None:
    """A timer that fires late (the loop was busy) does not excuse a worker that had the loop
    for ``JUDGE_STEPS`` steps since: it is judged then, not pushed back."""
    loop = asyncio.get_running_loop()
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    hung = Round(watch, replies=1)
    time.sleep(5 * TIMEOUT)  # noqa: ASYNC251 -- the busy step being simulated
    after = loop.time()
    assert timed_out(await hung.outcome()) == [True]
    assert hung.done_at[0] - after < JUDGE_GRACE + BOUND / 4  # not pushed back again and again


async def test_a_reply_ready_when_the_timer_fires_is_not_judged() -> None:
    watch = DeadlineWatch(TIMEOUT, busy_from_the_start)
    ready = Round(watch, replies=1)
    loop = asyncio.get_running_loop()
    # Set from a callback due at the deadline itself, after the timer in the same step.
    loop.call_at(ready.started + TIMEOUT, ready.replies[0].set_result, b"due with the timer")
    assert await ready.outcome() == [b"due with the timer"]


# -- with a real network: a stalled loop blames nobody, a busy loop still finds a hang --------


@pytest.mark.parametrize("style", ["second await", "three awaits", "wait_for"])
async def test_an_honest_async_source_is_not_blamed_for_a_loop_staller(style: str) -> None:
    """The loop is held for the contribution timeout plus 5 ms by a source read on the loop,
    while the honest async worker, asked first, waits for its I/O. When the loop runs again
    the honest read has its bytes but needs a step or more to hand them over: it must get
    them, and never be judged hung (quarantine_after=1: one wrong judgement retires it)."""
    honest = SteppingSource(style)
    staller = LoopStaller(CONTRIBUTION + 0.005)
    async with bounded_network(sources=[honest, staller], contribution_timeout=CONTRIBUTION,
                               quarantine_after=1, timeout=5) as net:
        async with asyncio.timeout(30):
            for _ in range(5):
                assert len(await net.random_bytes(32)) == 32
        assert staller.reads >= 5
        assert net.quarantined() == []
        assert [child.restarts for child in net.which_children()] == [0, 0]


class OneHang:
    """An async source whose first read hangs (until cancelled), then honest: a transient
    hang that a kill and a restart cure."""

    def __init__(self) -> None:
        self.reads = 0

    async def read(self, n: int) -> bytes:
        self.reads += 1
        if self.reads == 1:
            await asyncio.Event().wait()
        return os.urandom(n)


async def _busy_loop(step: float, stop: asyncio.Event) -> None:
    """What a loaded server does to the loop: every step of this task holds it ``step`` s."""
    while not stop.is_set():
        time.sleep(step)  # noqa: ASYNC251 -- the load being simulated: CPU work between awaits
        await asyncio.sleep(0)


async def test_a_hang_is_judged_and_cured_on_a_busy_loop() -> None:
    """Every loop step takes 25 ms (so every deadline timer fires late), and one worker hangs
    once: it must still be judged hung, killed and restarted, and the request served from
    its replacement well before the request's own deadline."""
    hanging = OneHang()
    stop = asyncio.Event()
    async with bounded_network(sources=[hanging, SteppingSource("second await")],
                               contribution_timeout=CONTRIBUTION, timeout=5) as net:
        load = asyncio.create_task(_busy_loop(0.025, stop))
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            async with asyncio.timeout(10):
                assert len(await net.random_bytes(32)) == 32
            took = loop.time() - started
        finally:
            stop.set()
            await load
        assert hanging.reads == 2  # the hung read, then its replacement's
        assert net.which_children()[0].restarts == 1
        assert took < 4.0  # judged and cured well before the request's ``timeout`` (5 s)


async def test_an_expired_request_fails_at_its_deadline_without_the_hang_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Expiry blames nobody, so it needs no evidence: a reply whose worker is not reading
    fails when the request's deadline passes, not a grace later (a grace made longer than
    the test's bound here, so that only the expiry path can answer in time)."""
    monkeypatch.setattr(_deadlines, "JUDGE_GRACE", 10 * BOUND)
    loop = asyncio.get_running_loop()
    watch = DeadlineWatch(10.0, lambda ref: None)
    queued = Round(watch, replies=1, expires=loop.time() + TIMEOUT)
    assert [type(result) for result in await queued.outcome()] == [RequestExpired]
    assert queued.done_at[0] >= queued.started + TIMEOUT
