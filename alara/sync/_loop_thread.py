"""The event-loop thread behind a ``BlockingNetwork``, and "is a loop running here?".

The thread runs an event loop with an anyio ``BlockingPortal`` in its main task, to start
and stop the network and the loop. (``anyio.from_thread.start_blocking_portal`` does the
same, but holds the thread in a generator whose finaliser waits for the loop: in a forked
child, where the thread no longer exists, collecting it would hang.)

**Waiting is bounded by the thread's life.** A caller waits for its result in slices and
checks between them that the loop thread still exists in this process; if it ended, or the
process is a child forked from the one that runs it (even by a plain C ``fork()``, which
skips Python's at-fork hooks), the call fails at once instead of waiting for an answer that
can never come. While the thread lives, the network's own ``timeout`` bounds the call.

**Greenlets.** Under gevent's monkey-patching a "thread" is a greenlet, and every greenlet
of an OS thread sees the asyncio loop that one of them runs as "the running loop". A sync
call is refused only when the loop is running in the *calling* thread or greenlet, which
for the loops started here is told by the ident recorded when the loop started.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import weakref
from typing import TypeVar

import anyio
from anyio.from_thread import BlockingPortal

from alara.errors import NetworkClosedError, SyncCallInLoopError

__all__ = ["LoopThread", "refuse_in_loop"]

_T = TypeVar("_T")
_LIVENESS_CHECK = 0.1
"""Seconds between two checks, while a caller waits, that the loop thread still exists."""

_owners: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = (
    weakref.WeakKeyDictionary()
)
"""The thread (or greenlet) ident running each loop started here."""


def refuse_in_loop(call: str, instead: str) -> None:
    """Raise ``SyncCallInLoopError`` if an event loop is running in this thread.

    Blocking there would stall the loop (and deadlock if it is the loop serving the call).

    Raises:
        SyncCallInLoopError: called from a running event loop; the message says what to
            await instead.
    """
    loop = asyncio._get_running_loop()
    if loop is not None and _owners.get(loop, threading.get_ident()) == threading.get_ident():
        raise SyncCallInLoopError(
            f"{call} blocks its thread, and was called from a running event loop, which it "
            f"would stall; use the async API instead: {instead}"
        )


class LoopThread:
    """A daemon thread running an event loop, and the anyio portal in its main task."""

    def __init__(self) -> None:
        ready: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()
        self.pid = os.getpid()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name="alara-network")
        self._thread.start()
        self.portal = ready.result()

    @staticmethod
    def _run(ready: concurrent.futures.Future[BlockingPortal]) -> None:
        async def serve() -> None:
            _owners[asyncio.get_running_loop()] = threading.get_ident()
            async with BlockingPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve)
        except BaseException as error:  # the loop could not even start: tell the starter
            if not ready.done():
                ready.set_exception(error)
            raise

    def alive(self) -> bool:
        """Whether the loop thread exists in this process (not in a forked child)."""
        return os.getpid() == self.pid and self._thread.is_alive()

    def wait(self, future: concurrent.futures.Future[_T]) -> _T:
        """The result of ``future``, set by the loop; fails once the loop thread is gone.

        Raises:
            NetworkClosedError: the loop thread ended, or this is a forked child.
        """
        while True:
            try:
                return future.result(timeout=_LIVENESS_CHECK)
            except TimeoutError:
                if future.done():  # the call's own error is a TimeoutError
                    raise
            if not self.alive():
                future.cancel()
                raise NetworkClosedError(
                    "the network's event-loop thread is gone (it ended, or this process "
                    "was forked from the one running it)")

    def stop(self) -> None:
        """Stop the portal (tasks it started finish first), end the loop, join the thread."""
        if self.alive():
            self.wait(self.portal.start_task_soon(self.portal.stop))
            self._thread.join()
