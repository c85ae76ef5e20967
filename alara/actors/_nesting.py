"""Nested supervision: a supervisor as the child of another supervisor (OTP escalation).

A ``Supervisor`` that exceeds its restart intensity stops its children and fails; on
its own, that failure only reaches whoever owns it. ``supervisor_spec`` makes the owner a parent
supervisor: the nested supervisor runs inside an actor (``SupervisorActor``), giving up crashes
that actor, and the parent handles the crash like any other. It restarts the whole subtree fresh
and counts the restart toward its own intensity, so if restarting the subtree does not help
either, the parent gives up in turn. Failure climbs the tree until a level copes with it, or it
reaches the owner of the top supervisor as ``SupervisorGaveUpError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from alara.actors._actor import Actor, Exit
from alara.actors._errors import SupervisorGaveUpError
from alara.actors._supervisor import ChildSpec, Clock, Restart, Strategy, Supervisor

__all__ = ["SupervisorActor", "supervisor_spec"]

_stopping: set[asyncio.Task[None]] = set()
"""Shutdowns started by ``on_exit``. The loop keeps only weak references to tasks, and the
actor that started one is gone, so without this a shutdown could be collected half done."""


class _GaveUp:
    """What the watcher casts to its own actor so that the nested give-up becomes a crash."""

    __slots__ = ("error",)

    def __init__(self, error: SupervisorGaveUpError) -> None:
        self.error = error


class SupervisorActor(Actor):
    """An actor whose only job is running one nested ``Supervisor``.

    Each (re)start builds a fresh nested supervisor with fresh children, as OTP restarts a
    supervisor process from its child specs (children added at run time are not carried over).

    - The nested supervisor giving up crashes this actor; the exit is ``crashed`` with the
      ``SupervisorGaveUpError`` as its error and its message as the reason, so a parent sees,
      logs and counts it like any child crash.
    - A graceful stop stops the nested supervisor (its children last-started-first) before
      this actor ends, so a parent's ordered shutdown covers the whole tree.
    - Any other end (crash, kill, cancellation) still stops the nested supervisor: ``on_exit``
      starts its shutdown, so no nested child outlives its supervisor unsupervised.

    Calls: ``WHICH_CHILDREN`` answers the nested registry (``list[Child]``, read live);
    ``SUPERVISOR`` answers the nested ``Supervisor`` itself (for ``add_child``,
    ``changed()``...). Any other message crashes the actor, as in OTP.
    """

    WHICH_CHILDREN = "which_children"
    SUPERVISOR = "supervisor"

    def __init__(
        self,
        children: Iterable[ChildSpec],
        *,
        strategy: Strategy = Strategy.ONE_FOR_ONE,
        max_restarts: int = 10,
        period: float = 5.0,
        name: str = "supervisor",
        clock: Clock | None = None,
    ) -> None:
        self.supervisor = Supervisor(
            children, strategy=strategy, max_restarts=max_restarts, period=period, name=name,
            clock=clock,
        )
        self._watcher: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"SupervisorActor({self.supervisor!r})"

    async def on_start(self) -> None:
        """Start the nested supervisor, then watch it for giving up."""
        await self.supervisor.start()
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch(), name=f"alara:{self.supervisor.name}:watch"
        )

    async def _watch(self) -> None:
        try:
            await self.supervisor.wait()
        except SupervisorGaveUpError as error:
            # A task cannot raise into the actor's task; a message to itself can. If the actor
            # is already stopping, it is ending anyway and there is nothing to escalate.
            ref = self.ref
            if ref is not None and ref.is_alive():
                ref.cast(_GaveUp(error))

    async def handle_call(self, message: Any) -> Any:
        if message == self.WHICH_CHILDREN:
            return self.supervisor.which_children()
        if message == self.SUPERVISOR:
            return self.supervisor
        raise ValueError(f"SupervisorActor does not answer {type(message).__name__} calls")

    async def handle_cast(self, message: Any) -> None:
        if isinstance(message, _GaveUp):
            raise message.error
        raise ValueError(f"SupervisorActor does not take {type(message).__name__} casts")

    async def on_stop(self) -> None:
        """Stop the nested tree before this actor counts as stopped."""
        await self.supervisor.stop()
        if self._watcher is not None:
            await self._watcher  # returns at once: the supervisor it waits on has ended

    def on_exit(self, exit: Exit) -> None:
        """After a crash, kill or cancellation, start the nested supervisor's shutdown."""
        watcher = self._watcher
        if watcher is None or watcher.done():
            # Either on_start did not finish (a failed start() stops what it started), or
            # the watcher has seen the nested supervisor end: nothing is left running.
            return
        watcher.cancel()
        task = asyncio.get_running_loop().create_task(
            self.supervisor.stop(), name=f"alara:{self.supervisor.name}:orphan-stop"
        )
        _stopping.add(task)
        task.add_done_callback(_stopping.discard)


def supervisor_spec(
    id: str,
    children: Iterable[ChildSpec],
    *,
    strategy: Strategy = Strategy.ONE_FOR_ONE,
    max_restarts: int = 10,
    period: float = 5.0,
    restart: Restart = Restart.PERMANENT,
    shutdown_timeout: float | None = None,
    clock: Clock | None = None,
) -> ChildSpec:
    """A ``ChildSpec`` for a nested supervisor of ``children``: how to build a supervision tree.

    The nested supervisor has its own intensity (``max_restarts`` in ``period`` seconds); when
    it gives up, its ``SupervisorActor`` crashes and the parent restarts the subtree (per
    ``restart``) or, past the parent's own intensity, gives up too. Arguments are checked here,
    not at start, so a bad tree fails where it is written rather than as a restart loop.

    ``shutdown_timeout`` defaults to twice the sum of the children's shutdown timeouts plus
    one second: long enough for the nested children to stop one after another, even if each
    has to be cancelled and then abandoned (a child's stop takes at most twice its timeout).
    Pass a larger one if children are added at run time.

    Raises:
        TypeError, ValueError: an argument is malformed (the children, the strategy, the
            intensity, ``restart`` or ``shutdown_timeout``).
    """
    specs: Sequence[ChildSpec] = tuple(children)
    strategy = Supervisor(  # validates the children, the strategy and the intensity now
        specs,
        strategy=strategy,
        max_restarts=max_restarts,
        period=period,
        name=id if isinstance(id, str) else "supervisor",
        clock=clock,
    ).strategy
    if shutdown_timeout is None:
        shutdown_timeout = 2 * sum(spec.shutdown_timeout for spec in specs) + 1.0

    def factory() -> SupervisorActor:
        return SupervisorActor(specs, strategy=strategy, max_restarts=max_restarts,
                               period=period, name=id, clock=clock)

    return ChildSpec(id, factory, restart, shutdown_timeout)
