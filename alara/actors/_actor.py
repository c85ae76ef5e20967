"""Actors: one asyncio task draining one mailbox, reached only through an ``ActorRef``.

The ref is the Erlang pid of this framework: callers hold it, the supervisor watches it, and a
restarted actor gets a new one. Everything that can go wrong with an actor ends the same way:
the ref turns dead, every caller still waiting (queued or in flight) gets ``ActorDiedError`` at
once, later calls fail fast, and the monitors (the supervisor) hear the exit reason.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
import types
from collections.abc import Callable, Generator
from enum import Enum, StrEnum
from typing import Any, Final, NamedTuple

from alara.actors._errors import ActorDiedError, CallTimeoutError, MailboxFullError
from alara.actors._log import get_logger
from alara.actors._mailbox import DEFAULT_CAPACITY, MAX_CAPACITY, Mailbox
from alara.actors._timers import deadlines_of, sweep_delay
from alara.actors._validation import check_int, check_positive_float

__all__ = ["Actor", "ActorRef", "Envelope", "Exit", "ExitKind", "spawn"]

_log = get_logger("actors")
_ids = itertools.count(1)
_INFO, _WARNING = logging.INFO, logging.WARNING
_NEVER: Final = math.inf
_monotonic = time.monotonic  # call deadlines only: scheduling uses delays, never this clock
_CALL_TIMEOUT: Final = 5.0
_DEFAULT_SWEEP_DELAY: Final = sweep_delay(_CALL_TIMEOUT)
_done = asyncio.Future.done
_Task = asyncio.Task

Envelope = tuple[Any, "asyncio.Future[Any] | None"]
"""A mailbox entry: the message and the future for its reply (``None`` for a cast)."""

_STOP: Final[Any] = object()  # mailbox sentinel; always the last entry ever enqueued


class ExitKind(StrEnum):
    """Why an actor ended, in OTP's terms."""

    NORMAL = "normal"  # asked to stop, and did
    SHUTDOWN = "shutdown"  # stopped by cancellation (shutdown timeout, loop teardown)
    CRASHED = "crashed"  # a handler raised
    KILLED = "killed"  # ActorRef.kill(): a crash imposed from outside


_UNSTARTED: Final[list[Any]] = []
"""``ActorRef._inflight`` until the task's first step: a task cancelled before it never runs
its body, so its end must be told from outside."""
_CARRIED: Final[list[Any]] = []
"""``ActorRef._inflight`` of an actor whose task is its predecessor's, until that task reaches
it (see ``spawn_checked``): killed before, it ends without the task, which passes it by."""
_FREE: Final[Any] = object()
"""``ActorRef._next`` of an actor that has ended and whose task ends cleanly: the task may
carry the actor's successor instead of ending."""

_CRASHED, _KILLED = ExitKind.CRASHED, ExitKind.KILLED  # module globals: cheaper to read
_new_tuple = tuple.__new__
_ABNORMAL: Final = frozenset({_CRASHED, _KILLED})


class Exit(NamedTuple):
    """The exit reason an actor's monitors receive (immutable; a tuple, cheap to make)."""

    kind: ExitKind
    reason: str
    error: BaseException | None = None

    @property
    def abnormal(self) -> bool:
        """True for crashes and kills: what ``transient`` children are restarted for."""
        return self.kind in _ABNORMAL


