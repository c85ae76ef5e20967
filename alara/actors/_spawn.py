"""``spawn`` and the actor's task: start, loop, teardown.

Every actor gets a task of its own, and so does every restarted actor (a new actor is a new
ref, mailbox and task, like a new Erlang pid). The task body has three parts: start
(``on_start``, then the ``actor.started`` event); ``_loop``, which hands batch after batch to
the behaviour until a stop request or a kill; ``_teardown``, which records the end on the ref
(failing every waiting caller and telling the monitors), however the actor ended.
"""

from __future__ import annotations

import asyncio
import logging

from alara.actors._actor import Actor, Exit, ExitKind
from alara.actors._log import get_logger
from alara.actors._mailbox import DEFAULT_CAPACITY, MAX_CAPACITY
from alara.actors._ref import STOP, ActorRef
from alara.actors._validation import check_int, check_positive_float

__all__ = ["spawn"]

_log = get_logger("actors")
_STOPPED = Exit(ExitKind.NORMAL, "stopped")
_CANCELLED = Exit(ExitKind.SHUTDOWN, "cancelled")


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
    The task is named ``alara:<name>#<ref id>``, as ``asyncio.all_tasks()`` shows it.

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
    shutdown_timeout = check_positive_float("shutdown_timeout", shutdown_timeout)
    mailbox_capacity = check_int("mailbox_capacity", mailbox_capacity, 1, MAX_CAPACITY)
    return start_actor(actor, name or type(actor).__name__, shutdown_timeout, mailbox_capacity,
                       asyncio.get_running_loop())


def start_actor(actor: Actor, name: str, shutdown_timeout: float, mailbox_capacity: int,
                loop: asyncio.AbstractEventLoop) -> ActorRef:
    """``spawn`` with arguments already checked (a supervisor's child specs were), on
    ``loop``, the running one (a supervisor looks it up once for all its children: on
    Python 3.11 ``asyncio.get_running_loop()`` makes a ``getpid`` system call)."""
    ref = ActorRef(actor, name, loop, shutdown_timeout, mailbox_capacity)
    actor.ref = ref
    ref._task = loop.create_task(_run(ref, actor), name=f"alara:{name}#{ref.id}")
    return ref


async def _run(ref: ActorRef, actor: Actor) -> None:
    """The actor's task: start, loop, teardown."""
    ref._started = True  # from here on, the ``finally`` below tells the end
    exit: Exit | None = _CANCELLED
    try:
        await actor.on_start()
        _announce_start(ref, actor)
        exit = await _loop(ref, actor)
    except asyncio.CancelledError:
        if ref._cancel_exit is None:
            raise  # cancelled by someone else (loop teardown): let it propagate
        exit = ref._cancel_exit
    except Exception as error:
        exit = Exit(ExitKind.CRASHED, _describe(error), error)
    except GeneratorExit:
        # The task is being destroyed unfinished: its loop is gone (a network never closed,
        # at interpreter exit). Nobody is left to tell, and logging may no longer work.
        exit = None
        raise
    finally:
        if exit is not None:
            _teardown(ref, exit)


def _announce_start(ref: ActorRef, actor: Actor) -> None:
    if _log.enabled_for(logging.INFO):  # asked first: nobody listening, no fields built
        _log.info("actor.started", actor=ref.name, ref_id=ref.id,
                  behaviour=type(actor).__name__)


async def _loop(ref: ActorRef, actor: Actor) -> Exit:
    """Hand the behaviour batch after batch until a stop request (the graceful end) or a
    kill; the exit it ends with."""
    overridden = type(actor).handle_batch_now is not Actor.handle_batch_now
    # A task that swallowed its cancellation leaves the loop at the next batch boundary.
    while ref._cancel_exit is None:
        batch = ref._inflight = await ref._mailbox.take()
        stopping = batch[-1] is STOP
        if stopping:
            batch.pop()
        if batch and (stopping or not overridden or not actor.handle_batch_now(batch)):
            await actor.handle_batch(batch)
        batch.clear()  # hold no reply while waiting for the next batch
        if stopping:
            await actor.on_stop()
            return _STOPPED
    return ref._cancel_exit


def _teardown(ref: ActorRef, exit: Exit) -> None:
    """Record the end: fail the batch in hand and every queued caller, tell the monitors."""
    ref._finish(exit, ref._inflight)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
