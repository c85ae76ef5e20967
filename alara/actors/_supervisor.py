"""Supervision with OTP's strategies: one-for-one, one-for-all, rest-for-one.

A child's exit reaches the supervisor through the child's monitor, and the supervisor alone
decides what happens next (restart, forget, or give up), so the registry that
``which_children()`` reads is only ever written here. A one-for-one restart needs nothing to
wait for, so it happens right there, in the monitor, as the child ends (inside ``kill()`` for
an idle child): the replacement is registered at once and takes its first step at the next
loop turn. Whatever has to wait (stopping siblings before a group restart,
giving up, retrying a factory that failed) goes through the supervisor's own task, in order.

Children are started in order and stopped in reverse order, one at a time: a child is asked
to stop only once every child started after it has ended, as OTP does, so a child may rely on
the ones started before it for as long as it runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TypeVar

from alara.actors._actor import Actor, ActorRef, Exit, spawn_checked
from alara.actors._errors import AlaraError, SupervisorGaveUpError
from alara.actors._log import get_logger
from alara.actors._mailbox import DEFAULT_CAPACITY, MAX_CAPACITY
from alara.actors._validation import check_int, check_positive_float

__all__ = ["Child", "ChildSpec", "Clock", "OneForOneSupervisor", "Restart", "Strategy",
           "Supervisor"]

_log = get_logger("supervisor")
_INFO = logging.INFO
_E = TypeVar("_E", bound=StrEnum)

Clock = Callable[[], float]
"""A monotonic clock in seconds, for restart intensity (default: the running loop's time)."""


class Restart(StrEnum):
    """When a child is restarted (OTP's restart types)."""

    PERMANENT = "permanent"  # always
    TRANSIENT = "transient"  # only after a crash or kill
    TEMPORARY = "temporary"  # never; the child is forgotten when it ends


class Strategy(StrEnum):
    """What else is restarted when a child is (OTP's restart strategies).

    Temporary children are never restarted: one that ends is forgotten and its siblings are
    left alone, and one stopped because a sibling needed a group restart is forgotten too.
    """

    ONE_FOR_ONE = "one_for_one"  # only the child that ended
    ONE_FOR_ALL = "one_for_all"  # every child: the others are stopped, then all restarted
    REST_FOR_ONE = "rest_for_one"  # the child and every child started after it


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """How to start a child and what to do when it ends.

    ``factory`` builds a fresh behaviour for every (re)start: a restarted child shares no
    state with the one that died. ``shutdown_timeout`` is how long the child has to stop
    gracefully (and, once cancelled, to end before it is abandoned); ``mailbox_capacity``
    bounds its mailbox (see ``spawn``).

    Raises:
        TypeError: a field has the wrong type.
        ValueError: ``id`` is empty, ``restart`` names no restart type, or a number is out
            of range.
    """

    id: str
    factory: Callable[[], Actor]
    restart: Restart = Restart.PERMANENT
    shutdown_timeout: float = 5.0
    mailbox_capacity: int = DEFAULT_CAPACITY

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise TypeError(f"id must be a non-empty str, got {type(self.id).__name__}")
        if not self.id:
            raise ValueError("id must be a non-empty str, got ''")
        if not callable(self.factory):
            raise TypeError("factory must be a callable returning an Actor")
        if type(self.restart) is not Restart:
            object.__setattr__(self, "restart", _member(Restart, "restart", self.restart))
        if type(self.shutdown_timeout) is not float:
            object.__setattr__(self, "shutdown_timeout",
                               check_positive_float("shutdown_timeout", self.shutdown_timeout))
        else:
            check_positive_float("shutdown_timeout", self.shutdown_timeout)
        if self.mailbox_capacity is not DEFAULT_CAPACITY:
            object.__setattr__(self, "mailbox_capacity", check_int(
                "mailbox_capacity", self.mailbox_capacity, 1, MAX_CAPACITY))


def _member(enum: type[_E], name: str, value: object) -> _E:
    """``value`` as a member of ``enum``; its plain value ("transient") is as clear."""
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a {enum.__name__} member, got {type(value).__name__}")
    if value not in enum.__members__.values():
        choices = ", ".join(member.value for member in enum)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return enum(value)


@dataclass(frozen=True, slots=True)
class Child:
    """One row of the live registry, as ``which_children()`` reads it at call time."""

    id: str
    ref: ActorRef
    restart: Restart
    restarts: int

    @property
    def alive(self) -> bool:
        """Whether the child's current actor is running (false briefly while it restarts)."""
        return self.ref.is_alive()


class _Entry:
    __slots__ = ("ref", "restarts", "spec")

    def __init__(self, spec: ChildSpec, ref: ActorRef) -> None:
        self.spec = spec
        self.ref = ref
        self.restarts = 0


class _Termination:
    """Stops children one at a time, last started first, each once the previous has ended.

    Driven by the children's exits (``advance`` is called from the supervisor's monitor), so
    a long shutdown costs no task wake-up per child and no timer of its own: each child's
    deadline is its ``stop()``'s, on the loop's shared coarse deadlines.
    """

    __slots__ = ("current", "done", "pending")

    def __init__(self, entries: list[_Entry]) -> None:
        self.pending = [(entry.ref, entry.spec.shutdown_timeout) for entry in entries]
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.current: ActorRef | None = None

    def advance(self) -> None:
        """Ask the next child still running to stop; complete ``done`` after the last."""
        pending = self.pending
        while pending:
            ref, timeout = pending.pop()
            if ref.exit is None:
                self.current = ref
                ref.stop(timeout)  # its end calls ``advance`` again, through the monitor
                return
        self.current = None
        if not self.done.done():
            self.done.set_result(None)


class _Step(Enum):
    """What the supervising task still has to do for a queued exit."""

    DECIDE = "decide"  # everything: restart or forget, then restart per the strategy
    RESTART = "restart"  # decided already: restart (a factory failed at the last try)
    GIVE_UP = "give_up"  # decided and counted already: the intensity is exceeded


class _State(Enum):
    IDLE = "idle"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


# Members read on every restart: an enum member looked up on its class costs a descriptor
# call on Python 3.11 (about 0.2 µs), a module global does not.
_RUNNING = _State.RUNNING
_PERMANENT, _TRANSIENT, _TEMPORARY = Restart.PERMANENT, Restart.TRANSIENT, Restart.TEMPORARY


class Supervisor:
    """Supervises children with an OTP strategy and OTP-style restart intensity.

    More than ``max_restarts`` restarts within ``period`` seconds means something is wrong
    that restarting will not fix: the supervisor stops every child and fails, visibly, with
    ``SupervisorGaveUpError`` from ``wait()`` and from ``error``, plus a
    ``supervisor.gave_up`` log event. A group restart (one-for-all, rest-for-one) counts as
    one restart, as in OTP.

    ``on_child_exit(child_id, exit)``, if given, is asked before every restart: returning
    ``False`` removes the child instead (no restart, nothing counted toward the intensity,
    no sibling touched). It lets an owner retire a child it judges beyond help (a network
    quarantining a broken source) without the framework knowing why.

    ``clock`` is what intensity is measured on (default: the running loop's time); pass
    one you move yourself to test intensity without waiting.

    Raises:
        TypeError, ValueError: an argument is malformed (checked here, before anything runs).
    """

    def __init__(
        self,
        children: Iterable[ChildSpec] = (),
        *,
        strategy: Strategy = Strategy.ONE_FOR_ONE,
        max_restarts: int = 10,
        period: float = 5.0,
        name: str = "supervisor",
        on_child_exit: Callable[[str, Exit], bool] | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        if on_child_exit is not None and not callable(on_child_exit):
            raise TypeError("on_child_exit must be a callable or None")
        if clock is not None and not callable(clock):
            raise TypeError("clock must be a callable returning seconds, or None")
        self.strategy = _member(Strategy, "strategy", strategy)
        self._exit_listener = on_child_exit
        self._clock = clock
        self.name = name
        self.max_restarts = check_int("max_restarts", max_restarts, 0, 1_000_000_000)
        self.period = check_positive_float("period", period)
        self._specs = list(children)
        seen: set[str] = set()
        for spec in self._specs:
            if not isinstance(spec, ChildSpec):
                raise TypeError(f"children must be ChildSpec instances, got {type(spec).__name__}")
            if spec.id in seen:
                raise ValueError(f"children must have distinct ids, {spec.id!r} appears twice")
            seen.add(spec.id)
        self._children: dict[str, _Entry] = {}
        self._one_for_one = self.strategy is Strategy.ONE_FOR_ONE
        self._monitor = self._on_child_exit  # one bound method for every child
        self._events: deque[tuple[ActorRef, Exit, _Step]] = deque()
        self._wake: asyncio.Event | None = None
        self._termination: _Termination | None = None
        self._restart_times: deque[float] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._state = _State.IDLE
        self._error: SupervisorGaveUpError | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop it runs on, from start()
        self._shutdown: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.name} {self.strategy.value} "
                f"{self._state.value} children={len(self._children)}>")

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the children in order, then the supervising task.

        Raises:
            AlaraError: the supervisor was started before.
            Exception: a child's factory raised; the children already started are stopped.
        """
        if self._state is not _State.IDLE:
            raise AlaraError(f"supervisor {self.name!r} was already started")
        self._loop = loop = asyncio.get_running_loop()
        self._state = _State.RUNNING
        self._wake = asyncio.Event()
        try:
            for spec in self._specs:
                self._start_child(spec)
        except BaseException:
            # A child that cannot be built fails the start, and the ones already running
            # must not be left behind without a supervisor.
            self._state = _State.STOPPING
            await self._stop_children()
            self._finish()
            raise
        self._task = loop.create_task(self._supervise(), name=f"alara:{self.name}")

    async def stop(self) -> None:
        """Stop every child, last started first, each within its shutdown timeout.

        A child is asked to stop once the children started after it have ended. The
        shutdown runs in its own task and is shielded: an owner that stops waiting (a
        timeout, a cancellation) does not leave the children half stopped, and a later
        ``stop()`` or ``wait()`` sees the same shutdown to its end. It always ends: a child
        that ignores cancellation is abandoned (see ``ActorRef.kill``).
        """
        if self._state in (_State.IDLE, _State.STOPPED):
            if self._state is _State.IDLE:
                self._finish()
            return
        if self._state is _State.RUNNING:
            self._state = _State.STOPPING
            self._shutdown = asyncio.get_running_loop().create_task(
                self._shut_down(), name=f"alara:{self.name}:shutdown"
            )
        if self._shutdown is not None:
            await asyncio.shield(self._shutdown)
        else:  # giving up, in the supervising task: wait for it to finish
            await self._done.wait()

    async def wait(self) -> None:
        """Wait until the supervisor has stopped.

        Raises:
            SupervisorGaveUpError: it stopped because it gave up.
        """
        await self._done.wait()
        if self._error is not None:
            raise self._error

    @property
    def running(self) -> bool:
        """True from ``start()`` until ``stop()`` or giving up."""
        return self._state is _State.RUNNING

    @property
    def error(self) -> SupervisorGaveUpError | None:
        """Why the supervisor gave up, if it did."""
        return self._error

    # -- registry --------------------------------------------------------------------------

    def which_children(self) -> list[Child]:
        """The children as they are right now, in start order (read live, never cached)."""
        return [
            Child(child_id, entry.ref, entry.spec.restart, entry.restarts)
            for child_id, entry in self._children.items()
        ]

    @property
    def size(self) -> int:
        """How many children the registry holds now, running or restarting."""
        return len(self._children)

    def live_refs(self) -> list[ActorRef]:
        """Refs of the children whose actor is running now: the hot-path view of the registry."""
        return [entry.ref for entry in self._children.values() if entry.ref.is_alive()]

    def child_ref(self, child_id: str) -> ActorRef | None:
        """The current ref of child ``child_id``, or ``None`` if there is no such child."""
        entry = self._children.get(child_id)
        return None if entry is None else entry.ref

    def changed(self) -> asyncio.Future[None]:
        """A future that completes at the next change of the registry or of the supervisor.

        Lets a caller wait for a restart without polling.
        """
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        if self._state in (_State.RUNNING, _State.IDLE):
            self._waiters.append(waiter)
        else:
            waiter.set_result(None)
        return waiter

    async def add_child(self, spec: ChildSpec) -> ActorRef:
        """Start a new child under supervision, last in start order, and return its ref.

        Raises:
            TypeError: ``spec`` is not a ``ChildSpec``.
            ValueError: a child with that id exists.
            AlaraError: the supervisor is not running (``SupervisorGaveUpError`` if it gave
                up).
            Exception: the factory raised; nothing was added.
        """
        if not isinstance(spec, ChildSpec):
            raise TypeError(f"spec must be a ChildSpec, got {type(spec).__name__}")
        self._ensure_running()
        if spec.id in self._children:
            raise ValueError(f"a child with id {spec.id!r} already exists")
        return self._start_child(spec)  # a factory that raises leaves no trace

    async def terminate_child(self, child_id: str) -> Exit:
        """Stop child ``child_id`` gracefully and remove it; it will not be restarted.

        Its siblings are left alone, whatever the strategy. The stop is shielded: once out
        of the registry the child has no supervisor to end it, so a caller that stops
        waiting must not leave it half stopped.

        Raises:
            TypeError: ``child_id`` is not a str.
            ValueError: there is no such child.
            AlaraError: the supervisor is not running.
        """
        if not isinstance(child_id, str):
            raise TypeError(f"child_id must be a str, got {type(child_id).__name__}")
        self._ensure_running()
        entry = self._children.pop(child_id, None)
        if entry is None:
            raise ValueError(f"no child with id {child_id!r}")
        self._notify()
        return await asyncio.shield(entry.ref.stop(entry.spec.shutdown_timeout))

    # -- internals -------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._error is not None:
            raise self._error
        if self._state is not _State.RUNNING:
            raise AlaraError(f"supervisor {self.name!r} is not running")

    def _spawn(self, spec: ChildSpec, after: ActorRef | None) -> ActorRef:
        """A new actor built by ``spec``'s factory, monitored by this supervisor, not yet in
        the registry; ``after``: the one it replaces (see ``spawn_checked``)."""
        actor = spec.factory()
        if not isinstance(actor, Actor):
            raise TypeError(f"factory of child {spec.id!r} must return an Actor, "
                            f"got {type(actor).__name__}")
        loop = self._loop
        assert loop is not None  # children start only once the supervisor has
        return spawn_checked(loop, actor, spec.id, spec.shutdown_timeout, spec.mailbox_capacity,
                             after, self._monitor)

    def _start_child(self, spec: ChildSpec) -> ActorRef:
        """Start a new child, last in start order."""
        ref = self._spawn(spec, None)
        self._children[spec.id] = _Entry(spec, ref)
        self._notify()
        return ref

    def _on_child_exit(self, ref: ActorRef, exit: Exit) -> None:
        # Waiters first: they resume after this callback, so they still see whatever it
        # changes, but ahead of a replacement's first step; a waiter that sends to the new
        # child then finds it on its first look at its mailbox (one loop turn sooner).
        if self._waiters:
            self._notify()
        termination = self._termination
        if termination is not None and ref is termination.current:
            termination.advance()  # stopped on purpose: the next one's turn
        elif self._state is _RUNNING:
            task = self._task
            if task is not None and task.cancelling():
                # The supervisor itself is being cancelled with its children (``asyncio.run``
                # ending, a cancelled owner): a replacement would be a task the closing loop
                # never runs ("Task was destroyed but it is pending").
                return
            if not self._one_for_one or self._events or termination is not None:
                self._queue(ref, exit, _Step.DECIDE)
                return
            # One-for-one with nothing queued: restart or forget right here; hand what must
            # wait (giving up, retrying a factory that failed) to the supervising task.
            entry = self._decide(ref, exit)
            if entry is None:
                return
            if not self._within_intensity():
                self._queue(ref, exit, _Step.GIVE_UP)
                return
            failed = self._start_one(entry, exit)
            if failed is not None:
                self._queue(ref, failed, _Step.RESTART)

    def _queue(self, ref: ActorRef, exit: Exit, step: _Step) -> None:
        self._events.append((ref, exit, step))
        if self._wake is not None:
            self._wake.set()

    def _notify(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _supervise(self) -> None:
        wake = self._wake
        assert wake is not None
        while self._state is _State.RUNNING:
            if not self._events:
                wake.clear()
                await wake.wait()
                continue
            ref, exit, step = self._events.popleft()
            if step is _Step.DECIDE:
                entry = self._decide(ref, exit)
            else:
                entry = self._children.get(ref.name)
                if entry is not None and entry.ref is not ref:
                    entry = None
            if entry is None:
                continue  # forgotten, or removed meanwhile (terminate_child)
            if step is _Step.GIVE_UP:
                await self._give_up(ref.name, exit)
            else:
                await self._restart(entry, exit)

    def _decide(self, ref: ActorRef, exit: Exit) -> _Entry | None:
        """The registry entry of the child that ended if it must be restarted; ``None``
        (and the child forgotten) if not. ``on_child_exit`` is asked only about a child
        its restart type would restart; a listener that raises cannot veto."""
        entry = self._children.get(ref.name)
        if entry is None or entry.ref is not ref:
            return None  # terminated on purpose, or already replaced
        restart = entry.spec.restart
        listener = self._exit_listener
        if restart is _PERMANENT and listener is None:
            return entry
        if restart is _TEMPORARY or (restart is _TRANSIENT and not exit.abnormal):
            keep = False
        elif listener is None:
            keep = True
        else:
            try:
                keep = listener(ref.name, exit) is not False
            except Exception as error:
                _log.error("supervisor.listener_failed", supervisor=self.name, child=ref.name,
                           error=type(error).__name__)
                keep = True
        if keep:
            return entry
        del self._children[ref.name]
        self._notify()
        return None

    def _group(self, trigger: _Entry) -> list[_Entry]:
        """The children a restart of ``trigger`` restarts, in start order."""
        entries = list(self._children.values())
        if self.strategy is Strategy.ONE_FOR_ALL:
            return entries
        if self.strategy is Strategy.REST_FOR_ONE:
            return entries[entries.index(trigger):]
        return [trigger]

    async def _restart(self, trigger: _Entry, exit: Exit) -> None:
        """Restart ``trigger`` and its group per the strategy; retry a failed start as a new
        restart (counted toward the intensity), as OTP's ``try_again`` does."""
        while True:
            if not self._within_intensity():
                await self._give_up(trigger.spec.id, exit)
                return
            group = self._group(trigger)
            siblings = [entry for entry in group if entry is not trigger]
            if siblings:
                await self._terminate(siblings)
                if self._state is not _State.RUNNING:
                    return
                for entry in siblings:
                    if entry.spec.restart is Restart.TEMPORARY:  # never restarted, even so
                        self._children.pop(entry.spec.id, None)
                        group.remove(entry)
                self._notify()
            failed = self._start_group(group, exit)
            if failed is None:
                return
            trigger, exit = failed
            await asyncio.sleep(0)  # a large max_restarts must not starve the loop
            if self._state is not _State.RUNNING:
                return

    def _start_group(self, group: list[_Entry], exit: Exit) -> tuple[_Entry, Exit] | None:
        """Start ``group`` in order; the entry whose factory failed, and why, if one did."""
        for entry in group:
            if entry.ref.exit is None and entry.ref.is_alive():
                continue  # already running (started by a retry that got further)
            failed = self._start_one(entry, exit)
            if failed is not None:
                return entry, failed
        return None

    def _start_one(self, entry: _Entry, exit: Exit) -> Exit | None:
        """Restart ``entry``'s child after ``exit``; if its factory failed, the exit to retry
        with (counted as a crash, as OTP counts a failed start)."""
        try:
            ref = self._spawn(entry.spec, entry.ref)
        except Exception as error:
            return Exit(exit.kind, f"restart failed: {type(error).__name__}", error)
        entry.ref = ref
        entry.restarts += 1
        if self._waiters:
            self._notify()
        if _log.enabled_for(_INFO):
            _log.info("actor.restarted", actor=entry.spec.id, ref_id=ref.id,
                      restarts=entry.restarts, reason=exit.reason)
        return None

    def _within_intensity(self) -> bool:
        clock = self._clock
        if clock is None:
            clock = self._clock = _loop_clock(self._loop)
        now = clock()
        times = self._restart_times
        times.append(now)
        while times and times[0] < now - self.period:
            times.popleft()
        return len(times) <= self.max_restarts

    async def _give_up(self, child_id: str, exit: Exit) -> None:
        self._error = SupervisorGaveUpError(
            f"supervisor {self.name!r} gave up: more than {self.max_restarts} restarts in "
            f"{self.period}s (last: child {child_id!r}, {exit.kind.value}: {exit.reason})"
        )
        _log.error("supervisor.gave_up", supervisor=self.name, child=child_id,
                   max_restarts=self.max_restarts, period=self.period, reason=exit.reason)
        self._state = _State.STOPPING
        self._notify()
        await self._stop_children()
        self._finish()

    async def _shut_down(self) -> None:
        await self._stop_children()
        self._finish()

    async def _stop_children(self) -> None:
        # The supervising task goes first, so that no restart can slip in behind the loop.
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        await self._terminate(list(self._children.values()))

    async def _terminate(self, entries: list[_Entry]) -> None:
        """Stop ``entries`` (given in start order) one at a time, last first."""
        termination = self._termination = _Termination(entries)
        try:
            termination.advance()
            await asyncio.shield(termination.done)
        finally:
            if self._termination is termination:
                self._termination = None

    def _finish(self) -> None:
        self._state = _State.STOPPED
        # Two cycles would keep a stopped supervisor for the garbage collector: its shared
        # monitor (a bound method it holds) and its cancelled task (whose error's traceback
        # holds the task's frame, which holds the supervisor).
        self._monitor = _ignore_exit
        self._task = None
        self._notify()
        self._done.set()


def _ignore_exit(ref: ActorRef, exit: Exit) -> None:
    """A stopped supervisor's monitor: it starts nothing any more, so an exit is no news."""


def _loop_clock(loop: asyncio.AbstractEventLoop | None) -> Clock:
    """``loop.time``; ``time.monotonic`` itself on asyncio's loops, which is what their
    ``time()`` returns, without a Python method call per restart."""
    assert loop is not None  # restarts happen only once the supervisor has started
    if type(loop).time is asyncio.BaseEventLoop.time:
        return time.monotonic
    return loop.time


class OneForOneSupervisor(Supervisor):
    """A ``Supervisor`` with the one-for-one strategy: each child restarted on its own.

    The strategy of the entropy network, whose workers share nothing.
    """

    def __init__(
        self,
        children: Iterable[ChildSpec] = (),
        *,
        max_restarts: int = 10,
        period: float = 5.0,
        name: str = "supervisor",
        on_child_exit: Callable[[str, Exit], bool] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(children, strategy=Strategy.ONE_FOR_ONE, max_restarts=max_restarts,
                         period=period, name=name, on_child_exit=on_child_exit, clock=clock)
