"""DeadlineWatch: one lazily armed timer fails the unanswered replies of overdue rounds.

Each test waits on the thing the deadline is supposed to do (a reply failing, a gather
completing), bounded by ``asyncio.timeout``: a timer that never fires fails the test in
``BOUND`` seconds instead of hanging it. ``TIMEOUT`` is small so the module stays fast; the
assertions are about order and about "not before the deadline", never about how late.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from typing import Any

import pytest

from alara.entropy.deadlines import ContributionTimeout, DeadlineWatch

TIMEOUT = 0.02
BOUND = 2.0

Replies = list[asyncio.Future[Any]]


pytestmark = pytest.mark.usefixtures("no_loop_errors")
"""A ``ContributionTimeout`` nobody retrieves would only be logged; make it a failure."""


class Round:
    """The collector's side of one round: the replies, their gather, and when each was done."""

    def __init__(self, watch: DeadlineWatch, replies: int = 3) -> None:
        loop = asyncio.get_running_loop()
        self.replies: Replies = [loop.create_future() for _ in range(replies)]
        self.done_at: dict[int, float] = {}
        for index, reply in enumerate(self.replies):
            reply.add_done_callback(functools.partial(self._done, index))
        self.gathered = asyncio.gather(*self.replies, return_exceptions=True)
        self.started = loop.time()
        watch.watch(self.gathered, self.replies)

    def _done(self, index: int, _reply: asyncio.Future[Any]) -> None:
        self.done_at[index] = asyncio.get_running_loop().time()

    async def outcome(self) -> list[Any]:
        async with asyncio.timeout(BOUND):
            return await self.gathered


def timed_out(results: Sequence[Any]) -> list[bool]:
    return [isinstance(result, ContributionTimeout) for result in results]


async def test_an_unanswered_reply_fails_with_contribution_timeout_at_the_deadline() -> None:
    watch = DeadlineWatch(TIMEOUT)
    late = Round(watch)
    late.replies[0].set_result(b"answered")
    late.replies[2].set_exception(OSError("its own error"))
    results = await late.outcome()
    assert results[0] == b"answered"
    assert type(results[2]) is OSError  # a reply already failed keeps its own error
    assert timed_out(results) == [False, True, False]
    assert late.done_at[1] >= late.started + TIMEOUT  # not before the deadline
    assert watch._timer is None  # nothing left to watch: the timer went idle
    assert not watch._rounds


async def test_a_round_answered_in_time_is_dropped_untouched() -> None:
    watch = DeadlineWatch(TIMEOUT)
    answered = Round(watch)
    for reply in answered.replies:
        reply.set_result(b"in time")
    assert await answered.outcome() == [b"in time"] * 3
    watch.forget()  # what the collector does once its round is gathered
    assert not watch._rounds  # nothing of an answered round (its contributions) is kept
    witness = Round(DeadlineWatch(2 * TIMEOUT))  # fires well after the first watch's timer
    assert timed_out(await witness.outcome()) == [True] * 3
    assert watch._timer is None  # the first timer fired, found nothing, and went idle
    assert all(reply.result() == b"in time" for reply in answered.replies)


async def test_answered_rounds_are_dropped_when_a_later_round_is_watched() -> None:
    watch = DeadlineWatch(TIMEOUT)
    answered = [Round(watch) for _ in range(3)]
    for done in answered:
        for reply in done.replies:
            reply.set_result(b"x")
        await done.outcome()
    pending = Round(watch)
    assert [entry[1] for entry in watch._rounds] == [pending.gathered]
    assert timed_out(await pending.outcome()) == [True] * 3


async def test_the_timer_rearms_for_a_later_round_and_does_not_fail_it_early() -> None:
    watch = DeadlineWatch(TIMEOUT)
    early = Round(watch)
    # Not waiting for anything: only putting half a timeout between the two deadlines.
    await asyncio.sleep(TIMEOUT / 2)
    later = Round(watch)
    assert timed_out(await early.outcome()) == [True] * 3
    assert timed_out(await later.outcome()) == [True] * 3
    assert min(early.done_at.values()) >= early.started + TIMEOUT
    assert min(later.done_at.values()) >= later.started + TIMEOUT  # its own deadline
    assert watch._timer is None
    assert not watch._rounds


async def test_a_timer_that_went_idle_is_armed_again_by_the_next_round() -> None:
    watch = DeadlineWatch(TIMEOUT)
    first = Round(watch, replies=1)
    assert timed_out(await first.outcome()) == [True]
    assert watch._timer is None
    second = Round(watch, replies=1)
    assert watch._timer is not None
    assert timed_out(await second.outcome()) == [True]
    assert second.done_at[0] >= second.started + TIMEOUT


async def test_every_overdue_round_fails_in_one_firing() -> None:
    watch = DeadlineWatch(TIMEOUT)
    rounds = [Round(watch, replies=2) for _ in range(4)]
    rounds[1].replies[0].set_result(b"answered")
    outcomes = [await overdue.outcome() for overdue in rounds]
    assert [timed_out(results) for results in outcomes] == [
        [True, True], [False, True], [True, True], [True, True]
    ]


async def test_a_cancelled_round_is_dropped_and_its_replies_left_alone() -> None:
    watch = DeadlineWatch(TIMEOUT)
    abandoned = Round(watch)
    abandoned.gathered.cancel()  # the leader was cancelled: gather cancels its replies
    with pytest.raises(asyncio.CancelledError):
        await abandoned.outcome()
    witness = Round(watch)
    assert timed_out(await witness.outcome()) == [True] * 3
    assert all(reply.cancelled() for reply in abandoned.replies)


async def test_close_cancels_the_timer_and_leaves_pending_replies_to_their_owner() -> None:
    watch = DeadlineWatch(TIMEOUT)
    orphan = Round(watch)
    timer = watch._timer
    assert timer is not None
    watch.close()
    assert timer.cancelled()
    assert watch._timer is None
    assert not watch._rounds
    witness = Round(DeadlineWatch(2 * TIMEOUT))  # fires well after the closed timer would have
    assert timed_out(await witness.outcome()) == [True] * 3
    assert not any(reply.done() for reply in orphan.replies)
    orphan.gathered.cancel()
    with pytest.raises(asyncio.CancelledError):
        await orphan.outcome()


async def test_a_closed_watch_still_watches_rounds_started_after() -> None:
    watch = DeadlineWatch(TIMEOUT)
    watch.close()
    after = Round(watch, replies=1)
    assert timed_out(await after.outcome()) == [True]