class Actor:
    """Behaviour of an actor: subclass and override the handlers you need.

    Handlers run one at a time inside the actor's task, so an actor's own state needs no lock.
    A handler that raises crashes the actor: that is the signal supervisors act on, so do not
    catch what you cannot handle.
    """

    ref: ActorRef | None = None
    """This actor's own ref, set by ``spawn`` before ``on_start`` runs.

    Lets an actor hand itself to others, or crash itself from a helper task it started
    (by casting itself a message whose handler raises), as an Erlang process uses ``self()``.
    """

    async def on_start(self) -> None:
        """Run in the actor's task before the first message; raising here is a crash."""

    async def handle_call(self, message: Any) -> Any:
        """Answer a ``call``/``ask``; the return value is the reply.

        Raises:
            NotImplementedError: not overridden; like any exception here, it crashes the actor.
        """
        raise NotImplementedError(f"{type(self).__name__} does not handle calls")

    async def handle_cast(self, message: Any) -> None:
        """Act on a ``cast``; there is no reply.

        Raises:
            NotImplementedError: not overridden; like any exception here, it crashes the actor.
        """
        raise NotImplementedError(f"{type(self).__name__} does not handle casts")

    async def handle_batch(self, batch: list[Envelope]) -> None:
        """Handle every envelope that was waiting in the mailbox, in order.

        Override to serve a burst of requests with one operation (one system call for many
        callers, say). Skip envelopes whose reply future is already done: their caller gave up.
        """
        for message, reply in batch:
            if reply is None:
                await self.handle_cast(message)
            elif not reply.done():
                result = await self.handle_call(message)
                if not reply.done():
                    reply.set_result(result)

    def handle_batch_now(self, batch: list[Envelope]) -> bool:
        """Handle ``batch`` at once, without awaiting, if it can be; ``False`` if not.

        An optional fast path in front of ``handle_batch``: when an actor overrides it, its
        task calls it first and awaits ``handle_batch`` only for the batches it declines
        (returning ``False`` having answered nothing). A batch served without waiting (a cheap
        system call, a lookup) then costs no coroutine. Same rules as ``handle_batch``: skip
        envelopes whose reply is done; an exception crashes the actor. The last batch before
        a graceful stop goes to ``handle_batch``.
        """
        return False

    async def on_stop(self) -> None:
        """Run after a graceful ``stop()`` once the mailbox is drained (not after a crash)."""

    def on_exit(self, exit: Exit) -> None:
        """Run once when the actor ends, however it ends, just before its monitors hear.

        ``on_stop`` only follows a graceful stop; this also follows a crash, a kill and a
        cancellation, so an actor that owns resources outside its task (tasks, a nested
        supervisor) can release them whatever happened. It is synchronous because a killed
        or cancelled actor has nothing left to await with: start a task if release takes
        time. It does not run if the task was cancelled before its first step (``on_start``
        never ran either). An exception here is reported to the loop's exception handler.
        """


class _State(Enum):
    """Where a ref is in its life; it only ever moves forward."""

    ALIVE = "alive"  # takes messages
    STOPPING = "stopping"  # asked to stop, or killed: refuses new messages
    DEAD = "dead"  # ended, or abandoned: ``exit`` says why


_ALIVE, _STOPPING, _DEAD = _State.ALIVE, _State.STOPPING, _State.DEAD


