"""A network for sync code: its own event-loop thread, the whole API as blocking calls.

Sync callers (a Django or Flask view, a script, a thread pool) have no event loop for the
workers to run on, so ``BlockingNetwork`` runs one in a daemon thread, with an anyio
``BlockingPortal`` in its main task to start and stop the network and the loop, and a
``Network`` on it. (``anyio.from_thread.start_blocking_portal`` does the same, but holds the
thread in a generator whose finaliser waits for the loop: in a forked child, where the
thread no longer exists, collecting it would hang.)

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
import concurrent.futures
import threading
import uuid
from collections.abc import Callable, Coroutine, MutableSequence, Sequence
from types import TracebackType
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

from alara.actors import Child
from alara.aio import __all__ as _module_level_names
from alara.entropy import EntropySource, Network, NetworkStatus
from alara.errors import AlaraError, NetworkClosedError, SyncCallInLoopError

__all__ = ["BlockingNetwork", "refuse_in_loop"]

_T = TypeVar("_T")
_IDLE, _OPEN, _CLOSED = range(3)
_MODULE_LEVEL = frozenset(_module_level_names)  # calls that ``alara`` offers to await


def refuse_in_loop(call: str, instead: str) -> None:
    """Raise ``SyncCallInLoopError`` if this thread is running an event loop.

    Raises:
        SyncCallInLoopError: called from a running event loop; the message says what to
            await instead.
    """
    if asyncio._get_running_loop() is not None:
        raise SyncCallInLoopError(
            f"{call} blocks its thread, and was called from a running event loop, which it "
            f"would stall; use the async API instead: {instead}"
        )


class BlockingNetwork:
    """A ``Network`` running on its own event-loop thread, used from sync code.

    ``BlockingNetwork(workers, **options)`` takes ``Network``'s arguments; use it as a
    context manager (``with BlockingNetwork(5) as net: net.token_hex()``) or call
    ``start()`` and ``close()``. Every method blocks the calling thread until the network
    answers and may be called from any number of threads at once.
    """

    def __init__(self, workers: int | None = None, **options: Any) -> None:
        self._setup(Network(workers, **options), "BlockingNetwork")

    def _setup(self, network: Network, name: str) -> None:
        self._network = network
        self._name = name
        self._lock = threading.Lock()
        self._state = _IDLE
        self._thread: _LoopThread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_network(cls, network: Network, *, name: str = "BlockingNetwork") -> BlockingNetwork:
        """Serve an existing, not yet started ``network`` from sync code.

        ``name`` is how error messages call this handle (``alara.secrets`` for the default).

        Raises:
            TypeError: ``network`` is not a ``Network``.
        """
        if not isinstance(network, Network):
            raise TypeError(f"network must be a Network, got {type(network).__name__}")
        handle = cls.__new__(cls)
        handle._setup(network, name)
        return handle

    def __repr__(self) -> str:
        return f"<BlockingNetwork {('idle', 'open', 'closed')[self._state]} {self._network!r}>"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> BlockingNetwork:
        """Start the loop thread and the network on it; returns ``self``.

        Raises:
            NetworkClosedError: the handle was closed.
            AlaraError: it is already started, or the network could not start.
            SyncCallInLoopError: called from a running event loop.
        """
        refuse_in_loop(f"{self._name}.start()", "async with alara.create_network() as net")
        with self._lock:
            if self._state == _CLOSED:
                raise NetworkClosedError("network is closed; create a new one")
            if self._state == _OPEN:
                raise AlaraError("network is already started")
            thread = _LoopThread()
            try:
                self._loop = thread.portal.call(_start, self._network)
            except BaseException:
                self._state = _CLOSED
                thread.stop()
                raise
            self._thread = thread
            self._state = _OPEN
        return self

    def close(self) -> None:
        """Close the network (calls in flight finish first), then stop its thread. Idempotent.

        Raises:
            SyncCallInLoopError: called from a running event loop.
        """
        refuse_in_loop(f"{self._name}.close()", "await network.close()")
        with self._lock:
            state, self._state = self._state, _CLOSED
            thread, self._thread = self._thread, None
        if state != _OPEN or thread is None:
            return
        try:
            thread.portal.call(self._network.close)
        finally:
            thread.stop()

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
        return self._call("token_bytes", self._network.token_bytes, nbytes)

    def token_hex(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as hex: ``secrets.token_hex``."""
        return self._call("token_hex", self._network.token_hex, nbytes)

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as URL-safe base64: ``secrets.token_urlsafe``."""
        return self._call("token_urlsafe", self._network.token_urlsafe, nbytes)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        """A uniform int in ``[0, exclusive_upper_bound)``: ``secrets.randbelow``."""
        return self._call("randbelow", self._network.randbelow, exclusive_upper_bound)

    def randbits(self, k: int) -> int:
        """An int of ``k`` random bits: ``secrets.randbits``."""
        return self._call("randbits", self._network.randbits, k)

    def choice(self, seq: Sequence[_T]) -> _T:
        """A uniformly chosen element of ``seq``: ``secrets.choice``."""
        chosen: _T = self._call("choice", self._network.choice, seq)
        return chosen

    def uuid4(self) -> uuid.UUID:
        """A random (version 4) UUID."""
        return self._call("uuid4", self._network.uuid4)

    def shuffle(self, x: MutableSequence[Any]) -> None:
        """Shuffle ``x`` in place (on the network's thread, while this one waits)."""
        self._call("shuffle", self._network.shuffle, x)

    def sample(self, population: Sequence[_T], k: int) -> list[_T]:
        """``k`` distinct elements of ``population``: ``random.sample``."""
        return self._call("sample", self._network.sample, population, k)

    # -- ALARA's vocabulary and the pool ---------------------------------------------------

    def random_bytes(self, n: int) -> bytes:
        """``Network.random_bytes``."""
        return self._call("random_bytes", self._network.random_bytes, n)

    def random_bits(self, n: int) -> list[int]:
        """``Network.random_bits``."""
        return self._call("random_bits", self._network.random_bits, n)

    def random_int(self, bits: int) -> int:
        """``Network.random_int``."""
        return self._call("random_int", self._network.random_int, bits)

    def random_below(self, upper: int) -> int:
        """``Network.random_below``."""
        return self._call("random_below", self._network.random_below, upper)

    def add_worker(self, source: EntropySource | None = None) -> None:
        """Grow the pool by one supervised worker (``Network.add_worker``)."""
        self._call("add_worker", self._network.add_worker, source)

    def which_children(self) -> list[Child]:
        """The supervisor's registry, read on the network's thread."""
        return self._call("which_children", _now, self._network.which_children)

    def quarantined(self) -> list[str]:
        """Ids of the quarantined workers (``Network.quarantined``)."""
        return self._call("quarantined", _now, self._network.quarantined)

    def status(self) -> NetworkStatus:
        """``Network.status()``, read on the network's thread."""
        status: NetworkStatus = self._call("status", _now, self._network.status)
        return status

    # -- the hand-off ----------------------------------------------------------------------

    def _call(self, name: str, method: Callable[..., Coroutine[Any, Any, _T]], *args: Any) -> _T:
        """Run ``method(*args)`` on the network's loop and wait for it: one hand-off."""
        instead = f"a Network's {name}()"
        refuse_in_loop(f"{self._name}.{name}()",
                       f"await alara.{name}() or {instead}" if name in _MODULE_LEVEL else instead)
        loop = self._loop
        if self._state != _OPEN or loop is None:
            raise NetworkClosedError(
                "network is closed" if self._state == _CLOSED else "network is not started"
            )
        coroutine = method(*args)
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError:  # the loop closed after the state check
            coroutine.close()
            raise NetworkClosedError("network is closed") from None
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise NetworkClosedError("network closed while the call was in flight") from None
        except BaseException:
            future.cancel()  # interrupted (KeyboardInterrupt): drop the request too
            raise


class _LoopThread:
    """A daemon thread running an event loop, and the anyio portal in its main task."""

    def __init__(self) -> None:
        ready: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name="alara-network")
        self._thread.start()
        self.portal = ready.result()

    @staticmethod
    def _run(ready: concurrent.futures.Future[BlockingPortal]) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve)
        except BaseException as error:  # the loop could not even start: tell the starter
            if not ready.done():
                ready.set_exception(error)
            raise

    def stop(self) -> None:
        """Stop the portal (tasks it started finish first), end the loop, join the thread."""
        self.portal.call(self.portal.stop)
        self._thread.join()


async def _start(network: Network) -> asyncio.AbstractEventLoop:
    await network.start()
    return asyncio.get_running_loop()


async def _now(function: Callable[[], _T]) -> _T:
    """Run a sync ``function`` as a coroutine, so that it runs on the network's thread."""
    return function()
