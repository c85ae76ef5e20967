"""The event-loop thread behind a ``BlockingNetwork``, and "is a loop running here?".

The thread runs an event loop (``asyncio.run``) whose main task waits to be told to stop.
(``anyio.from_thread.start_blocking_portal`` would do the same, but holds the thread in a
generator whose finaliser waits for the loop, which in a forked child, where the thread no
longer exists, hangs; and its calls wait untimed, see ``wait``.)

**Waiting is bounded by the thread's life.** A caller waits for its result in slices and
checks between them that the loop thread still exists in this process; if it ended, or the
process is a child forked from the one that runs it (even by a plain C ``fork()``, which
skips Python's at-fork hooks), the call fails at once instead of waiting for an answer that
can never come. While the thread lives, the network's own ``timeout`` bounds the call.

**gevent.** Under gevent's monkey-patching ``threading.Thread`` makes a greenlet: the loop
would share the OS thread of every greenlet, which would all see it as "the running loop"
(and refuse to block), and only one asyncio loop could run per OS thread. So there the loop
gets a real OS thread (gevent's original ``start_new_thread``); callers wait on it
cooperatively, other greenlets running meanwhile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from alara.errors import NetworkClosedError, SyncCallInLoopError

__all__ = ["LoopThread", "refuse_in_loop"]

_T = TypeVar("_T")
_LIVENESS_CHECK = 0.1
"""Seconds between two checks, while a caller waits, that the loop thread still exists."""
_JOIN_TIMEOUT = 10.0
"""The most ``stop()`` waits for the thread to end once its loop was told to stop: a daemon
thread still held then (by a stuck executor thread of a source) is left to end by itself."""



def refuse_in_loop(call: str, instead: str) -> None:
    """Raise ``SyncCallInLoopError`` if an event loop is running in this thread.

    Blocking there would stall the loop (and deadlock if it is the loop serving the call).

    Raises:
        SyncCallInLoopError: called from a running event loop; the message says what to
            await instead.
    """
    if asyncio._get_running_loop() is not None:
        raise SyncCallInLoopError(
            f"{call} blocks its thread, and was called from a running event loop, which it "
            f"would stall; use the async API instead: {instead}"
        )


class LoopThread:
    """A daemon thread running an event loop until ``stop()``."""

    def __init__(self) -> None:
        ready: concurrent.futures.Future[asyncio.AbstractEventLoop] = concurrent.futures.Future()
        self.pid = os.getpid()
        self._ended = False
        self._stopped: asyncio.Future[None] | None = None
        native = _gevent_native_start()
        if native is None:
            thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                      name="alara-network")
            thread.start()
            self._join: Callable[[], None] = functools.partial(thread.join, _JOIN_TIMEOUT)
        else:
            native(self._run, (ready,))
            self._join = _nothing  # its end is not awaited: it ends by itself
        self.loop = self.wait(ready)

    def _run(self, ready: concurrent.futures.Future[asyncio.AbstractEventLoop]) -> None:
        async def serve() -> None:
            loop = asyncio.get_running_loop()
            self._stopped = loop.create_future()
            ready.set_result(loop)
            await self._stopped

        try:
            asyncio.run(serve())
        except BaseException as error:  # the loop could not even start: tell the starter
            if not ready.done():
                ready.set_exception(error)
            raise
        finally:
            self._ended = True

    def alive(self) -> bool:
        """Whether the loop thread exists in this process (not in a forked child)."""
        return os.getpid() == self.pid and not self._ended

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` on the loop and wait for its result (see ``wait``)."""
        return self.wait(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def wait(self, future: concurrent.futures.Future[_T]) -> _T:
        """The result of ``future``, set by the loop; fails once the loop thread is gone.

        Waits in slices: never untimed, which gevent's hub would take for a wait that
        nothing can end.

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
        """End the loop (after what it runs now), then join the thread."""
        stopped = self._stopped
        if self.alive() and stopped is not None:
            self.loop.call_soon_threadsafe(_set_done, stopped)
            self._join()


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _gevent_native_start() -> Callable[[Callable[..., None], tuple[Any, ...]], object] | None:
    """gevent's original ``start_new_thread`` if gevent monkey-patched ``threading``."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return None
    # This thread's hub first: a thread's first hub imports gevent's loop modules, and two
    # threads making their first hubs at once can deadlock on the (patched) import locks.
    sys.modules["gevent"].get_hub()
    start: Callable[[Callable[..., None], tuple[Any, ...]], object]
    start = monkey.get_original("_thread", "start_new_thread")
    return start


def _nothing() -> None:
    pass
