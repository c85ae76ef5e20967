"""One-for-one supervision: restart the child that ended, leave its siblings alone.

The supervisor is its own task with its own event queue. A child's exit reaches it through the
child's monitor, and the supervisor alone decides what happens next (restart, forget, or give
up), so the registry that ``which_children()`` reads is only ever written in one place.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from alara.actors.actor import Actor, ActorRef, Exit, spawn
from alara.actors.errors import AlaraError, SupervisorGaveUpError
from alara.actors.log import get_logger
from alara.actors.validation import check_int, check_positive_float

__all__ = ["Child", "ChildSpec", "OneForOneSupervisor", "Restart"]

_log = get_logger("supervisor")


def _now() -> float:
    """The clock restart intensity is measured on: the running loop's monotonic time.

    A module-level function so that tests can substitute a clock they move themselves,
    instead of sleeping to let restarts fall out of the window.
    """
    return asyncio.get_running_loop().time()


class Restart(StrEnum):
    """When a child is restarted (OTP's restart types)."""

    PERMANENT = "permanent"  # always
    TRANSIENT = "transient"  # only after a crash or kill
    TEMPORARY = "temporary"  # never; the child is forgotten when it ends


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """How to start a child and what to do when it ends.

    ``factory`` builds a fresh behaviour for every (re)start: a restarted child shares no
    state with the one that died.
    """

    id: str
    factory: Callable[[], Actor]
    restart: Restart = Restart.PERMANENT
    shutdown_timeout: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise TypeError(f"id must be a non-empty str, got {type(self.id).__name__}")
        if not self.id:
            raise ValueError("id must be a non-empty str, got ''")
        if not callable(self.factory):
            raise TypeError("factory must be a callable returning an Actor")
        if not isinstance(self.restart, Restart):
            # A plain "transient" is as clear as Restart.TRANSIENT; accept the names too.
            if not isinstance(self.restart, str):
                raise TypeError(
                    f"restart must be a Restart member, got {type(self.restart).__name__}"
                )
            if self.restart not in Restart.__members__.values():
                choices = ", ".join(member.value for member in Restart)
                raise ValueError(f"restart must be one of {choices}, got {self.restart!r}")
            object.__setattr__(self, "restart", Restart(self.restart))
        check_positive_float("shutdown_timeout", self.shutdown_timeout)


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


_IDLE, _RUNNING, _STOPPING, _STOPPED = range(4)


class OneForOneSupervisor:
    """Supervises children one-for-one with OTP-style restart intensity.

    More than ``max_restarts`` restarts within ``period`` seconds means something is wrong
    that restarting will not fix: the supervisor stops every child and fails, visibly, with
    ``SupervisorGaveUpError`` from ``wait()`` and from ``error``, plus a
    ``supervisor.gave_up`` log event.

    ``on_child_exit(child_id, exit)``, if given, is asked before every restart, in the
    supervising task: returning ``False`` removes the child instead (no restart, nothing
    counted toward the intensity). It lets an owner retire a child it judges beyond help (a
    network quarantining a broken source) without the framework knowing why.
    """

    def __init__(
        self,
        children: Iterable[ChildSpec] = (),
        *,
        max_restarts: int = 10,
        period: float = 5.0,
        name: str = "supervisor",
        on_child_exit: Callable[[str, Exit], bool] | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        if on_child_exit is not None and not callable(on_child_exit):
            raise TypeError("on_child_exit must be a callable or None")
        self._exit_listener = on_child_exit
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
        self._events: asyncio.Queue[tuple[ActorRef, Exit]] = asyncio.Queue()
        self._restart_times: deque[float] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._state = _IDLE
        self._error: SupervisorGaveUpError | None = None
        self._task: asyncio.Task[None] | None = None
        self._shutdown: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    def __repr__(self) -> str:
        state = ("idle", "running", "stopping", "stopped")[self._state]
        return f"<OneForOneSupervisor {self.name} {state} children={len(self._children)}>"

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the children in order, then the supervising task."""
        if self._state != _IDLE:
            raise AlaraError(f"supervisor {self.name!r} was already started")
        self._state = _RUNNING
        try:
            for spec in self._specs:
                self._start_child(spec)
        except BaseException:
            # A child that cannot be built fails the start, and the ones already running
            # must not be left behind without a supervisor.
            self._state = _STOPPING
            await self._stop_children()
            self._finish()
            raise
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"alara:{self.name}"
        )

    async def stop(self) -> None:
        """Stop every child gracefully, last started first, each within its shutdown timeout.

        The shutdown runs in its own task and is shielded: an owner that stops waiting
        (a timeout, a cancellation) does not leave the children half stopped, and a later
        ``stop()`` or ``wait()`` sees the same shutdown to its end.
        """
        if self._state in (_IDLE, _STOPPED):
            if self._state == _IDLE:
                self._finish()
            return
        if self._state == _RUNNING:
            self._state = _STOPPING
            self._shutdown = asyncio.get_running_loop().create_task(
                self._shut_down(), name=f"alara:{self.name}:shutdown"
            )
        if self._shutdown is not None:
            await asyncio.shield(self._shutdown)
        else:  # giving up, in the supervising task: wait for it to finish
            await self._done.wait()

    async def wait(self) -> None:
        """Wait until the supervisor has stopped; raises ``SupervisorGaveUpError`` if it gave up."""
        await self._done.wait()
        if self._error is not None:
            raise self._error

    @property
    def running(self) -> bool:
        """True from ``start()`` until ``stop()`` or giving up."""
        return self._state == _RUNNING

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
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._state in (_RUNNING, _IDLE):
            self._waiters.append(waiter)
        else:
            waiter.set_result(None)
        return waiter

    async def add_child(self, spec: ChildSpec) -> ActorRef:
        """Start a new child under supervision and return its ref."""
        if not isinstance(spec, ChildSpec):
            raise TypeError(f"spec must be a ChildSpec, got {type(spec).__name__}")
        self._ensure_running()
        if spec.id in self._children:
            raise ValueError(f"a child with id {spec.id!r} already exists")
        ref = self._start_child(spec)  # first: a factory that raises leaves no trace
        self._specs.append(spec)
        return ref

    async def terminate_child(self, child_id: str) -> Exit:
        """Stop child ``child_id`` gracefully and remove it; it will not be restarted.

        The stop is shielded: once out of the registry the child has no supervisor to end
        it, so a caller that stops waiting must not leave it half stopped.
        """
        if not isinstance(child_id, str):
            raise TypeError(f"child_id must be a str, got {type(child_id).__name__}")
        self._ensure_running()
        entry = self._children.pop(child_id, None)
        if entry is None:
            raise ValueError(f"no child with id {child_id!r}")
        self._specs.remove(entry.spec)
        self._notify()
        return await asyncio.shield(entry.ref.stop(entry.spec.shutdown_timeout))

    # -- internals -------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._error is not None:
            raise self._error
        if self._state != _RUNNING:
            raise AlaraError(f"supervisor {self.name!r} is not running")

    def _start_child(self, spec: ChildSpec) -> ActorRef:
        ref = spawn(spec.factory(), name=spec.id, shutdown_timeout=spec.shutdown_timeout)
        ref.monitor(self._on_child_exit)
        entry = self._children.get(spec.id)
        if entry is None:
            self._children[spec.id] = _Entry(spec, ref)
        else:
            entry.ref = ref
        self._notify()
        return ref

    def _on_child_exit(self, ref: ActorRef, exit: Exit) -> None:
        if self._state == _RUNNING:
            self._events.put_nowait((ref, exit))
        self._notify()

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _supervise(self) -> None:
        while self._state == _RUNNING:
            ref, exit = await self._events.get()
            entry = self._children.get(ref.name)
            if entry is None or entry.ref is not ref or self._state != _RUNNING:
                continue  # terminated on purpose, or already replaced
            restart = entry.spec.restart
            if (
                restart is Restart.TEMPORARY
                or (restart is Restart.TRANSIENT and not exit.abnormal)
                or not self._owner_keeps(ref.name, exit)
            ):
                del self._children[ref.name]
                self._specs.remove(entry.spec)
                self._notify()
                continue
            await self._restart(entry, exit)

    def _owner_keeps(self, child_id: str, exit: Exit) -> bool:
        """Ask ``on_child_exit`` whether to restart; a listener that raises cannot veto."""
        if self._exit_listener is None:
            return True
        try:
            return self._exit_listener(child_id, exit) is not False
        except Exception as error:
            _log.error("supervisor.listener_failed", supervisor=self.name, child=child_id,
                       error=type(error).__name__)
            return True

    async def _restart(self, entry: _Entry, exit: Exit) -> None:
        while True:
            if not self._within_intensity():
                await self._give_up(entry.spec.id, exit)
                return
            entry.restarts += 1
            try:
                ref = self._start_child(entry.spec)
            except Exception as error:  # the factory itself failed: counts as another crash
                exit = Exit(exit.kind, f"restart failed: {type(error).__name__}", error)
                await asyncio.sleep(0)  # a large max_restarts must not starve the loop
                if self._state != _RUNNING:
                    return
                continue
            _log.info("actor.restarted", actor=entry.spec.id, ref_id=ref.id,
                      restarts=entry.restarts, reason=exit.reason)
            return

    def _within_intensity(self) -> bool:
        now = _now()
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
        self._state = _STOPPING
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
        for entry in reversed(list(self._children.values())):
            await entry.ref.stop(entry.spec.shutdown_timeout)

    def _finish(self) -> None:
        self._state = _STOPPED
        self._notify()
        self._done.set()