class ActorRef(Mailbox):
    """Handle to a running actor: all a caller needs, and safe to keep after it dies.

    It is also the actor's mailbox (see ``alara.actors._mailbox``), privately.
    """

    __slots__ = (
        "__weakref__",
        "_actor",
        "_cancel_exit",
        "_check_at",
        "_exit",
        "_inflight",
        "_monitors",
        "_next",
        "_recent",
        "_recent_other",
        "_slow",
        "_state",
        "_sweep_floor",
        "_task",
        "_waiters",
        "id",
        "name",
        "shutdown_timeout",
    )

    def __init__(self, name: str, loop: asyncio.AbstractEventLoop, actor: Actor,
                 shutdown_timeout: float, mailbox_capacity: int) -> None:
        self.name = name
        self.id = next(_ids)
        self.shutdown_timeout = shutdown_timeout
        self._actor: Actor | None = actor  # until it ends (``_finish``)
        # The mailbox's own fields (``Mailbox.__init__``), set here without a call.
        self._capacity = mailbox_capacity
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop = loop
        self._state = _ALIVE
        self._exit: Exit | None = None
        self._cancel_exit: Exit | None = None
        self._inflight: list[Envelope] = _UNSTARTED  # the batch in hand, once the task runs
        # Made on first use: most actors never have a waiter, many never a monitor.
        self._waiters: asyncio.Future[Exit] | list[asyncio.Future[Exit]] | None = None
        self._monitors: list[Callable[[ActorRef, Exit], None]] | None = None
        # Timed calls (see ``call``): sent since the last sweep, with their timeouts; then,
        # for those the sweep found unanswered, their deadlines.
        self._recent: list[asyncio.Future[Any]] | None = None  # with the default timeout
        self._recent_other: list[tuple[asyncio.Future[Any], float]] | None = None
        self._sweep_floor = _NEVER  # the armed sweep comes soon enough for timeouts >= this
        self._slow: dict[asyncio.Future[Any], tuple[float, float]] | None = None
        self._check_at = _NEVER  # when the next check of ``_slow`` is due
        self._task: asyncio.Task[None] | None = None
        # ``_FREE`` once the actor has ended and its task is free to carry a successor; then
        # the successor's ref, if one was spawned onto it (``spawn_checked``'s ``after``).
        self._next: Any = None

    def __repr__(self) -> str:
        return f"<ActorRef {self.name}#{self.id} {self._state.value}>"

    def is_alive(self) -> bool:
        """True until the actor is asked to stop, is killed, or crashes."""
        return self._state is _ALIVE

    @property
    def exit(self) -> Exit | None:
        """The exit reason once the actor has ended, else ``None``."""
        return self._exit

    @property
    def mailbox_capacity(self) -> int:
        """How many messages may wait in the mailbox before sending fails fast."""
        return self._capacity

    @property
    def queued(self) -> int:
        """How many messages wait in the mailbox now (the batch in hand not included)."""
        return len(self._items)

    def ask(self, message: Any) -> asyncio.Future[Any]:
        """Enqueue a call and return the future of its reply, without waiting.

        The building block of fan-out: ask many actors, then ``asyncio.gather`` the futures.
        Cancelling the future withdraws the request; the actor skips it.

        Raises:
            ActorDiedError: the actor is stopping or dead.
            MailboxFullError: ``mailbox_capacity`` messages are already waiting.
        """
        if self._state is not _ALIVE:
            raise ActorDiedError(self.name, self._why_not_running())
        reply: asyncio.Future[Any] = self._loop.create_future()
        if not self._offer((message, reply)):
            raise MailboxFullError(self.name, self._capacity)
        return reply

    def call(self, message: Any, timeout: float | None = _CALL_TIMEOUT) -> asyncio.Future[Any]:
        """Send ``message`` and return the future of its reply, failed after ``timeout`` seconds.

        ``await ref.call(msg)`` is the usual spelling. It returns a future rather than being a
        coroutine so that a timed request costs little more than an ``ask``: no task, no
        timer of its own. The ref notes the call; a sweep a few milliseconds later forgets
        the calls answered by then (nearly all) and gives the others a deadline, checked by
        one coarse timer per ref (``alara.actors._timers``). A deadline that passes fails the
        future with ``CallTimeoutError``, never early and at most about ``timeout / 32``
        + 2 ms late, and the actor skips the withdrawn request. Cancelling the future (or
        the task awaiting it) withdraws the request too. ``timeout=None`` waits as long as
        the actor lives, exactly like ``ask``.

        Raises:
            ActorDiedError: the actor is not running (raised here, at once).
            MailboxFullError: ``mailbox_capacity`` messages are already waiting (here).
            TypeError, ValueError: ``timeout`` is not a positive number of seconds or
                ``None`` (here; nothing is sent).

        The future itself fails with ``CallTimeoutError`` (no reply within ``timeout``),
        ``ActorDiedError`` (the actor ended before replying), or whatever exception the
        actor chose to reply with.
        """
        if timeout is not _CALL_TIMEOUT:
            if timeout is None:
                return self.ask(message)
            return self._call_within(message, check_positive_float("timeout", timeout))
        # ``ask`` and ``_offer``, inlined: this is the hot path of every request
        if self._state is not _ALIVE:
            raise ActorDiedError(self.name, self._why_not_running())
        reply: asyncio.Future[Any] = self._loop.create_future()
        items = self._items
        if len(items) >= self._capacity:
            raise MailboxFullError(self.name, self._capacity)
        items.append((message, reply))
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        recent = self._recent
        if recent is None:
            # The first such call since the last sweep (which set ``_recent`` to ``None``):
            # make sure a sweep comes; the calls after it only append.
            self._recent = [reply]
            if self._sweep_floor > _CALL_TIMEOUT:
                self._sweep_floor = _CALL_TIMEOUT
                self._after(_DEFAULT_SWEEP_DELAY, ActorRef._sweep, self)
        else:
            recent.append(reply)
            if not len(recent) & 255:
                # Every 256th, forget the answered ones now rather than at the sweep: futures
                # kept alive for milliseconds are what sets off the garbage collector.
                recent[:] = itertools.filterfalse(_done, recent)
        return reply

    def _call_within(self, message: Any, timeout: float) -> asyncio.Future[Any]:
        """``call`` with a timeout other than the default one."""
        reply = self.ask(message)
        other = self._recent_other
        if other is None:
            other = self._recent_other = []
        other.append((reply, timeout))
        if timeout < self._sweep_floor:
            self._sweep_floor = timeout
            self._after(sweep_delay(timeout), ActorRef._sweep, self)
        return reply

    def cast(self, message: Any) -> None:
        """Enqueue ``message`` with no reply.

        Raises:
            ActorDiedError: the actor is stopping or dead.
            MailboxFullError: ``mailbox_capacity`` messages are already waiting.
        """
        if self._state is not _ALIVE:
            raise ActorDiedError(self.name, self._why_not_running())
        if not self._offer((message, None)):
            raise MailboxFullError(self.name, self._capacity)

    def stop(self, timeout: float | None = None) -> asyncio.Future[Exit]:
        """Stop gracefully: messages already queued are handled, new ones are refused.

        Returns a future of the exit reason; await it. If the actor has not ended after
        ``timeout`` seconds (default: the ref's ``shutdown_timeout``) its task is cancelled,
        and a task that ignores the cancellation is abandoned after its grace (see ``kill``),
        so the future always completes, within about ``timeout + shutdown_timeout`` seconds.
        Cancelling the returned future stops only that wait, never the shutdown.

        Raises:
            TypeError, ValueError: ``timeout`` is not a positive number of seconds.
        """
        if timeout is not None:
            timeout = check_positive_float("timeout", timeout)
        waiter = self.wait()
        surely_prompt = False
        if self._state is _ALIVE:
            self._state = _STOPPING
            # An idle actor with no ``on_stop`` of its own has nothing left that could hang:
            # it ends at its next step, so it needs no deadline (most of 10,000 stops).
            actor = self._actor  # alive, so still held
            surely_prompt = (self._append(_STOP) and actor is not None
                             and type(actor).on_stop is _DEFAULT_ON_STOP)
        if self._exit is None and self._cancel_exit is None and not surely_prompt:
            grace = self.shutdown_timeout if timeout is None else timeout
            self._after(grace, ActorRef._stop_overdue, self, grace)
        return waiter

    def kill(self, reason: str = "killed") -> None:
        """Crash the actor from outside, like Erlang's ``exit(Pid, kill)``.

        Supervisors treat it as a crash. Meant for tests, demos, chaos runs, and for callers
        that judge an actor hung. An idle actor (waiting for mail, no handler running) has
        nothing left that could run, so it ends inside ``kill()``, as an Erlang process hit by
        ``kill`` does: when ``kill()`` returns, its ``exit`` is set, its ``on_exit`` and its
        monitors have run, and a one-for-one supervisor has already registered the
        replacement. A busy actor's task is cancelled; an honest one ends at its next step,
        and its end is told then. A task that swallows the ``CancelledError`` (a driver
        wrapper catching it) cannot defeat the kill: if it has not ended ``shutdown_timeout``
        seconds later, it is *abandoned*. The ref then dies with ``ExitKind.KILLED`` and a
        reason that says so, every waiting caller gets ``ActorDiedError``, the monitors hear
        the exit (a supervisor restarts a fresh child) and an ``actor.abandoned`` event is
        logged; the abandoned task is left to end on its own, cut off from the ref and its
        mailbox. Killing an actor that is already dying or dead does nothing.

        Raises:
            TypeError: ``reason`` is not a str.
        """
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a str, got {type(reason).__name__}")
        if self._state is _DEAD:
            return
        self._state = _STOPPING
        # ``Exit``'s own ``__new__`` is Python code; a kill is counted in microseconds.
        exit = _new_tuple(Exit, (_KILLED, reason, None))
        if self._waiter is None or self._cancel_exit is not None:
            self._cancel(exit, self.shutdown_timeout)
            return
        # Idle, parked in the framework's own ``take`` (only a live, started task waits there):
        # no code of the actor is in progress and none can run again, so the actor ends
        # here, as an Erlang process hit by ``kill`` does. Its task is woken rather than
        # cancelled: it finds itself ended and goes on to its successor or returns, with no
        # ``CancelledError`` to unwind.
        self._cancel_exit = exit
        task = self._task
        if task is not None and not task.cancelling():
            self._next = _FREE  # a supervisor told in ``_finish`` may hand the task on
        self._finish(exit, [])
        self._append(_STOP)  # the drained mailbox's only entry

    def wait(self) -> asyncio.Future[Exit]:
        """A future of the exit reason: done when the actor has ended (at once if it has).

        Each call gets its own future, so cancelling one wait disturbs no other.
        """
        waiter: asyncio.Future[Exit] = self._loop.create_future()
        if self._exit is not None:
            waiter.set_result(self._exit)
        elif self._waiters is None:
            self._waiters = waiter  # the usual one waiter needs no list
        elif isinstance(self._waiters, list):
            self._waiters.append(waiter)
        else:
            self._waiters = [self._waiters, waiter]
        return waiter

    def monitor(self, callback: Callable[[ActorRef, Exit], None]) -> None:
        """Call ``callback(ref, exit)`` once when the actor ends (soon, if it already has).

        Callbacks run in the order they were added, synchronously when the actor ends, before
        anything awaiting ``wait()`` or ``stop()`` resumes.
        """
        if self._exit is not None:
            self._loop.call_soon(callback, self, self._exit)
        elif self._monitors is None:
            self._monitors = [callback]
        else:
            self._monitors.append(callback)

    def _sweep(self) -> None:
        """Forget the timed calls answered since the last sweep; give the others deadlines.

        A call still unanswered here was sent no later than now, so a deadline of now plus
        its timeout never fires early.
        """
        self._sweep_floor = _NEVER
        if self._exit is not None:
            return  # the end failed every caller already
        slow = self._slow
        if slow:
            # Calls given a deadline by an earlier sweep and answered since (nearly all, under
            # load): forget them now, not at their deadline seconds away. Futures kept alive
            # that long are what drives the garbage collector's full collections.
            for reply in list(filter(_done, slow)):
                del slow[reply]
        recent, other = self._recent, self._recent_other
        self._recent = None  # the next call with the default timeout arms the next sweep
        unanswered: list[tuple[asyncio.Future[Any], float]] = []
        if recent:
            # The answered ones (nearly all) are dropped in C, without a Python step each.
            slow_ones = itertools.filterfalse(_done, recent)
            unanswered.extend((reply, _CALL_TIMEOUT) for reply in slow_ones)
        if other:
            self._recent_other = []
            unanswered.extend(entry for entry in other if not entry[0].done())
        if not unanswered:
            return
        now = _monotonic()
        first_due = _NEVER
        if slow is None:
            slow = self._slow = {}
        for reply, timeout in unanswered:
            due = now + timeout
            slow[reply] = (due, timeout)
            if due < first_due:
                first_due = due
        if first_due < self._check_at:
            self._check_at = first_due
            self._after(first_due - now, ActorRef._expire_calls, self)

    def _expire_calls(self) -> None:
        """Fail the slow calls whose deadline passed; forget the ones answered since."""
        self._check_at = _NEVER
        slow = self._slow
        if not slow:
            return
        now = _monotonic()
        next_due = _NEVER
        settled = []
        for reply, (due, timeout) in slow.items():
            if reply.done():
                settled.append(reply)
            elif due <= now:
                settled.append(reply)
                reply.set_exception(CallTimeoutError(
                    f"actor {self.name!r} did not reply within {timeout:g}s"))
                reply.exception()  # a caller that gave up already must not log it as lost
            elif due < next_due:
                next_due = due
        for reply in settled:
            del slow[reply]
        if next_due < self._check_at:
            self._check_at = next_due
            self._after(next_due - now, ActorRef._expire_calls, self)

    def _after(self, delay: float, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` about ``delay`` seconds from now, on the shared deadlines."""
        deadlines_of(self._loop).call_after(self._loop, delay, callback, *args)

    def _why_not_running(self) -> str:
        if self._exit is not None:
            return f"{self._exit.kind.value}: {self._exit.reason}"
        return "stopping"

    def _stop_overdue(self, timeout: float) -> None:
        if self._exit is None:
            self._cancel(Exit(ExitKind.SHUTDOWN, f"did not stop within {timeout:g}s"),
                         self.shutdown_timeout)

    def _cancel(self, exit: Exit, grace: float) -> None:
        """Cancel the task once; abandon it if it is still running ``grace`` seconds later."""
        task = self._task
        if task is not None and task.done():
            # Ended without a word (cancelled from outside before its first step): say it now.
            self._finish(self._cancel_exit or exit, [], False)
            return
        if self._cancel_exit is None and task is not None:
            self._cancel_exit = exit
            if self._inflight is _UNSTARTED:
                # Cancelled before its first step: the body (and its ``finally``) never runs,
                # and nothing of the actor ever ran: it ends here.
                task.cancel()
                self._finish(exit, [], False)
            elif self._inflight is _CARRIED:
                # Its predecessor's task has not reached it yet: it ends here, and the task,
                # which belongs to no one else, passes it by (or carries its successor).
                self._next = _FREE
                self._finish(exit, [], False)
            else:  # busy (``kill`` ends an idle actor itself), or a stop gone overdue
                task.cancel()
                self._after(grace, ActorRef._abandon, self, grace)

    def _abandon(self, grace: float) -> None:
        """Give up on a task that ignored its cancellation: the ref dies without it."""
        cancelled = self._cancel_exit
        if self._exit is not None or cancelled is None:
            return  # it ended in time
        reason = (f"abandoned: ignored cancellation for {grace:g}s "
                  f"({cancelled.kind.value}: {cancelled.reason})")
        _log.warning("actor.abandoned", actor=self.name, ref_id=self.id, grace=grace,
                     reason=cancelled.reason)
        # A copy: the abandoned task may still be iterating over its batch.
        self._finish(Exit(ExitKind.KILLED, reason), list(self._inflight))

    def _finish(self, exit: Exit, pending: list[Envelope], ran: bool = True) -> None:
        """The actor's ``on_exit`` (if its body ``ran``), then record the exit, fail every
        waiting caller and tell the monitors. Only the first end counts: an abandoned task
        finishing late changes nothing."""
        if self._exit is not None:
            return
        # The ref lets go of its actor: the actor's ``ref`` points back here, and that cycle
        # would keep both (the worker, its task, its mailbox) for the garbage collector.
        actor, self._actor = self._actor, None
        if ran and actor is not None and type(actor).on_exit is not _DEFAULT_ON_EXIT:
            try:
                actor.on_exit(exit)
            except Exception as error:
                self._loop.call_exception_handler({
                    "message": f"on_exit of actor {self.name!r} raised",
                    "exception": error,
                })
        self._state = _DEAD
        self._exit = exit
        items = self._items
        if items:
            self._items = []
            pending.extend(items)
        # Timed replies the actor kept to answer later: nobody will answer them now.
        recent, self._recent = self._recent, None
        if recent:
            pending.extend((None, reply) for reply in recent)
        other, self._recent_other = self._recent_other, None
        if other:
            pending.extend((None, reply) for reply, _timeout in other)
        slow, self._slow = self._slow, None
        if slow:
            pending.extend((None, reply) for reply in slow)
        why = None  # worded once, and only if a caller is told
        for entry in pending:
            if entry is not _STOP and entry[1] is not None and not entry[1].done():
                if why is None:
                    why = f"{exit.kind.value}: {exit.reason}"
                # A fresh error each: a raised exception carries its own traceback.
                entry[1].set_exception(ActorDiedError(self.name, why))
        if exit.kind in _ABNORMAL:
            if _log.enabled_for(_WARNING):
                _log.warning("actor.crashed", actor=self.name, ref_id=self.id,
                             kind=exit.kind.value, reason=exit.reason)
        elif _log.enabled_for(_INFO):
            _log.info("actor.stopped", actor=self.name, ref_id=self.id, kind=exit.kind.value,
                      reason=exit.reason)
        waiters, self._waiters = self._waiters, None
        if waiters is not None:
            for waiter in waiters if isinstance(waiters, list) else (waiters,):
                if not waiter.done():
                    waiter.set_result(exit)
        monitors, self._monitors = self._monitors, None
        if monitors is not None:
            for callback in monitors:
                try:
                    callback(self, exit)
                except Exception as error:
                    # One broken monitor must not keep the others (the supervisor)
                    # uninformed; report it the way asyncio reports a failing callback.
                    self._loop.call_exception_handler({
                        "message": f"monitor of actor {self.name!r} raised",
                        "exception": error,
                    })

_DEFAULT_ON_START: Final = Actor.on_start
_DEFAULT_HANDLE_BATCH_NOW: Final = Actor.handle_batch_now
_DEFAULT_ON_STOP: Final = Actor.on_stop
_DEFAULT_ON_EXIT: Final = Actor.on_exit
_STOPPED: Final = Exit(ExitKind.NORMAL, "stopped")
_CANCELLED: Final = Exit(ExitKind.SHUTDOWN, "cancelled")
_ORPHANED: Final = Exit(ExitKind.KILLED, "orphaned: the task that was to run it was cancelled")


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def _run(ref: ActorRef, actor: Actor) -> None:
    """The actor's task: its body, then, if the actor ended cleanly and was restarted at once,
    its successor's (see ``spawn_checked``), and so on."""
    while True:
        batch: list[Envelope] = []
        ref._inflight = batch  # the task has begun: from now on its ``finally`` tells its end
        exit = _STOPPED
        clean = woken = False
        try:
            behaviour = type(actor)
            # Looked up first: on a carried task they replace the ended actor's, which they
            # would otherwise keep alive through this one's ``on_start``.
            take = ref._take
            now = (None if behaviour.handle_batch_now is _DEFAULT_HANDLE_BATCH_NOW
                   else actor.handle_batch_now)
            if behaviour.on_start is not _DEFAULT_ON_START:  # no coroutine for an empty hook
                await actor.on_start()
            if _log.enabled_for(_INFO):
                _log.info("actor.started", actor=ref.name, ref_id=ref.id,
                          behaviour=behaviour.__name__)
            # A task that swallowed its cancellation leaves the loop at the next batch boundary.
            while ref._cancel_exit is None:
                batch = ref._inflight = await take()
                if now is not None and batch[-1] is not _STOP and now(batch):
                    batch.clear()
                    continue
                if batch[-1] is _STOP:
                    if ref._cancel_exit is not None:
                        woken = True  # killed while it waited: ended already, by ``_cancel``
                        break
                    batch.pop()
                    if batch:
                        await actor.handle_batch(batch)
                        batch.clear()
                    if behaviour.on_stop is not _DEFAULT_ON_STOP:
                        await actor.on_stop()
                    break
                await actor.handle_batch(batch)
                batch.clear()  # hold no reply (no contribution) while waiting for the next batch
            if ref._cancel_exit is not None:
                exit = ref._cancel_exit
            clean = True
        except asyncio.CancelledError:
            if ref._cancel_exit is None:
                exit = _CANCELLED
                raise  # cancelled by someone else (loop teardown): let it propagate
            exit = ref._cancel_exit
        except Exception as error:
            exit = Exit(_CRASHED, _describe(error), error)
            clean = True
        finally:
            task = ref._task
            if clean and ref._next is None and task is not None and not task.cancelling():
                ref._next = _FREE  # a supervisor told in ``_finish`` may hand this task on
            ref._finish(exit, batch)
        successor, ref._next = ref._next, None
        if successor is None or successor is _FREE:
            return
        if not clean:
            _orphan(successor)  # cancelled after all, from outside: no successor runs here
            return
        if not woken:
            # It ended in its own step: its successor's first step waits for the next loop
            # turn, as a new task's would, so a child that crashes as it starts cannot hold
            # the loop through restart after restart.
            try:
                await _next_turn()
            except asyncio.CancelledError:
                _orphan(successor)
                raise
        successor = _first_alive(successor)
        if successor is None:
            return
        ref, actor = successor, successor._actor
        if task is not None:
            task.set_name(f"alara:{ref.name}#{ref.id}")


@types.coroutine
def _next_turn() -> Generator[None, None, None]:
    """``await asyncio.sleep(0)`` in one frame: a bare yield, which a task takes as "run me
    again at the next loop turn"."""
    yield


def _first_alive(successor: Any) -> Any:
    """The first ref of a task's chain of successors that has not ended (its actor still
    held), unlinking the chain as it goes; ``None`` if every one was killed before the task
    reached it."""
    while successor is not None and successor is not _FREE:
        following, successor._next = successor._next, None
        if successor._exit is None:
            return successor
        successor = following
    return None


def _orphan(successor: Any) -> None:
    """End the actor a task was to carry but will not (it was cancelled from outside first).

    Nothing of it ever ran, and what ended it is not its doing: it ends as killed, an abnormal
    exit, so that a supervisor restarts it (on a task of its own), transient children
    included, as it would have had it been given a task of its own at once.
    """
    orphan = _first_alive(successor)
    if orphan is not None:
        orphan._finish(_ORPHANED, [], False)


def spawn(
    actor: Actor,
    *,
    name: str | None = None,
    shutdown_timeout: float = 5.0,
    mailbox_capacity: int = DEFAULT_CAPACITY,
) -> ActorRef:
    """Start ``actor`` in its own task on the running loop and return its ref.

    Messages may be sent at once; they wait in the mailbox until ``on_start`` has run.
    ``shutdown_timeout`` is the default of ``stop()`` and the time a killed task has to end
    before it is abandoned (supervisors pass their ``ChildSpec.shutdown_timeout``).
    ``mailbox_capacity`` bounds the messages that may wait (``MailboxFullError`` beyond it);
    the default, 100,000, is generous: it stops a runaway producer, not a busy actor.

    Raises:
        TypeError: ``actor`` is not an ``Actor``, ``name`` not a str, or
            ``mailbox_capacity`` not an int.
        ValueError: ``shutdown_timeout`` is not a positive number of seconds, or
            ``mailbox_capacity`` is not in [1, 2**30].
        RuntimeError: no event loop is running.
    """
    if not isinstance(actor, Actor):
        raise TypeError(f"actor must be an Actor instance, got {type(actor).__name__}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {type(name).__name__}")
    if type(shutdown_timeout) is not float or not 0.0 < shutdown_timeout <= 1e9:
        shutdown_timeout = check_positive_float("shutdown_timeout", shutdown_timeout)
    if mailbox_capacity is not DEFAULT_CAPACITY:
        mailbox_capacity = check_int("mailbox_capacity", mailbox_capacity, 1, MAX_CAPACITY)
    return spawn_checked(asyncio.get_running_loop(), actor, name or type(actor).__name__,
                         shutdown_timeout, mailbox_capacity)


def spawn_checked(loop: asyncio.AbstractEventLoop, actor: Actor, name: str,
                  shutdown_timeout: float, mailbox_capacity: int,
                  after: ActorRef | None = None,
                  monitor: Callable[[ActorRef, Exit], None] | None = None) -> ActorRef:
    """``spawn`` on ``loop`` (the running one) with arguments already checked.

    For supervisors, whose child specs were checked when made, and who know their loop:
    ``asyncio.get_running_loop()`` is a system call (``getpid``) on Python 3.11, and a
    restart is counted in microseconds.

    ``after``: the actor this one replaces. If it has just ended cleanly (a crash, a stop, a
    kill while idle: not a cancellation) its task, about to return, runs the new actor
    instead, from the next loop turn: a new ref and mailbox, the same ``asyncio.Task``.
    Making a task and retiring one cost more than the rest of a restart.

    ``monitor``: the new ref's first monitor (``ActorRef.monitor``), set without a call.
    """
    ref = ActorRef(name, loop, actor, shutdown_timeout, mailbox_capacity)
    actor.ref = ref
    if monitor is not None:
        ref._monitors = [monitor]
    plain = loop.get_task_factory() is None
    if plain and after is not None and after._next is _FREE:
        after._next = ref
        ref._inflight = _CARRIED
        ref._task = after._task
        return ref
    task_name = f"alara:{name}#{ref.id}"
    if plain:
        # What ``loop.create_task`` makes when no factory is set, made directly: uvloop's
        # ``create_task`` names the task twice (a default name, then ours), and asyncio's
        # adds a Python frame. A loop with a task factory gets its say.
        ref._task = _Task(_run(ref, actor), loop=loop, name=task_name)
    else:
        ref._task = loop.create_task(_run(ref, actor), name=task_name)
    return ref
