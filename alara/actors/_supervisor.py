"""Supervision with OTP's strategies: one-for-one, one-for-all, rest-for-one.

A ``Supervisor`` is an actor, as an OTP supervisor is a gen_server. Its children's exits reach
it as messages (each child's monitor casts one to it), and it handles them one at a time in
its own task: restart, forget, or give up. The registry that ``which_children()`` reads is
written only there. A supervision tree is nothing more than a child spec whose factory makes a
supervisor (``supervisor_spec``), and escalation is an ordinary exit: a supervisor that gives
up stops its children and crashes with ``SupervisorGaveUpError``, and its parent treats that
like any crashed child.

Children are started in order and stopped in reverse order, one at a time: a child is asked
to stop only once every child started after it has ended, as OTP does, so a child may rely on
the ones started before it for as long as it runs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, NamedTuple, NoReturn

from alara.actors._actor import Actor, Exit
from alara.actors._errors import ActorDiedError, AlaraError, SupervisorGaveUpError
from alara.actors._intensity import Clock, RestartIntensity
from alara.actors._log import get_logger
from alara.actors._mailbox import MAX_CAPACITY
from alara.actors._ref import ActorRef
from alara.actors._spawn import spawn, start_actor
from alara.actors._specs import Child, ChildSpec, Restart, Strategy, distinct, member

__all__ = ["OneForOneSupervisor", "Supervisor", "supervisor_spec"]

_log = get_logger("supervisor")

# The supervisor's own messages: a child's exit (cast by its monitor), the owner's requests.
class _ChildExit(NamedTuple):
    ref: ActorRef
    exit: Exit


class _AddChild(NamedTuple):
    spec: ChildSpec
class _TerminateChild(NamedTuple):
    child_id: str


@dataclass(slots=True)
class _Entry:
    spec: ChildSpec
    ref: ActorRef  # the current one
    restarts: int = 0


class Supervisor(Actor):
    """Supervises children with an OTP strategy and OTP-style restart intensity.

    More than ``max_restarts`` restarts within ``period`` seconds means something is wrong
    that restarting will not fix: the supervisor stops every child and fails, visibly, with
    ``SupervisorGaveUpError`` from ``wait()`` and from ``error``, plus a
    ``supervisor.gave_up`` log event; as an actor it crashes with that error, which is how a
    parent supervisor hears it. A group restart (one-for-all, rest-for-one) counts as one
    restart, as in OTP.

    ``on_child_exit(child_id, exit)``, if given, is asked before every restart: returning
    ``False`` removes the child instead (no restart, nothing counted toward the intensity,
    no sibling touched). It lets an owner retire a child it judges beyond help (a network
    quarantining a broken source) without the framework knowing why.

    ``clock`` is what intensity is measured on (default: the running loop's time); pass
    one you move yourself to test intensity without waiting.

    Use it on its own with ``start()``/``stop()``, or as a child of another supervisor
    (``supervisor_spec``). Calls: ``WHICH_CHILDREN`` answers ``which_children()``,
    ``SUPERVISOR`` the supervisor itself (to reach a nested one through its ref).

    Raises:
        TypeError, ValueError: an argument is malformed (checked here, before anything runs).
    """

    WHICH_CHILDREN: Final = "which_children"
    SUPERVISOR: Final = "supervisor"
    _only_strategy: ClassVar[Strategy | None] = None
    """A subclass that is one strategy by definition names it here (it must be the default,
    ONE_FOR_ONE, so that a call without ``strategy`` is valid); any other is then refused."""

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
        self.strategy = member(Strategy, "strategy", strategy)
        only = self._only_strategy
        if only is not None and self.strategy is not only:
            raise TypeError(f"{type(self).__name__} is {only.value} only, "
                            f"got strategy={self.strategy.value!r}")
        self.name = name
        self._intensity = RestartIntensity(max_restarts, period, clock)
        self.max_restarts, self.period = self._intensity.max_restarts, self._intensity.period
        self._specs = distinct(children)
        self._exit_listener = on_child_exit
        self._children: dict[str, _Entry] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._error: SupervisorGaveUpError | None = None
        self._children_started = False
        self._loop: asyncio.AbstractEventLoop | None = None  # the children's, once started
        self._ended = False
        self._done = asyncio.Event()

    def __repr__(self) -> str:
        state = ("running" if self.running else "stopped" if self._ended
                 else "idle" if self.ref is None else "stopping")
        return (f"<{type(self).__name__} {self.name} {self.strategy.value} {state} "
                f"children={len(self._children)}>")

    # -- the owner's side ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start the children in order, then the supervisor's own task; return once they are.

        The children start here, in the caller's task (as OTP's ``start_link`` returns once
        ``init`` has started them): a failing factory is the caller's error, and what the caller
        sends next is in the children's mailboxes at their first step. (Under a parent, a
        supervisor starts its children in ``on_start``.)

        Raises:
            AlaraError: the supervisor was started before.
            Exception: a child's factory raised; the children already started are stopped.
        """
        if self.ref is not None or self._ended:
            raise AlaraError(f"supervisor {self.name!r} was already started")
        try:
            await self._start_children()
        except BaseException:
            self._end()
            raise
        spawn(self, name=self.name, mailbox_capacity=MAX_CAPACITY)

    async def stop(self) -> None:
        """Stop every child, last started first, each within its shutdown timeout.

        A child is asked to stop once the children started after it have ended. An owner that
        stops waiting leaves no child half stopped: the shutdown goes on, and a later ``stop()``
        or ``wait()`` sees it end. It always ends (a child that ignores cancellation is
        abandoned, see ``ActorRef.kill``).
        """
        if self.ref is None:
            self._end()  # never started: nothing runs
            return
        children = self._children.values()
        await self.ref.stop(2 * sum(entry.spec.shutdown_timeout for entry in children) + 1.0)

    async def wait(self) -> None:
        """Wait until the supervisor has stopped.

        Raises:
            SupervisorGaveUpError: it stopped because it gave up.
        """
        if self.ref is None:
            await self._done.wait()  # until stopped before it was started, or started and ended
        else:
            await self.ref.wait()
        if self._error is not None:
            raise self._error

    @property
    def running(self) -> bool:
        """True from ``start()`` until ``stop()`` or giving up."""
        return (self.ref is not None and self.ref.is_alive() and self._error is None
                and not self._ended)

    @property
    def error(self) -> SupervisorGaveUpError | None:
        """Why the supervisor gave up, if it did."""
        return self._error

    def which_children(self) -> list[Child]:
        """The children as they are right now, in start order (read live, never cached)."""
        return [Child(child_id, entry.ref, entry.spec.restart, entry.restarts)
                for child_id, entry in self._children.items()]

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

        Lets a caller wait for a restart without polling; done at once if stopping or stopped.
        """
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.running or (self.ref is None and not self._ended):
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
        ref: ActorRef = await self._request(_AddChild(spec))
        return ref

    async def terminate_child(self, child_id: str) -> Exit:
        """Stop child ``child_id`` gracefully and remove it; it will not be restarted.

        Its siblings are left alone, whatever the strategy. Once taken by the supervisor, the
        stop goes on whoever waits: a caller that stops waiting leaves no child half stopped.

        Raises:
            TypeError: ``child_id`` is not a str.
            ValueError: there is no such child.
            AlaraError: the supervisor is not running.
        """
        if not isinstance(child_id, str):
            raise TypeError(f"child_id must be a str, got {type(child_id).__name__}")
        stopping: asyncio.Future[Exit] = await self._request(_TerminateChild(child_id))
        return await stopping

    async def _request(self, message: Any) -> Any:
        """Ask the supervisor's own task; an error it answers with is raised here."""
        self._ensure_running()
        assert self.ref is not None
        try:
            answer = await self.ref.ask(message)
        except ActorDiedError:
            self._ensure_running()
            raise
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _ensure_running(self) -> None:
        if self._error is not None:
            raise self._error
        if not self.running:
            raise AlaraError(f"supervisor {self.name!r} is not running")

    # -- the actor's side ---------------------------------------------------------------------

    async def on_start(self) -> None:
        """Start the children in order (unless ``start()`` did); if one cannot be built, stop
        the others and crash."""
        if not self._children_started:
            await self._start_children()

    async def _start_children(self) -> None:
        self._children_started = True
        self._loop = asyncio.get_running_loop()
        try:
            for spec in self._specs:
                self._start_child(spec)
        except BaseException:
            await self._terminate(list(self._children.values()))
            raise

    async def handle_call(self, message: Any) -> Any:
        """Registry requests, answered in order with the children's exits."""
        if message == self.WHICH_CHILDREN:
            return self.which_children()
        if message == self.SUPERVISOR:
            return self
        if isinstance(message, _AddChild):
            return self._add(message.spec)
        if isinstance(message, _TerminateChild):
            return self._remove(message.child_id)
        raise ValueError(f"{type(self).__name__} does not answer {type(message).__name__} calls")

    async def handle_cast(self, message: Any) -> None:
        """A child's exit: restart, forget, or give up."""
        if not isinstance(message, _ChildExit):
            raise ValueError(f"{type(self).__name__} does not take {type(message).__name__} casts")
        if self.running:  # nothing is restarted once a shutdown has begun
            entry = self._decide(*message)
            if entry is not None:
                await self._restart(entry, message.exit)

    async def on_stop(self) -> None:
        """Stop the children, last started first."""
        await self._terminate(list(self._children.values()))

    def on_exit(self, exit: Exit) -> None:
        """However the supervisor ended, no child outlives it. After a crash, a kill or a
        cancellation, the children still running are asked to stop, last started first, all
        at once (there is no task left to wait for each); each stop is bounded by the child's
        shutdown timeout. A stop or a give-up stopped them in order already."""
        self._ended = True  # their exits are no news any more
        for entry in reversed(self._children.values()):
            entry.ref.stop(entry.spec.shutdown_timeout)
        self._end()

    def _end(self) -> None:
        self._ended = True
        self._notify()
        self._done.set()

    def _child_exited(self, ref: ActorRef, exit: Exit) -> None:
        """Every child's monitor: the exit becomes a message to this supervisor."""
        me = self.ref
        if me is not None and me.is_alive() and not self._ended:
            me.cast(_ChildExit(ref, exit))

    def _add(self, spec: ChildSpec) -> ActorRef | Exception:
        if spec.id in self._children:
            return ValueError(f"a child with id {spec.id!r} already exists")
        try:
            return self._start_child(spec)
        except Exception as error:  # a factory that raises leaves no trace
            return error

    def _remove(self, child_id: str) -> asyncio.Future[Exit] | Exception:
        entry = self._children.pop(child_id, None)
        if entry is None:
            return ValueError(f"no child with id {child_id!r}")
        self._notify()
        return entry.ref.stop(entry.spec.shutdown_timeout)

    def _spawn(self, spec: ChildSpec) -> ActorRef:
        """A new actor built by ``spec``'s factory, monitored by this supervisor."""
        actor = spec.factory()
        if not isinstance(actor, Actor):
            raise TypeError(f"factory of child {spec.id!r} must return an Actor, "
                            f"got {type(actor).__name__}")
        assert self._loop is not None  # children start once ``_start_children`` has run
        ref = start_actor(actor, spec.id, spec.shutdown_timeout, spec.mailbox_capacity,
                          self._loop)
        ref.monitor(self._child_exited)
        return ref

    def _start_child(self, spec: ChildSpec) -> ActorRef:
        """Start a new child, last in start order."""
        ref = self._spawn(spec)
        self._children[spec.id] = _Entry(spec, ref)
        self._notify()
        return ref

    def _notify(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _decide(self, ref: ActorRef, exit: Exit) -> _Entry | None:
        """The registry entry of the child that ended if it must be restarted; ``None``
        (and the child forgotten) if not. ``on_child_exit`` is asked only about a child
        its restart type would restart; a listener that raises cannot veto."""
        entry = self._children.get(ref.name)
        if entry is None or entry.ref is not ref:
            return None  # terminated on purpose, or already replaced
        restart = entry.spec.restart
        keep = restart is Restart.PERMANENT or (restart is Restart.TRANSIENT and exit.abnormal)
        if keep and self._exit_listener is not None:
            try:
                keep = self._exit_listener(ref.name, exit) is not False
            except Exception as error:
                _log.error("supervisor.listener_failed", supervisor=self.name, child=ref.name,
                           error=type(error).__name__)
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
            if not self._intensity.admit():
                await self._give_up(trigger.spec.id, exit)
            group = self._group(trigger)
            siblings = [entry for entry in group if entry is not trigger]
            if siblings:
                await self._terminate(siblings)
                if not self.running:
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

    def _start_group(self, group: list[_Entry], exit: Exit) -> tuple[_Entry, Exit] | None:
        """Start ``group`` in order; the entry whose factory failed, and why, if one did."""
        for entry in group:
            if entry.ref.is_alive():
                continue  # already running (started by a retry that got further)
            failed = self._start_one(entry, exit)
            if failed is not None:
                return entry, failed
        return None

    def _start_one(self, entry: _Entry, exit: Exit) -> Exit | None:
        """Restart ``entry``'s child after ``exit``; if its factory failed, the exit to retry
        with (counted as a crash, as OTP counts a failed start)."""
        try:
            ref = self._spawn(entry.spec)
        except Exception as error:
            return Exit(exit.kind, f"restart failed: {type(error).__name__}", error)
        entry.ref = ref
        entry.restarts += 1
        self._notify()
        if _log.enabled_for(logging.INFO):
            _log.info("actor.restarted", actor=entry.spec.id, ref_id=ref.id,
                      restarts=entry.restarts, reason=exit.reason)
        return None

    async def _give_up(self, child_id: str, exit: Exit) -> NoReturn:
        """Stop every child, then crash with ``SupervisorGaveUpError`` (OTP's escalation)."""
        self._error = SupervisorGaveUpError(
            f"supervisor {self.name!r} gave up: more than {self.max_restarts} restarts in "
            f"{self.period}s (last: child {child_id!r}, {exit.kind.value}: {exit.reason})"
        )
        _log.error("supervisor.gave_up", supervisor=self.name, child=child_id,
                   max_restarts=self.max_restarts, period=self.period, reason=exit.reason)
        self._notify()
        await self._terminate(list(self._children.values()))
        raise self._error

    async def _terminate(self, entries: list[_Entry]) -> None:
        """Stop ``entries`` (given in start order) one at a time, last first."""
        for entry in reversed(entries):
            await entry.ref.stop(entry.spec.shutdown_timeout)


class OneForOneSupervisor(Supervisor):
    """A ``Supervisor`` with the one-for-one strategy: each child restarted on its own.

    The strategy of the entropy network, whose workers share nothing. It takes
    ``Supervisor``'s arguments; ``strategy`` is fixed (``TypeError`` for any other).
    """

    _only_strategy = Strategy.ONE_FOR_ONE


def supervisor_spec(id: str, children: Iterable[ChildSpec], *, restart: Restart = Restart.PERMANENT,
                    shutdown_timeout: float | None = None, **options: Any) -> ChildSpec:
    """A ``ChildSpec`` whose factory makes a fresh ``Supervisor`` of ``children``: a subtree.

    ``options`` are the ``Supervisor`` keywords (strategy, intensity, clock), checked here, so
    a bad tree fails where it is written. ``shutdown_timeout`` defaults to twice the sum of the
    children's plus one second: time for each to stop, or be cancelled and then abandoned.
    """
    specs = tuple(children)
    factory = functools.partial(Supervisor, specs, name=id, **options)
    if isinstance(id, str):  # (``ChildSpec`` says what is wrong with an id)
        factory()  # checks the children and the options now
    if shutdown_timeout is None:
        shutdown_timeout = 2 * sum(spec.shutdown_timeout for spec in specs) + 1.0
    return ChildSpec(id, factory, restart, shutdown_timeout)
