"""The façade: a supervised pool of entropy workers behind a small async API.

``create_network()`` returns a ``Network`` that is both awaitable (``net = await
create_network(5)``) and an async context manager (``async with create_network() as net``).
Every request takes one fresh contribution from every worker (the pool's collector) and mixes
them (``mix``); the façade itself holds no entropy between requests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Generator
from enum import Enum
from types import TracebackType
from typing import Any, Unpack

import anyio.lowlevel

from alara.actors import ActorRef, Child, OneForOneSupervisor, check_int, get_logger
from alara.entropy._cluster import ClusterNode, LocalCluster
from alara.entropy._conversions import (
    BITS_SLICE,
    INT_SLICE,
    bits_inline,
    bits_sliced,
    int_inline,
    int_sliced,
)
from alara.entropy._keyed import DEFAULT_REKEY_BYTES, DEFAULT_REKEY_SECONDS
from alara.entropy._keyed_async import KeyedNetwork
from alara.entropy._limits import MAX_BITS, MAX_BYTES, MAX_INT_BITS
from alara.entropy._mixing import mix
from alara.entropy._observe import MetricsSnapshot
from alara.entropy._offload import INLINE_MIX, mix_sliced
from alara.entropy._options import NetworkKeywords, NetworkOptions
from alara.entropy._pool import Pool
from alara.entropy._sources import EntropySource, check_source
from alara.entropy._status import NetworkStatus, pool_status
from alara.entropy._vocabulary import SecretsVocabulary
from alara.errors import AlaraError, NetworkClosedError, WrongLoopError

__all__ = ["Network", "create_network"]

_log = get_logger("network")


class _State(Enum):
    IDLE = "idle"
    OPEN = "open"
    CLOSED = "closed"


_OPEN = _State.OPEN  # read on every request: a module global is the cheapest lookup
_CLOSED = _State.CLOSED  # read by every keyed request (``closed``)
_thread = threading.get_ident


class Network(SecretsVocabulary):
    """A supervised pool of entropy workers and the façade that mixes their output.

    ``Network(workers, options=NetworkOptions(...))``, or the same settings as keywords
    (``Network(5, timeout=2.0)``); keywords next to ``options`` override its values. Every
    setting, its default and its range are described on ``NetworkOptions``.

    A network belongs to the event loop it was started on; using it from another loop, or
    after that loop has closed, raises ``WrongLoopError``.

    Raises:
        TypeError: an argument has the wrong type (``health=HealthPolicy``, the class, too).
        ValueError: an argument is out of its range (each message names it and the range).
    """

    def __init__(self, workers: int | None = None, *, options: NetworkOptions | None = None,
                 **keywords: Unpack[NetworkKeywords]) -> None:
        self._options = NetworkOptions.build(workers, options, keywords)
        cluster = self._options.cluster
        self._pool = Pool(self._options, LocalCluster() if cluster is None else cluster)
        self._supervisor = self._pool.supervisor
        self._collector = self._pool.collector
        self._observer = self._pool.observer
        self._close_timeout = self._options.close_timeout
        # Whether every request's contributions (at most one per configured worker) are small
        # enough to mix in one go on the loop: decided here, not counted on every request.
        self._inline_inputs = self._fits_inline()
        self._state = _State.IDLE
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0  # the thread and ``is_running`` of ``_loop``, for ``_ensure_open``
        self._loop_running: Callable[[], bool] = bool
        self._clock: Callable[[], float] = time.monotonic  # the loop's clock, once started
        self._closing: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        size = len(self._pool.sources) if self._state is _State.IDLE else self._supervisor.size
        return f"<Network {self._state_name()} workers={size}>"

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Network:
        """Start the supervisor and its workers, on the running loop; returns ``self``.

        Raises:
            NetworkClosedError: the network was closed.
            AlaraError: the network was already started.
        """
        if self._state is _State.CLOSED:
            raise NetworkClosedError("network is closed; create a new one")
        if self._state is _State.OPEN:
            raise AlaraError("network is already started")
        self._state = _State.OPEN
        self._loop = asyncio.get_running_loop()
        self._thread = _thread()
        self._loop_running = self._loop.is_running
        self._clock = self._loop.time
        # Loads anyio's asyncio backend now (a one-off import of tens of milliseconds) rather
        # than inside the first request that needs a worker thread.
        await anyio.lowlevel.checkpoint()
        await self._pool.start(self._loop)
        try:
            await self._pool.join_cluster()
        except BaseException:
            await self.close()
            raise
        _log.info("network.started", workers=self._supervisor.size,
                  max_restarts=self._supervisor.max_restarts, period=self._supervisor.period)
        return self

    def __await__(self) -> Generator[Any, None, Network]:
        return self.start().__await__()

    async def __aenter__(self) -> Network:
        if self._state is not _State.OPEN:  # an open network (``await``-ed first) is entered
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop every worker gracefully (requests in flight finish first). Idempotent.

        The shutdown runs in a task of its own: a ``close()`` that is cancelled or times out
        does not stop it, and every later ``close()`` waits for that same shutdown. Waits at
        most ``close_timeout`` seconds; workers still running then (a source that ignores
        cancellation) are abandoned and a ``network.close_timed_out`` event is logged. After
        the network's own loop has closed, there is nothing left to stop: it is marked closed.

        Raises:
            WrongLoopError: called from another event loop while the network's loop still runs.
        """
        if self._state is _State.IDLE:
            self._state = _State.CLOSED
            return
        if self._closing is None and self._state is _State.CLOSED:
            return
        loop = self._loop
        if loop is not None and loop.is_closed():
            self._state = _State.CLOSED
            return
        self._check_loop()
        self._state = _State.CLOSED
        if self._closing is None:
            self._observer.stop()
            self._closing = asyncio.get_running_loop().create_task(
                self._shut_down(), name="alara:network:close"
            )
        closing = self._closing
        if closing.done():
            return
        try:
            async with asyncio.timeout(self._close_timeout):
                await asyncio.shield(closing)
        except TimeoutError:
            _log.error("network.close_timed_out", close_timeout=self._close_timeout,
                       workers=self._supervisor.size)

    async def _shut_down(self) -> None:
        await self._collector.drain()  # the requests already made finish first
        self._collector.close()
        await self._pool.stop()
        _log.info("network.stopped", gave_up=self._supervisor.error is not None)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._state is _CLOSED

    @property
    def supervisor(self) -> OneForOneSupervisor:
        """The supervisor of the pool (for ``wait()``, ``error`` and ``changed()``)."""
        return self._supervisor

    @property
    def options(self) -> NetworkOptions:
        """The settings this network was made with."""
        return self._options

    # -- the pool --------------------------------------------------------------------------

    def get_nodes(self) -> list[ActorRef]:
        """Refs of the workers running right now, read live from the supervisor."""
        return self._pool.supervisor.live_refs()

    def which_children(self) -> list[Child]:
        """The supervisor's live registry: one row per worker, running or restarting."""
        return self._pool.supervisor.which_children()

    def quarantined(self) -> list[str]:
        """Ids of the workers retired for source failures, in the order they were retired."""
        return self._pool.quarantine.quarantined()

    def get_cluster_nodes(self) -> list[ClusterNode]:
        """The cluster's machines (ALARA's ``get_cluster_nodes()``), read live; ``[]`` without one.

        Each row has ``node_id``, ``address``, ``state`` (``"up"``/``"down"``), ``since`` and
        ``worker`` (the pool child id of that machine's remote worker).
        """
        return self._pool.cluster.nodes()

    def metrics(self) -> MetricsSnapshot:
        """The network's counters since it was made (requests by outcome, their durations,
        bytes served, contributions, health-test failures, restarts, quarantines) and the
        event loop's recent lateness; read by ``alara.prometheus`` at every scrape.

        Call it on the network's loop thread (``alara.entropy.read_network`` hops there).
        """
        return self._observer.snapshot(self._pool.kinds())

    def status(self) -> NetworkStatus:
        """A snapshot of the pool for operators and health checks (``to_dict()`` for JSON).

        ``running``/``restarting`` are read live from the supervisor's registry;
        ``quarantined`` maps each retired worker to its failure count, last reason and next
        retry; ``sources`` maps each worker to its source kind; ``serving``/``reason`` say
        whether a request made now could be served, and why not.
        """
        return pool_status(self._pool, self._state_name())

    async def add_worker(self, source: EntropySource | None = None) -> ActorRef:
        """Grow the pool by one supervised worker (with ``source``, default the OS CSPRNG).

        The worker gets the next unused id (``worker-N``) and is counted as configured at
        once, so under the default fail-closed policy every request needs its contribution
        from now on; with ``min_sources`` set, the required count does not change. It does
        not bring back a quarantined worker: ``readmit`` or ``replace_worker`` do that.

        Raises:
            TypeError: ``source`` has no ``read(n)`` method.
            ValueError: the pool would exceed ``MAX_WORKERS``.
            NetworkClosedError: the network is not started or is closed.
            WrongLoopError: called from another event loop than the network's.
        """
        if source is not None:
            check_source("source", source)
        self._ensure_open()
        ref = await self._pool.add_worker(source)
        self._inline_inputs = self._fits_inline()
        return ref

    async def readmit(self, worker_id: str) -> None:
        """Retry quarantined ``worker_id`` now: 1,024 fresh bytes of its source must pass the
        start-up health tests; it then serves again before this returns.

        Raises:
            TypeError, ValueError: ``worker_id`` is no local worker, or is not quarantined.
            SourceError: the tests failed; it stays quarantined, its next retry scheduled.
            NetworkClosedError, WrongLoopError: as ``add_worker``.
        """
        self._ensure_open()
        await self._pool.readmit(worker_id)

    async def replace_worker(self, worker_id: str, source: EntropySource) -> ActorRef:
        """Give ``worker_id`` (running or quarantined) a new ``source``: a new worker with the
        same id, serving before this returns; its quarantine and retries are forgotten.

        Raises:
            TypeError, ValueError: ``worker_id`` is no local worker, ``source`` has no ``read``.
            NetworkClosedError, WrongLoopError: as ``add_worker``.
        """
        self._ensure_open()
        ref = await self._pool.replace_worker(worker_id, source)
        self._inline_inputs = self._fits_inline()
        return ref

    async def remove_worker(self, worker_id: str) -> None:
        """Take ``worker_id`` (running or quarantined) out of the pool for good.

        The configured count drops by one, and with it the required count when
        ``min_sources`` is not set, so a pool that failed closed for a missing worker
        serves again at once. The id is not reused.

        Raises:
            TypeError, ValueError: ``worker_id`` is no local worker, is the last one, or
                ``min_sources`` could not be met any more.
            NetworkClosedError, WrongLoopError: as ``add_worker``.
        """
        self._ensure_open()
        await self._pool.remove_worker(worker_id)

    # -- entropy ---------------------------------------------------------------------------

    def keyed(self, rekey_bytes: int = DEFAULT_REKEY_BYTES,
              rekey_seconds: float = DEFAULT_REKEY_SECONDS) -> KeyedNetwork:
        """This network's secrets vocabulary in keyed mode (what the drop-ins use).

        The view serves from a fast-key-erasure generator whose every key is one full round
        of this network; a key serves at most ``rekey_bytes`` of output for at most
        ``rekey_seconds``, and the next is fetched ahead. Faster than a round per request,
        with prediction resistance at rekey granularity (``docs/security.md``). The view
        belongs to this network's event loop.

        Raises:
            TypeError, ValueError: ``rekey_bytes`` (32..2**40) or ``rekey_seconds``
                (0..86400] out of range.
        """
        return KeyedNetwork(self, rekey_bytes, rekey_seconds)

    async def random_bytes(self, n: int) -> bytes:
        """``n`` bytes (0..``MAX_BYTES``), mixed from a fresh contribution of every worker.

        Raises:
            TypeError: ``n`` is not an integer (``bool`` and ``float`` included).
            ValueError: ``n`` is outside ``[0, MAX_BYTES]``.
            NetworkClosedError: the network is not started or is closed.
            WrongLoopError: called from another event loop than the network's.
            PoolDegradedError: a configured worker is gone and the policy fails closed.
            WorkerDiedError: too few contributions arrived within ``timeout``.
            TooManyRequestsError: ``max_waiting`` requests are already waiting.
            SupervisorGaveUpError: the supervisor gave up (restart intensity exceeded).
        """
        if type(n) is not int or not 0 < n <= MAX_BYTES:  # any other argument: checked
            n = check_int("n", n, 0, MAX_BYTES)
            if n == 0:  # no request: nothing to collect, nothing counted
                self._ensure_open()
                return b""
        started = self._clock()
        try:
            if self._state is not _OPEN or _thread() != self._thread or not self._loop_running():
                self._ensure_open()
            contributions = await self._collector.collect(started)
            if n <= INLINE_MIX and self._inline_inputs:
                data = mix(contributions, n)
            else:
                data = await mix_sliced(contributions, n)
        except Exception as error:
            self._observer.failed(error, self._clock() - started)
            raise
        self._observer.served_bytes += n  # its duration: timed by the collector, per round
        return data

    async def random_bits(self, n: int) -> list[int]:
        """``n`` random bits (0..``MAX_BITS``) as a list of 0/1 ints, like ALARA.

        Raises:
            TypeError, ValueError: ``n`` is not an integer in ``[0, MAX_BITS]``.
            AlaraError: as ``random_bytes`` (closed network, wrong loop, degraded pool, ...).
        """
        n = check_int("n", n, 0, MAX_BITS)
        self._ensure_open()
        if n == 0:
            return []
        data = await self.random_bytes((n + 7) // 8)
        if len(data) <= BITS_SLICE:
            return bits_inline(data, n)
        return await bits_sliced(data, n)

    async def random_int(self, bits: int) -> int:
        """A uniform integer in ``[0, 2**bits)``, ``bits`` in 1..``MAX_INT_BITS``.

        Raises:
            TypeError, ValueError: ``bits`` is not an integer in ``[1, MAX_INT_BITS]``.
            AlaraError: as ``random_bytes`` (closed network, wrong loop, degraded pool, ...).
        """
        bits = check_int("bits", bits, 1, MAX_INT_BITS)
        self._ensure_open()
        return await self._draw_int(bits)

    async def random_below(self, upper: int) -> int:
        """A uniform integer in ``[0, upper)`` (like ``secrets.randbelow``), by rejection.

        ``upper`` must be at least 1 and at most ``2**MAX_INT_BITS``.

        Raises:
            TypeError, ValueError: ``upper`` is not an integer in ``[1, 2**MAX_INT_BITS]``.
            AlaraError: as ``random_bytes`` (closed network, wrong loop, degraded pool, ...).
        """
        upper = check_int("upper", upper, 1, 1 << MAX_INT_BITS)
        self._ensure_open()
        if upper == 1:
            return 0
        bits = (upper - 1).bit_length()
        while True:  # each draw is accepted with probability > 1/2
            value = await self._draw_int(bits)
            if value < upper:
                return value

    # -- internals -------------------------------------------------------------------------

    async def _draw_int(self, bits: int) -> int:
        """A uniform int in ``[0, 2**bits)``, ``bits`` already checked."""
        data = await self.random_bytes((bits + 7) // 8)
        if len(data) <= INT_SLICE:
            return int_inline(data, bits)
        return await int_sliced(data, bits)

    def _ensure_open(self) -> None:
        """Raise unless the network is open and used from its own loop.

        Its loop running in this thread means it is the running loop (a thread runs one loop
        at a time): checked so, without ``asyncio.get_running_loop()``, whose fork check is a
        system call (``getpid``) on every request.
        """
        if self._state is not _OPEN or _thread() != self._thread or not self._loop_running():
            if self._state is not _OPEN:
                raise NetworkClosedError(
                    "network is closed" if self._state is _State.CLOSED
                    else "network is not started"
                )
            self._check_loop()

    def _check_loop(self) -> None:
        loop = self._loop
        if loop is None or asyncio.get_running_loop() is loop:
            return
        if loop.is_closed():
            raise WrongLoopError(
                "network was started on an event loop that has closed; create the network "
                "inside the loop that uses it (e.g. per asyncio.run, or a fixture with the "
                "same loop scope as the tests using it)"
            )
        raise WrongLoopError(
            "network was started on another event loop; a network is bound to the loop it "
            "started on (create one per loop)"
        )

    def _state_name(self) -> str:
        if self._state is _State.OPEN and self._loop is not None and self._loop.is_closed():
            return "loop_closed"
        return self._state.value

    def _fits_inline(self) -> bool:
        return len(self._pool.sources) * self._pool.policy.size <= INLINE_MIX


def create_network(workers: int | None = None, *, options: NetworkOptions | None = None,
                   **keywords: Unpack[NetworkKeywords]) -> Network:
    """A new, not yet started ``Network``: ``await`` it, or use it with ``async with``.

    The arguments are ``Network``'s (each setting is described on ``NetworkOptions``).
    Nothing runs until it is started, so it can be created outside a running loop; it
    belongs to the loop it is started on.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument is out of its range (the message names it and the range).
    """
    return Network(workers, options=options, **keywords)
