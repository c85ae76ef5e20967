"""Collection: one fresh contribution from every worker for every caller, whatever happens.

**Rounds.** Callers that arrive while a round is in flight wait for the next one; a round asks
every worker *once* for ``k x size`` bytes (``k`` = callers in the round) and gathers the reply
futures with ``asyncio.gather`` (no task per worker per request). Caller ``i`` gets slice ``i`` of
every worker's reply: disjoint, fresh bytes that no other caller sees, so each caller's output
still depends on a fresh ``size``-byte contribution from every worker. Under load this turns
``k x workers`` messages and system calls into ``workers``; a lone caller pays nothing extra.
The caller that runs a round (the leader) hands the next one to the first caller waiting.
A round takes at most ``max(1, ROUND_BYTES // size)`` callers, so no worker reads and tests
more than ``ROUND_BYTES`` for one round (or one contribution, if that is larger): the others
wait for the next round. At most ``max_waiting`` callers may wait; one more fails at once
with ``TooManyRequestsError`` (backpressure instead of unbounded memory).

**Deadlines.** Every caller's wait is bounded by ``timeout`` from its own arrival: a round's
deadline is its oldest caller's (the leader's), retries included, and a round runs only after
the previous one has ended. ``contribution_timeout`` only decides when a worker is judged hung
(``deadlines``): on its own read, never on the loop's lateness.

**Failures.** The slow path exists so that no caller ever hangs: a worker that dies mid-round
is asked again once its supervisor has restarted it, and a child that is restarting when the
round starts is waited for too. A worker judged hung is killed (its supervisor restarts it, or
quarantines a source that keeps hanging); its replacement is asked only while fewer than the
required contributions have arrived. The required count is ``min_sources`` if set, else every
configured worker (**fail closed**): a pool missing a worker (quarantined, terminated) raises
``PoolDegradedError`` naming it instead of serving from fewer sources.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from alara.actors import ActorRef, OneForOneSupervisor
from alara.entropy._deadlines import BusySince, DeadlineWatch
from alara.entropy._observe import Observer
from alara.entropy._refusals import too_few_contributions, too_few_workers
from alara.entropy._retry import DEAD, Tally, replacements
from alara.errors import AlaraError, TooManyRequestsError

__all__ = ["DEFAULT_MAX_WAITING", "ROUND_BYTES", "CollectPolicy", "Collector"]

ROUND_BYTES = 1 << 18
"""Most bytes one worker reads for one round (256 KiB), unless one contribution is larger."""
DEFAULT_MAX_WAITING = 100_000
"""Default bound on the callers waiting for a round (each holds a future: ~100 bytes)."""


@dataclass(frozen=True, slots=True)
class CollectPolicy:
    """How much to ask for, how long to wait, and how many contributions are enough.

    ``size``: bytes each worker gives each caller. ``timeout``: the whole request's deadline,
    from the caller's arrival, waiting and retries included. ``contribution_timeout``: how long
    one worker's read may last before it is judged hung and killed. ``min_sources``: the
    fewest contributions a caller may be served from; ``None``: every configured worker (fail
    closed). ``max_waiting``: the most callers that may wait for a round.
    """

    size: int
    timeout: float
    contribution_timeout: float
    min_sources: int | None
    max_waiting: int = DEFAULT_MAX_WAITING


_Waiter = tuple[asyncio.Future[object], float]
"""A caller waiting for a round: the future its round sets, and when it arrived."""


class _Lead:
    """Handed to a waiting caller: "you run the next round, for these callers too"."""

    __slots__ = ("followers",)

    def __init__(self, followers: list[_Waiter]) -> None:
        self.followers = followers


class Collector:
    """Serves every caller of one network, in rounds (see the module docstring).

    ``busy_since(ref)`` tells when the read in progress of worker ``ref`` started (``None``
    if it is not reading); ``missing()`` names the configured workers that are not in the
    registry any more, with why. ``configured`` is the number of configured workers: the
    network updates it when the pool grows. ``observer`` is told, per round, which workers
    contributed to how many requests.
    """

    def __init__(
        self,
        supervisor: OneForOneSupervisor,
        policy: CollectPolicy,
        *,
        configured: int,
        busy_since: BusySince,
        missing: Callable[[], list[str]],
        observer: Observer | None = None,
    ) -> None:
        self._supervisor = supervisor
        self._policy = policy  # what every round follows
        self._watch = DeadlineWatch(policy.contribution_timeout, busy_since)
        self._missing = missing
        self._leading = False
        self._drained: asyncio.Future[None] | None = None  # set by ``drain``
        self._waiting: list[_Waiter] = []
        self._per_round = max(1, ROUND_BYTES // policy.size)
        self._size = policy.size
        self._timeout = policy.timeout
        self._configured = configured
        # The hot path's view of the registry: the refs of a round where every child runs,
        # valid until the registry next changes (``_valid``, the supervisor's ``changed()``).
        self._refs: list[ActorRef] = []
        self._valid: asyncio.Future[None] | None = None
        self._clock: Callable[[], float] | None = None
        self._new_future: Callable[[], asyncio.Future[Any]] = _new_future
        self._observer = Observer() if observer is None else observer

    @property
    def configured(self) -> int:
        """How many workers the pool is configured with (local and remote)."""
        return self._configured

    @configured.setter
    def configured(self, count: int) -> None:
        self._configured = count
        self._valid = None  # the fail-closed floor may have moved: look at the registry again

    @property
    def required(self) -> int:
        """How many contributions a caller must be served from right now."""
        return self._policy.min_sources or self._configured

    @property
    def waiting(self) -> int:
        """How many callers are waiting for a round."""
        return len(self._waiting)

    @property
    def in_round(self) -> bool:
        """Whether a round is running now (a caller arriving now waits for the next one)."""
        return self._leading

    async def drain(self) -> None:
        """Wait until every request already made has its answer or its error (``close``)."""
        while self._leading:
            if self._drained is None:
                self._drained = asyncio.get_running_loop().create_future()
            await self._drained

    def _idle(self) -> None:
        """No round in flight and nobody waiting: stop leading, and wake ``drain``."""
        self._leading = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def close(self) -> None:
        """Drop the deadline timer (the network is closing)."""
        self._watch.close()

    def detach(self) -> None:
        """Let go of the network's hooks once it has shut down: they are bound methods of
        the network, which holds this collector, and that cycle would keep a closed network
        (its supervisor, its workers' records) for the garbage collector."""
        self._watch.close()
        self._watch = DeadlineWatch(self._policy.contribution_timeout, _never_busy)
        self._missing = _nothing_missing

    async def collect(self, arrived: float) -> list[bytes]:
        """One ``policy.size``-byte contribution from every worker, for one caller.

        ``arrived`` is when the caller arrived, on the loop's clock (``loop.time()``): its
        deadline is ``timeout`` after it, and the observer times its request from it to the
        end of the round that serves it (once per round, not once per caller).

        A caller that arrives while a round is in flight waits for the next one (without
        another coroutine: under load, that is nearly every caller); its leader serves it.

        Raises:
            TooManyRequestsError: ``max_waiting`` callers are already waiting.
            PoolDegradedError: fewer workers than required are configured and present.
            RequestTimeoutError: too few contributions by the deadline, and no worker failed.
            WorkerDiedError: too few contributions by the deadline, and some worker died or
                hung without a replacement answering in time.
            SupervisorGaveUpError: the pool's supervisor gave up.
        """
        if self._leading:  # a round is in flight: wait for the next one
            waiter = self._enqueue(arrived)
            try:
                outcome = await waiter
            except asyncio.CancelledError:
                self._cancelled(waiter)
                raise
            if type(outcome) is _Lead:
                return await self._lead(outcome.followers, arrived)
            return outcome  # type: ignore[return-value]
        self._leading = True
        try:
            results = await self._alone(arrived)
            self._observer.timed_alone(self._now() - arrived)
            return results
        finally:
            if self._waiting:
                self._hand_over([])
            else:
                self._idle()

    async def _alone(self, arrived: float) -> list[bytes]:
        """The round of a caller that found no round in flight: every worker asked at once
        when the pool is whole and unchanged since the last round, else ``_round``."""
        expires = arrived + self._timeout
        if self._valid is None or self._valid.done():  # the pool changed since last time
            return await self._round(1, expires, arrived)
        refs, size = self._refs, self._size
        try:
            gathered = self._ask(refs, size, expires, arrived)
        except AlaraError:  # a child ended since the last round: the general path
            return await self._round(1, expires, arrived)
        try:
            results: list[object] = await gathered
        finally:
            self._watch.forget()
        for result in results:
            if type(result) is not bytes:
                return await self._recover(refs, results, size, expires, self.required)
        self._observer.pooled += 1
        return results  # type: ignore[return-value]

    def _bind_clock(self) -> Callable[[], float]:
        """The running loop's clock and future factory, looked up once."""
        loop = asyncio.get_running_loop()
        clock = self._clock = loop.time
        self._new_future = loop.create_future
        return clock

    def _now(self) -> float:
        """The running loop's time."""
        return (self._clock or self._bind_clock())()

    def _enqueue(self, arrived: float) -> asyncio.Future[object]:
        """A new place in the queue for the next round (``TooManyRequestsError`` if full);
        ``arrived`` stays with it, for the observer's timing."""
        waiting = self._waiting
        if len(waiting) >= self._policy.max_waiting:
            self._refuse()
        waiter: asyncio.Future[object] = self._new_future()
        waiting.append((waiter, arrived))
        return waiter

    def _refuse(self) -> None:
        raise TooManyRequestsError(
            f"{len(self._waiting)} requests are already waiting for this network "
            f"(max_waiting={self._policy.max_waiting}); retry later"
        )

    def _cancelled(self, waiter: asyncio.Future[object]) -> None:
        """A waiting caller was cancelled: if it had just been handed a lead, pass it on."""
        # Cancelled after the outcome was set but before running: pass on a lead (and end
        # cancelled even if the round failed: ``result()`` would raise its error).
        if not waiter.cancelled() and waiter.exception() is None:
            outcome = waiter.result()
            if type(outcome) is _Lead:
                self._hand_over(outcome.followers)

    async def _lead(self, followers: list[_Waiter], arrived: float) -> list[bytes]:
        """The round of a caller handed the lead (``arrived``: its arrival) and its
        ``followers``: each gets its own slice of every reply, or the round's error."""
        try:
            replies = await self._round(1 + len(followers), arrived + self._timeout,
                                        self._now())
        except asyncio.CancelledError:
            self._hand_over(followers)
            raise
        except BaseException as error:
            for follower, _ in followers:
                if not follower.done():
                    follower.set_exception(error)
            self._hand_over([])
            raise
        size = self._policy.size
        served = [arrived]
        start = size
        for follower, follower_arrived in followers:
            if not follower.done():
                end = start + size
                follower.set_result([reply[start:end] for reply in replies])
                served.append(follower_arrived)
            start += size
        self._observer.timed(served, self._now())
        self._hand_over([])
        return [reply[:size] for reply in replies]

    def _hand_over(self, followers: list[_Waiter]) -> None:
        """Give the next round to the first caller still waiting (or stop leading).

        The new leader takes at most ``per_round - 1`` followers; the others stay waiting,
        in order, for the round after. The queue stays in order of arrival (what
        ``Observer.timed`` relies on): ``followers`` come back only at its head.
        """
        waiting = self._waiting
        if not waiting and not followers:
            self._idle()
            return
        if followers:
            waiting = followers + waiting
        waiting = [waiter for waiter in waiting if not waiter[0].done()]
        if not waiting:
            self._waiting = []
            self._idle()
            return
        take = self._per_round
        self._waiting = waiting[take:]
        waiting[0][0].set_result(_Lead(waiting[1:take]))

    async def _round(self, callers: int, expires: float, now: float) -> list[bytes]:
        """One gather of ``callers x size`` bytes from every child (the slow path if needed)."""
        supervisor = self._supervisor
        required = self.required
        if supervisor.size < required:  # quarantined or terminated: never serve from fewer
            self._raise_too_few(required)
        size = self._policy.size * callers
        refs = supervisor.live_refs()
        everyone = len(refs) == supervisor.size
        if not everyone:  # some child is restarting: ask the others, wait for it in _recover
            children = [child.ref for child in supervisor.which_children()]
            if not children:
                self._raise_too_few(required)
        try:
            results: list[object] = await self._ask(refs, size, expires, now)
        finally:
            self._watch.forget()
        if everyone:
            for result in results:
                if type(result) is not bytes:
                    break
            else:
                if self._remember(refs):  # the whole pool: one addition counts them all
                    self._observer.pooled += callers
                else:
                    self._observer.contributed([ref.name for ref in refs], callers)
                return results  # type: ignore[return-value]
        else:
            answers = iter(results)
            asked = {id(ref) for ref in refs}
            results = [next(answers) if id(ref) in asked else DEAD for ref in children]
            refs = children
        return await self._recover(refs, results, size, expires, required)

    def _remember(self, refs: list[ActorRef]) -> bool:
        """Keep ``refs`` (every child, all running) for the next lone caller's round, and
        tell the observer they are the pool; whether they are (else: a supervisor stopping).

        They stay valid until the registry changes (a restart, a child added or removed, the
        supervisor stopping): ``changed()`` tells. A ref that ends in between refuses the
        ask, which sends that round back here through ``_round``.
        """
        valid = self._valid
        if valid is not None and not valid.done():
            return True  # nothing changed since ``refs`` were remembered
        supervisor = self._supervisor
        if not supervisor.running or len(refs) != supervisor.size:
            return False
        self._refs = refs
        self._observer.pool([ref.name for ref in refs])
        self._valid = supervisor.changed()
        return True

    def _ask(
        self, refs: list[ActorRef], size: int, expires: float, now: float
    ) -> Awaitable[list[object]]:
        """Ask every ref for ``size`` bytes; their replies, gathered, under the deadline watch.

        Replies judged late come back as ``ContributionTimeout`` or ``RequestExpired``, errors
        as values: ``_recover`` sorts them out. Not a coroutine, to keep the hot path one frame
        shorter.

        Raises:
            AlaraError: a ref refused the ask (ended, or its mailbox is full); none is left asked.
        """
        replies: list[asyncio.Future[Any]] = []
        try:
            for ref in refs:
                replies.append(ref.ask(size))
        except AlaraError:  # a ref that ended (or is full): withdraw the asks already made
            for reply in replies:
                reply.cancel()
            raise
        gathered = asyncio.gather(*replies, return_exceptions=True)
        self._watch.watch(gathered, refs, replies, expires, now)
        return gathered

    async def _recover(
        self,
        refs: list[ActorRef],
        results: list[object],
        size: int,
        expires: float,
        required: int,
    ) -> list[bytes]:
        """Retry the slots whose worker died on its restarted worker, until the deadline."""
        supervisor = self._supervisor
        tally = Tally()
        while True:
            tally.add(refs, results, self._policy.contribution_timeout)
            tally.settle(required)
            if not tally.failed:
                break
            refs = await replacements(supervisor, tally.failed, tally.lost, expires)
            if not refs:
                break
            try:
                results = await self._ask(refs, size, expires, self._now())
            finally:
                self._watch.forget()
        if supervisor.error is not None:
            raise supervisor.error
        if len(tally.got) < required:
            raise too_few_contributions(list(tally.failed), tally.late, tally.lost,
                                        tally.last_error, self._timeout, died=tally.died)
        names = _order(supervisor, tally.got)
        self._observer.contributed(names, size // self._policy.size)
        return [tally.got[name] for name in names]

    def _raise_too_few(self, required: int) -> None:
        supervisor = self._supervisor
        if supervisor.error is not None:
            raise supervisor.error
        raise too_few_workers(supervisor.size, self.configured, required, self._missing(),
                              self._policy.min_sources is None)


def _new_future() -> asyncio.Future[Any]:
    """A future on the running loop (until a collector has bound its loop's own factory)."""
    return asyncio.get_running_loop().create_future()


def _order(supervisor: OneForOneSupervisor, got: dict[str, bytes]) -> list[str]:
    """Registry order, so the mix input order does not depend on who answered first."""
    names = [child.id for child in supervisor.which_children() if child.id in got]
    return names + [name for name in got if name not in names]


def _never_busy(ref: ActorRef) -> float | None:
    """A detached collector's ``busy_since``: no worker is left to be busy."""
    return None


def _nothing_missing() -> list[str]:
    """A detached collector's ``missing``: the network has shut down, nothing is awaited."""
    return []
