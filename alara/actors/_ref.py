"""``ActorRef``: the handle callers hold, the Erlang pid of this framework.

Callers hold it, the supervisor watches it, and a restarted actor gets a new one. Everything
that can go wrong with an actor ends the same way: the ref turns dead, every caller still
waiting (queued or in flight) gets ``ActorDiedError`` at once, later calls fail fast, and the
monitors (the supervisor) hear the exit reason.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from enum import Enum
from typing import Any, Final

from alara.actors._actor import Actor, Envelope, Exit, ExitKind
from alara.actors._calls import TimedCalls
from alara.actors._errors import ActorDiedError, MailboxFullError
from alara.actors._log import get_logger
from alara.actors._mailbox import Mailbox
from alara.actors._timers import deadlines_of
from alara.actors._validation import check_positive_float

__all__ = ["STOP", "ActorRef"]

_log = get_logger("actors")
_ids = itertools.count(1)

STOP: Final[Any] = object()
"""The mailbox entry of a graceful stop request; always the last entry ever enqueued."""

Monitor = Callable[["ActorRef", Exit], None]


class _State(Enum):
    """Where a ref is in its life; it only ever moves forward."""

    ALIVE = "alive"  # takes messages
    STOPPING = "stopping"  # asked to stop, or killed: refuses new messages
    DEAD = "dead"  # ended, or abandoned: ``exit`` says why


class ActorRef:
    """Handle to a running actor: all a caller needs, and safe to keep after it dies.

    Made by ``spawn``; it holds the actor's mailbox and task.
    """

    __slots__ = (
        "__weakref__",
        "_actor",
        "_calls",
        "_cancel_exit",
        "_exit",
        "_inflight",
        "_loop",
        "_mailbox",
        "_monitors",
        "_started",
        "_state",
        "_task",
        "_waiters",
        "id",
        "name",
        "shutdown_timeout",
    )

    def __init__(self, actor: Actor, name: str, loop: asyncio.AbstractEventLoop,
                 shutdown_timeout: float, mailbox_capacity: int) -> None:
        self.name = name
        self.id = next(_ids)
        self.shutdown_timeout = shutdown_timeout
        self._actor: Actor | None = actor  # until it ends (``_finish``)
        self._loop = loop
        self._mailbox = Mailbox(mailbox_capacity, loop)
        self._state = _State.ALIVE
        self._exit: Exit | None = None
        self._cancel_exit: Exit | None = None  # why it was cancelled or killed, if it was
        self._started = False  # whether the task has taken its first step
        self._inflight: list[Envelope] = []  # the batch in hand
        self._waiters: list[asyncio.Future[Exit]] = []
        self._monitors: list[Monitor] = []
        self._calls: TimedCalls | None = None  # made at the first timed call
        self._task: asyncio.Task[None] | None = None  # set by ``spawn``

    def __repr__(self) -> str:
        return f"<ActorRef {self.name}#{self.id} {self._state.value}>"

    def is_alive(self) -> bool:
        """True until the actor is asked to stop, is killed, or crashes."""
        return self._state is _State.ALIVE

    @property
    def exit(self) -> Exit | None:
        """The exit reason once the actor has ended, else ``None``."""
        return self._exit

    @property
    def mailbox_capacity(self) -> int:
        """How many messages may wait in the mailbox before sending fails fast."""
        return self._mailbox.capacity

    @property
    def queued(self) -> int:
        """How many messages wait in the mailbox now (the batch in hand not included)."""
        return len(self._mailbox)

    def ask(self, message: Any) -> asyncio.Future[Any]:
        """Enqueue a call and return the future of its reply, without waiting.

        The building block of fan-out: ask many actors, then ``asyncio.gather`` the futures.
        Cancelling the future withdraws the request; the actor skips it.

        Raises:
            ActorDiedError: the actor is stopping or dead.
            MailboxFullError: ``mailbox_capacity`` messages are already waiting.
        """
        if self._state is not _State.ALIVE:
            raise ActorDiedError(self.name, self._why_not_running())
        reply: asyncio.Future[Any] = self._loop.create_future()
        if not self._mailbox.put((message, reply)):
            raise MailboxFullError(self.name, self._mailbox.capacity)
        return reply

    def call(self, message: Any, timeout: float | None = 5.0) -> asyncio.Future[Any]:
        """``ask``, with the reply future failed after ``timeout`` seconds without a reply.

        ``await ref.call(msg)`` is the usual spelling. It returns the future rather than being
        a coroutine, so a timed request is an ``ask`` plus an entry in the ref's table of
        timed calls (``alara.actors._calls``): no task and no timer of its own. A deadline that
        passes fails the future with ``CallTimeoutError``, never early and at most about
        ``timeout / 32`` + 2 ms late, and the actor skips the withdrawn request. Cancelling
        the future (or the task awaiting it) withdraws the request too. ``timeout=None`` waits
        as long as the actor lives, exactly like ``ask``.

        Raises:
            ActorDiedError: the actor is not running (raised here, at once).
            MailboxFullError: ``mailbox_capacity`` messages are already waiting (here).
            TypeError, ValueError: ``timeout`` is not a positive number of seconds or
                ``None`` (here; nothing is sent).

        The future itself fails with ``CallTimeoutError`` (no reply within ``timeout``),
        ``ActorDiedError`` (the actor ended before replying), or whatever exception the
        actor chose to reply with.
        """
        if timeout is None:
            return self.ask(message)
        timeout = check_positive_float("timeout", timeout)
        reply = self.ask(message)
        if self._calls is None:
            self._calls = TimedCalls(self.name, self._loop)
        self._calls.add(reply, timeout)
        return reply

    def cast(self, message: Any) -> None:
        """Enqueue ``message`` with no reply.

        Raises:
            ActorDiedError: the actor is stopping or dead.
            MailboxFullError: ``mailbox_capacity`` messages are already waiting.
        """
        if self._state is not _State.ALIVE:
            raise ActorDiedError(self.name, self._why_not_running())
        if not self._mailbox.put((message, None)):
            raise MailboxFullError(self.name, self._mailbox.capacity)

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
        if self._state is _State.ALIVE:
            self._state = _State.STOPPING
            # An idle actor with no ``on_stop`` of its own has nothing left that could hang:
            # it ends at its next step, so it needs no deadline.
            surely_prompt = (self._mailbox.consumer_waiting and self._actor is not None
                             and type(self._actor).on_stop is Actor.on_stop)
            self._mailbox.put(STOP, force=True)
        if self._exit is None and self._cancel_exit is None and not surely_prompt:
            grace = self.shutdown_timeout if timeout is None else timeout
            self._after(grace, ActorRef._stop_overdue, grace)
        return waiter

    def kill(self, reason: str = "killed") -> None:
        """Crash the actor from outside, like Erlang's ``exit(Pid, kill)``.

        Supervisors treat it as a crash. Meant for tests, demos, chaos runs, and for callers
        that judge an actor hung. An idle actor (waiting for mail, no handler running) has
        nothing left that could run, so it ends inside ``kill()``, as an Erlang process hit by
        ``kill`` does: when ``kill()`` returns, its ``exit`` is set, its ``on_exit`` and its
        monitors have run. A busy actor's task is cancelled; an honest one ends at its next
        step, and its end is told then. A task that swallows the ``CancelledError`` (a driver
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
        if self._state is _State.DEAD:
            return
        self._state = _State.STOPPING
        exit = Exit(ExitKind.KILLED, reason)
        if self._mailbox.consumer_waiting and self._cancel_exit is None:
            # Idle, parked in the framework's own ``take``: no code of the actor is running
            # and none can run again, so it ends here; its task unwinds at its next step.
            self._cancel_exit = exit
            self._finish(exit, [])
            assert self._task is not None  # a task that waits has been made
            self._task.cancel()
            return
        self._cancel(exit, self.shutdown_timeout)

    def wait(self) -> asyncio.Future[Exit]:
        """A future of the exit reason: done when the actor has ended (at once if it has).

        Each call gets its own future, so cancelling one wait disturbs no other.
        """
        waiter: asyncio.Future[Exit] = self._loop.create_future()
        if self._exit is not None:
            waiter.set_result(self._exit)
        else:
            self._waiters.append(waiter)
        return waiter

    def monitor(self, callback: Monitor) -> None:
        """Call ``callback(ref, exit)`` once when the actor ends (soon, if it already has).

        Callbacks run in the order they were added, synchronously when the actor ends, before
        anything awaiting ``wait()`` or ``stop()`` resumes.
        """
        if self._exit is not None:
            self._loop.call_soon(callback, self, self._exit)
        else:
            self._monitors.append(callback)

    # -- ending ------------------------------------------------------------------------------

    def _after(self, delay: float, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(self, *args)`` about ``delay`` seconds from now (coarse deadlines)."""
        deadlines_of(self._loop).call_after(self._loop, delay, callback, self, *args)

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
        assert task is not None  # set by ``spawn`` before anyone holds the ref
        if task.done():
            # Ended without a word (cancelled from outside before its first step): say it now.
            self._finish(self._cancel_exit or exit, [], ran=False)
            return
        if self._cancel_exit is not None:
            return
        self._cancel_exit = exit
        task.cancel()
        if not self._started:
            # Cancelled before its first step: its body (and its ``finally``) never runs.
            self._finish(exit, [], ran=False)
        else:
            self._after(grace, ActorRef._abandon, grace)

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
        if ran and actor is not None:
            self._report("on_exit", actor.on_exit, exit)
        self._state = _State.DEAD
        self._exit = exit
        self._fail_callers(exit, pending)
        _log_end(self, exit)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(exit)
        monitors, self._monitors = self._monitors, []
        for callback in monitors:
            # One broken monitor must not keep the others (the supervisor) uninformed.
            self._report("monitor", callback, self, exit)

    def _fail_callers(self, exit: Exit, pending: list[Envelope]) -> None:
        """``ActorDiedError`` for every caller still waiting: in hand, queued, or timed."""
        replies = [reply for entry in (*pending, *self._mailbox.drain())
                   if entry is not STOP and (reply := entry[1]) is not None]
        if self._calls is not None:
            replies.extend(self._calls.close())
        why = None  # worded once, and only if a caller is still waiting
        for reply in replies:
            if not reply.done():  # (a timed call is both in hand or queued, and timed)
                why = why or f"{exit.kind.value}: {exit.reason}"
                # A fresh error each: a raised exception carries its own traceback.
                reply.set_exception(ActorDiedError(self.name, why))

    def _report(self, what: str, hook: Callable[..., object], *args: Any) -> None:
        """Run ``hook(*args)``; an exception goes to the loop's handler, as asyncio reports a
        failing callback, and the actor still ends."""
        try:
            hook(*args)
        except Exception as error:
            self._loop.call_exception_handler({
                "message": f"{what} of actor {self.name!r} raised",
                "exception": error,
            })


def _log_end(ref: ActorRef, exit: Exit) -> None:
    # Asked first: when nobody listens, not even the event's fields are built.
    if exit.abnormal:
        if _log.enabled_for(logging.WARNING):
            _log.warning("actor.crashed", actor=ref.name, ref_id=ref.id,
                         kind=exit.kind.value, reason=exit.reason)
    elif _log.enabled_for(logging.INFO):
        _log.info("actor.stopped", actor=ref.name, ref_id=ref.id, kind=exit.kind.value,
                  reason=exit.reason)
