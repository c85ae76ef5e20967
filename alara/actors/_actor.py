"""An actor's behaviour and how it ended: ``Actor``, ``Exit``, ``ExitKind``, ``Envelope``.

The ref (``alara.actors._ref``) is what callers hold; the task that runs a behaviour is in
``alara.actors._spawn``. This module is only what a user subclasses or reads.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from alara.actors._ref import ActorRef

__all__ = ["Actor", "Envelope", "Exit", "ExitKind"]

Envelope = tuple[Any, "asyncio.Future[Any] | None"]
"""A mailbox entry: the message and the future for its reply (``None`` for a cast)."""


class ExitKind(StrEnum):
    """Why an actor ended, in OTP's terms."""

    NORMAL = "normal"  # asked to stop, and did
    SHUTDOWN = "shutdown"  # stopped by cancellation (shutdown timeout, loop teardown)
    CRASHED = "crashed"  # a handler raised
    KILLED = "killed"  # ActorRef.kill(): a crash imposed from outside


class Exit(NamedTuple):
    """The exit reason an actor's monitors receive (immutable)."""

    kind: ExitKind
    reason: str
    error: BaseException | None = None

    @property
    def abnormal(self) -> bool:
        """True for crashes and kills: what ``transient`` children are restarted for."""
        return self.kind in (ExitKind.CRASHED, ExitKind.KILLED)


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
