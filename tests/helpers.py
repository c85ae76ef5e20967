"""Waiting helpers shared by every test: wait for a condition or a restart, never sleep to hope.

Each helper waits on something that announces the change (``Supervisor.changed()``) or, for
states nothing announces, only yields to the loop; every one is bounded by ``BOUND`` (or the
caller's own ``asyncio.timeout``), so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from alara.actors import ActorRef

__all__ = ["BOUND", "Supervised", "changed_until", "removed", "replaced", "until"]

BOUND = 5.0
"""Upper bound on any wait in the tests: reaching it means a hang, i.e. a bug."""


class Supervised(Protocol):
    """What the registry helpers need: a supervisor, or anything that wraps one."""

    @property
    def running(self) -> bool: ...

    def changed(self) -> asyncio.Future[None]: ...

    def child_ref(self, child_id: str) -> ActorRef | None: ...


async def until(condition: Callable[[], bool], timeout: float = BOUND) -> None:
    """Yield to the loop until ``condition()`` holds, at most ``timeout`` seconds.

    For states no event announces (an actor turning "stopping" inside a shutdown task, a
    caller parked somewhere); it only lets other tasks run, it never sleeps a guessed time.
    """
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 -- no event exists for it; bounded above
            await asyncio.sleep(0)


async def changed_until(
    supervisor: Supervised, condition: Callable[[], bool], timeout: float = BOUND
) -> None:
    """Wait, without polling, until ``condition()`` holds after some registry change.

    ``changed()`` is taken before each check, so a change between the two is not missed.
    """
    async with asyncio.timeout(timeout):
        while True:
            change = supervisor.changed()
            if condition():
                change.cancel()
                return
            await change


async def replaced(supervisor: Supervised, child_id: str, old: ActorRef,
                   timeout: float = BOUND) -> ActorRef:
    """Wait for child ``child_id`` to have a running ref other than ``old``: its restart."""
    async with asyncio.timeout(timeout):
        while True:
            change = supervisor.changed()
            ref = supervisor.child_ref(child_id)
            if ref is not None and ref is not old and ref.is_alive():
                change.cancel()
                return ref
            assert supervisor.running, "supervisor stopped while waiting for a restart"
            await change


async def removed(supervisor: Supervised, child_id: str, timeout: float = BOUND) -> None:
    """Wait for child ``child_id`` to leave the registry."""
    async with asyncio.timeout(timeout):
        while True:
            change = supervisor.changed()
            if supervisor.child_ref(child_id) is None:
                change.cancel()
                return
            assert supervisor.running, "supervisor stopped while waiting for a removal"
            await change
