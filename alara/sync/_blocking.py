"""A network for sync code: its own event-loop thread, the whole API as blocking calls.

Sync callers (a Django or Flask view, a script, a thread pool) have no event loop for the
workers to run on, so ``BlockingNetwork`` runs one in a daemon thread (``LoopThread``)
and a ``Network`` on it.

**One hand-off per call.** A call hands its coroutine to that loop with
``asyncio.run_coroutine_threadsafe`` (one ``call_soon_threadsafe``) and blocks on the
returned future until the loop sets it. ``BlockingPortal.call`` would cost two: it waits
for the loop to spawn the task, then again for the task's result.

**Batched like the async path.** Every sync call becomes a task on the one loop, so calls
from many threads meet in the network's collector: the calls that arrive while a round is in
flight are served together by the next round (one message and one read per worker for all
of them; see ``alara.Network``), exactly as concurrent ``await``-ing tasks are.

A sync call from inside a running event loop would stall that loop (and deadlock on the
network's own loop), so it raises ``SyncCallInLoopError`` naming the async call to await.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Coroutine, MutableSequence, Sequence
from types import TracebackType
from typing import Any, TypeVar, Unpack

from alara.actors import Child
from alara.aio import __all__ as _module_level_names
from alara.entropy import (
    DEFAULT_REKEY_BYTES,
    DEFAULT_REKEY_SECONDS,
    EntropySource,
    Network,
    NetworkKeywords,
    NetworkOptions,
    NetworkStatus,
    Rekey,
    ThreadKeyed,
)
from alara.errors import AlaraError, NetworkClosedError
from alara.sync._loop_thread import LoopThread, refuse_in_loop

__all__ = ["BlockingNetwork"]

_T = TypeVar("_T")
_IDLE, _OPEN, _CLOSED, _FORKED = range(4)
_STATES = ("idle", "open", "closed", "forked")
_MODULE_LEVEL = frozenset(_module_level_names)  # calls that ``alara`` offers to await
_orphans: list[tuple[LoopThread | None, Network]] = []
"""A parent's loop threads and networks, in a forked child: kept, never closed nor collected
(collecting them would destroy the parent's pending tasks, with warnings)."""
_handles: weakref.WeakSet[BlockingNetwork] = weakref.WeakSet()


class BlockingNetwork:
    """A ``Network`` running on its own event-loop thread, used from sync code.

    ``BlockingNetwork(workers, options=..., **keywords)`` takes ``Network``'s arguments
    (each setting is described on ``NetworkOptions``); use it as a
    context manager (``with BlockingNetwork(5) as net: net.token_hex()``) or call
    ``start()`` and ``close()``. Every method blocks the calling thread until the network
    answers and may be called from any number of threads at once.

    **fork.** The loop thread does not survive ``fork()``. In a child process a started
    handle whose network it built itself (no ``sources=`` objects, no ``cluster=``) starts
    a new network of its own on its first use there, sharing no state or output with the
    parent's; one serving given source objects (which may carry state copied from the
    parent) or an existing ``Network`` raises ``NetworkClosedError`` at once. Either way
    the parent's network keeps serving the parent.

    **exit.** A network still open at interpreter exit is closed by an ``atexit`` handler
    (registered when the first ``BlockingNetwork`` starts); closing it yourself is better.
    """

    def __init__(self, workers: int | None = None, *, network: Network | None = None,
                 options: NetworkOptions | None = None,
                 **keywords: Unpack[NetworkKeywords]) -> None:
        self._rebuild: Callable[[], Network] | None = None
        if network is None:
            settings = NetworkOptions.build(workers, options, keywords)
            network = Network(options=settings)
            if settings.sources is None and settings.cluster is None:
                self._rebuild = functools.partial(Network, options=settings)
        elif not isinstance(network, Network):
            raise TypeError(f"network must be a Network, got {type(network).__name__}")
        elif workers is not None or options is not None or keywords:
            raise TypeError("give either network= or the settings of a new Network")
        self._network = network
        self._name = "BlockingNetwork"
        self._forked_from = 0  # the pid whose loop thread it served before a fork
        self._lock = threading.Lock()
        self._state = _IDLE
        self._thread: LoopThread | None = None

    @classmethod
    def from_network(cls, network: Network, *, name: str = "BlockingNetwork") -> BlockingNetwork:
        """Serve an existing, not yet started ``network`` from sync code.

        ``name`` is how error messages call this handle (``alara.secrets`` for the default).

        Raises:
            TypeError: ``network`` is not a ``Network``.
        """
        handle = cls(network=network)
        handle._name = name
        return handle

    def __repr__(self) -> str:
        return f"<BlockingNetwork {_STATES[self._state]} {self._network!r}>"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> BlockingNetwork:
        """Start the loop thread and the network on it; returns ``self``.

        Raises:
            NetworkClosedError: the handle was closed.
            AlaraError: it is already started, or the network could not start.
            SyncCallInLoopError: called from a running event loop.
        """
        refuse_in_loop(f"{self._name}.start()", "async with alara.create_network() as net")
        if self._state == _FORKED:  # started before a fork: restart here (or refuse)
            self._reopen_in_child()
            return self
        with self._lock:
            if self._state == _CLOSED:
                raise NetworkClosedError("network is closed; create a new one")
            if self._state == _OPEN:
                raise AlaraError("network is already started")
            self._open()
        return self

    def _open(self) -> None:
        """Start a loop thread and the network on it (the caller holds the lock)."""
        thread = LoopThread()
        try:
            thread.run(self._network.start())
        except BaseException:
            self._state = _CLOSED
            thread.stop()
            raise
        self._thread = thread
        self._state = _OPEN
        _track(self)

    def close(self) -> None:
        """Close the network (calls in flight finish first), then stop its thread. Idempotent.

        Raises:
            SyncCallInLoopError: called from a running event loop.
        """
        refuse_in_loop(f"{self._name}.close()", "await network.close()")
        with self._lock:
            state, self._state = self._state, _CLOSED
            thread, self._thread = self._thread, None
        if state != _OPEN or thread is None or not thread.alive():
            return
        try:
            thread.run(self._network.close())
        finally:
            thread.stop()

    def _forked(self) -> None:
        """In a forked child: let go of the parent's loop and network, never touching them."""
        self._lock = threading.Lock()  # another thread of the parent may have held it
        if self._state == _OPEN and self._thread is not None:
            self._forked_from = self._thread.pid
            _orphans.append((self._thread, self._network))
            self._thread = None
            self._state = _FORKED

    def _reopen_in_child(self) -> None:
        """First use in a forked child: a new network, or a clear error."""
        with self._lock:
            if self._state != _FORKED:
                return
            if self._rebuild is None:
                raise NetworkClosedError(
                    f"{self._name} was started in process {self._forked_from}, which this process "
                    f"was forked from; its event-loop thread does not exist here, and its "
                    f"network (given source objects, or an existing Network) cannot be "
                    f"rebuilt without sharing the parent's state: create it in this process "
                    f"(e.g. in gunicorn's post_fork hook, or on first use)")
            self._network = self._rebuild()
            self._open()

    def __enter__(self) -> BlockingNetwork:
        return self.start() if self._state != _OPEN else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._state == _CLOSED

    @property
    def network(self) -> Network:
        """The async ``Network`` behind this handle; it runs on the handle's own loop only."""
        return self._network

    # -- the secrets vocabulary ------------------------------------------------------------

    def token_bytes(self, nbytes: int | None = None) -> bytes:
        """``nbytes`` random bytes (default 32): ``secrets.token_bytes``."""
        return self._run("token_bytes", lambda network: network.token_bytes(nbytes))

    def token_hex(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as hex: ``secrets.token_hex``."""
        return self._run("token_hex", lambda network: network.token_hex(nbytes))

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as URL-safe base64: ``secrets.token_urlsafe``."""
        return self._run("token_urlsafe", lambda network: network.token_urlsafe(nbytes))

    def randbelow(self, exclusive_upper_bound: int) -> int:
        """A uniform int in ``[0, exclusive_upper_bound)``: ``secrets.randbelow``."""
        return self._run("randbelow", lambda network: network.randbelow(exclusive_upper_bound))

    def randbits(self, k: int) -> int:
        """An int of ``k`` random bits: ``secrets.randbits``."""
        return self._run("randbits", lambda network: network.randbits(k))

    def choice(self, seq: Sequence[_T]) -> _T:
        """A uniformly chosen element of ``seq``: ``secrets.choice``."""
        chosen: _T = self._run("choice", lambda network: network.choice(seq))
        return chosen

    def uuid4(self) -> uuid.UUID:
        """A random (version 4) UUID."""
        return self._run("uuid4", lambda network: network.uuid4())

    def shuffle(self, x: MutableSequence[Any]) -> None:
        """Shuffle ``x`` in place (on the network's thread, while this one waits)."""
        self._run("shuffle", lambda network: network.shuffle(x))

    def sample(self, population: Sequence[_T], k: int) -> list[_T]:
        """``k`` distinct elements of ``population``: ``random.sample``."""
        return self._run("sample", lambda network: network.sample(population, k))

    # -- keyed mode ------------------------------------------------------------------------

    def keyed(self, rekey_bytes: int = DEFAULT_REKEY_BYTES,
              rekey_seconds: float = DEFAULT_REKEY_SECONDS) -> ThreadKeyed:
        """``secrets``' functions in keyed mode, on this network (``Network.keyed``'s twin).

        Each thread serves from its own fast-key-erasure stream, keyed by a full round of
        this network and rekeyed after ``rekey_bytes`` of output or ``rekey_seconds``,
        fetched ahead: no lock, and no hand-off to the network's thread in the usual case.

        Raises:
            TypeError, ValueError: ``rekey_bytes``/``rekey_seconds`` out of range (named).
        """
        return ThreadKeyed(self, Rekey("keyed", rekey_bytes, rekey_seconds))

    def submit_bytes(self, n: int) -> concurrent.futures.Future[bytes]:
        """Start ``random_bytes(n)`` (one full round) without waiting: a key fetched ahead.

        Raises:
            NetworkClosedError: the network is not started or is closed.
            SyncCallInLoopError: called from a running event loop.
        """
        return self._submit("random_bytes", lambda network: network.random_bytes(n))[1]

    def wait_bytes(self, future: concurrent.futures.Future[bytes]) -> bytes:
        """Wait for a round started by ``submit_bytes``; its errors are raised here.

        Bounded like every call: it fails once the network's loop thread is gone.

        Raises:
            AlaraError: as ``random_bytes`` (``NetworkClosedError`` if it closed meanwhile).
        """
        thread = self._thread
        if thread is None:  # closed (or forked) since: only a finished round can answer
            if not future.done():
                future.cancel()
                raise NetworkClosedError("network closed while the call was in flight")
            return future.result()
        return self._wait(thread, future)

    # -- ALARA's vocabulary and the pool ---------------------------------------------------

    def random_bytes(self, n: int) -> bytes:
        """``Network.random_bytes``."""
        return self._run("random_bytes", lambda network: network.random_bytes(n))

    def random_bits(self, n: int) -> list[int]:
        """``Network.random_bits``."""
        return self._run("random_bits", lambda network: network.random_bits(n))

    def random_int(self, bits: int) -> int:
        """``Network.random_int``."""
        return self._run("random_int", lambda network: network.random_int(bits))

    def random_below(self, upper: int) -> int:
        """``Network.random_below``."""
        return self._run("random_below", lambda network: network.random_below(upper))

    def add_worker(self, source: EntropySource | None = None) -> None:
        """Grow the pool by one supervised worker (``Network.add_worker``)."""
        self._run("add_worker", lambda network: network.add_worker(source))

    def which_children(self) -> list[Child]:
        """The supervisor's registry, read on the network's thread."""
        return self._run("which_children", lambda network: _now(network.which_children))

    def quarantined(self) -> list[str]:
        """Ids of the quarantined workers (``Network.quarantined``)."""
        return self._run("quarantined", lambda network: _now(network.quarantined))

    def status(self) -> NetworkStatus:
        """``Network.status()``, read on the network's thread."""
        status: NetworkStatus = self._run("status", lambda network: _now(network.status))
        return status

    # -- the hand-off ----------------------------------------------------------------------

    def _run(self, name: str, make: Callable[[Network], Coroutine[Any, Any, _T]]) -> _T:
        """Hand ``make(network)`` to the network's loop and wait for it: one hand-off."""
        thread, future = self._submit(name, make)
        return self._wait(thread, future)

    def _submit(self, name: str, make: Callable[[Network], Coroutine[Any, Any, _T]],
                ) -> tuple[LoopThread, concurrent.futures.Future[_T]]:
        """Hand ``make(network)`` to the network's loop; the future is its result."""
        instead = f"a Network's {name}()"
        refuse_in_loop(f"{self._name}.{name}()",
                       f"await alara.{name}() or {instead}" if name in _MODULE_LEVEL else instead)
        if self._state == _FORKED:
            self._reopen_in_child()
        thread, network = self._thread, self._network
        if self._state != _OPEN or thread is None:
            raise NetworkClosedError(
                "network is closed" if self._state == _CLOSED else "network is not started"
            )
        coroutine = make(network)
        try:
            return thread, asyncio.run_coroutine_threadsafe(coroutine, thread.loop)
        except RuntimeError:  # the loop closed after the state check
            coroutine.close()
            raise NetworkClosedError("network is closed") from None

    @staticmethod
    def _wait(thread: LoopThread, future: concurrent.futures.Future[_T]) -> _T:
        """The result of a call handed to ``thread``'s loop (bounded by the thread's life)."""
        try:
            return thread.wait(future)
        except concurrent.futures.CancelledError:
            raise NetworkClosedError("network closed while the call was in flight") from None
        except BaseException:
            future.cancel()  # interrupted (KeyboardInterrupt): drop the request too
            raise


async def _now(function: Callable[[], _T]) -> _T:
    """Run a sync ``function`` as a coroutine, so that it runs on the network's thread."""
    return function()


def _track(handle: BlockingNetwork) -> None:
    """Follow a started ``handle`` to a forked child and to interpreter exit; the hooks are
    registered at the first start, not at import."""
    _install_process_hooks()
    _handles.add(handle)


@functools.cache
def _install_process_hooks() -> None:
    os.register_at_fork(after_in_child=_after_fork_in_child)
    atexit.register(_close_at_exit)


def _after_fork_in_child() -> None:
    for handle in list(_handles):
        handle._forked()


def _close_at_exit() -> None:
    """Close the networks still open, while their loop threads still run: left to the
    interpreter's teardown, their pending tasks would be destroyed, with warnings."""
    for handle in list(_handles):
        with contextlib.suppress(AlaraError):
            handle.close()
