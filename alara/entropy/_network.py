"""The façade: a supervised pool of entropy workers behind a small async API.

``create_network()`` returns a ``Network`` that is both awaitable (``net = await
create_network(5)``) and an async context manager (``async with create_network() as net``).
Every request takes one fresh contribution from every worker (``collect``) and mixes them
(``mix``); the façade itself holds no entropy between requests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from types import TracebackType
from typing import Any

import anyio.lowlevel

from alara.actors import (
    ActorRef,
    Child,
    ChildSpec,
    Exit,
    OneForOneSupervisor,
    check_int,
    check_positive_float,
    get_logger,
)
from alara.entropy._cluster import Cluster, ClusterNode, ClusterPool
from alara.entropy._collect import DEFAULT_MAX_WAITING, Collector, CollectPolicy
from alara.entropy._conversions import (
    BITS_SLICE,
    INT_SLICE,
    bits_inline,
    bits_sliced,
    int_inline,
    int_sliced,
)
from alara.entropy._health import DEFAULT_HEALTH, HealthCheck, HealthPolicy, fast_maker
from alara.entropy._keyed import DEFAULT_REKEY_BYTES, DEFAULT_REKEY_SECONDS
from alara.entropy._keyed_async import KeyedNetwork
from alara.entropy._limits import MAX_BITS, MAX_BYTES, MAX_CONTRIBUTION, MAX_INT_BITS, MAX_WORKERS
from alara.entropy._mixing import MIN_CONTRIBUTION, mix
from alara.entropy._observe import MetricsSnapshot, Observer, source_kind
from alara.entropy._offload import INLINE_MIX, mix_sliced
from alara.entropy._quarantine import (
    DEFAULT_QUARANTINE_AFTER,
    DEFAULT_QUARANTINE_PERIOD,
    Quarantine,
)
from alara.entropy._sources import EntropySource, check_source, has_read
from alara.entropy._vocabulary import SecretsVocabulary
from alara.entropy._worker import EntropyWorker
from alara.errors import AlaraError, NetworkClosedError, WrongLoopError

__all__ = [
    "DEFAULT_CLOSE_TIMEOUT",
    "Network",
    "NetworkStatus",
    "QuarantineInfo",
    "create_network",
]

DEFAULT_CLOSE_TIMEOUT = 10.0
"""Default bound (seconds) on ``close()``: workers still running after it are abandoned."""

_log = get_logger("network")


class _State(Enum):
    IDLE = "idle"
    OPEN = "open"
    CLOSED = "closed"


_OPEN = _State.OPEN  # read on every request: a module global is the cheapest lookup
_thread = threading.get_ident
_clock = time.perf_counter


@dataclass(frozen=True, slots=True)
class QuarantineInfo:
    """Why one worker was quarantined: the failures counted and the last reason."""

    failures: int
    reason: str


@dataclass(frozen=True, slots=True)
class NetworkStatus:
    """A snapshot of a network for operators and health checks; ``to_dict()`` for JSON.

    ``serving`` is whether a request made now can be served at all; ``reason`` says why not
    (the workers missing under the fail-closed policy, a supervisor that gave up, a closed
    network or event loop). ``running``/``restarting`` are read live from the registry.
    """

    state: str
    serving: bool
    reason: str | None
    workers: int
    configured: int
    required: int
    running: tuple[str, ...]
    restarting: tuple[str, ...]
    missing: tuple[str, ...]
    quarantined: dict[str, QuarantineInfo]
    gave_up: bool
    waiting: int
    min_sources: int | None
    timeout: float
    contribution_timeout: float
    quarantine_after: int | None
    quarantine_period: float
    health: dict[str, float | int] | str | None
    cluster: dict[str, Any] | None = None
    """The cluster's summary and machines (``None`` without a cluster; cluster hook)."""

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as plain dicts, lists, strings and numbers (``json.dumps``-able)."""
        data = asdict(self)
        data["running"] = list(self.running)
        data["restarting"] = list(self.restarting)
        data["missing"] = list(self.missing)
        return data


class Network(SecretsVocabulary):
    """A supervised pool of entropy workers and the façade that mixes their output.

    Parameters (all keyword-only but ``workers``):

    * ``workers``: pool size, 1..``MAX_WORKERS``; default 3, or ``len(sources)``.
    * ``sources``: one ``EntropySource`` per worker; default: the OS CSPRNG for all.
      Synchronous sources that do not declare ``max_inline_read`` are read in worker threads,
      so a blocking source cannot stall the others (``docs/architecture.md``).
    * ``max_restarts`` / ``period``: restart intensity (ALARA: 10 in 5 s); beyond it the
      supervisor gives up and every request raises ``SupervisorGaveUpError``.
    * ``timeout``: the most any request waits for its contributions, from its call:
      queueing behind other requests, retries on restarted workers and hung sources
      included. A request above 256 KiB then mixes for a time that grows with its size
      (about 5 s for 1 GiB here), with the loop free; wrap the call in ``asyncio.timeout``
      to bound that too (a cancelled mix frees everything it held).
    * ``contribution_timeout``: how long one worker's read may last before it is judged
      hung, killed and restarted (it is judged on its own read only).
    * ``min_sources``: the fewest contributions a request may be served from. Default
      ``None``: every configured worker (fail closed: a quarantined or removed worker makes
      requests fail with ``PoolDegradedError``). A smaller number is an explicit trade of
      security for availability (``docs/security.md``); at most the pool size.
    * ``contribution_size``: bytes each worker gives each request, 32..1 MiB.
    * ``health``: a factory of per-worker health checks, called at every (re)start; default
      ``DEFAULT_HEALTH``, NIST SP 800-90B continuous tests (RCT and APT, H = 4 bits/byte,
      alpha = 2**-40) on every block a source returns; ``HealthPolicy(...)`` tunes them (and
      can add NIST's 1024-byte start-up test), ``None`` turns them off. See
      ``docs/health-tests.md``.
    * ``quarantine_after`` / ``quarantine_period``: a worker whose source fails (crash,
      health test, hang) this many times within this many seconds is not restarted but
      quarantined (default 3 in 60 s; ``None``: never). See ``quarantined()``, ``status()``.
    * ``max_waiting``: the most requests that may wait for a round; one more raises
      ``TooManyRequestsError`` at once (default 100,000).
    * ``close_timeout``: the most ``close()`` waits for the workers to stop (default 10 s).
    * ``cluster``: remote workers, one per chosen machine of a cluster (e.g.
      ``alara.ray.RayCluster(...)``), added to the ``workers`` local ones (which may then be
      0). They count as configured workers: a machine that is down is missing from the pool
      (fail closed), and ``min_sources`` is checked against the whole pool at ``start()``.
      A remote worker is judged by its own ``remote_timeout``. See ``get_cluster_nodes()``
      and ``docs/distributed.md``.

    A network belongs to the event loop it was started on; using it from another loop, or
    after that loop has closed, raises ``WrongLoopError``.

    Raises:
        TypeError: an argument has the wrong type (``health=HealthPolicy``, the class, too).
        ValueError: an argument is out of its range (each message names it and the range).
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        sources: Sequence[EntropySource] | None = None,
        max_restarts: int = 10,
        period: float = 5.0,
        timeout: float = 5.0,
        contribution_timeout: float = 1.0,
        min_sources: int | None = None,
        contribution_size: int = MIN_CONTRIBUTION,
        health: Callable[[], HealthCheck] | None = DEFAULT_HEALTH,
        quarantine_after: int | None = DEFAULT_QUARANTINE_AFTER,
        quarantine_period: float = DEFAULT_QUARANTINE_PERIOD,
        max_waiting: int = DEFAULT_MAX_WAITING,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        cluster: Cluster | None = None,
    ) -> None:
        # cluster hook (1/6): a network of remote workers only may have no local one
        if cluster is not None and not callable(getattr(cluster, "on_child_exit", None)):
            raise TypeError(f"cluster must be a Cluster (e.g. alara.ray.RayCluster), "
                            f"got {type(cluster).__name__}")
        self._cluster = cluster
        if workers is not None:
            workers = check_int("workers", workers, 0 if cluster else 1, MAX_WORKERS)
        if sources is not None:
            if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
                raise TypeError("sources must be a sequence of EntropySource objects")
            check_int("len(sources)", len(sources), 1, MAX_WORKERS)
            for source in sources:
                if not has_read(source):
                    raise TypeError(f"sources: {type(source).__name__} has no read(n) method")
            if workers is not None and workers != len(sources):
                raise ValueError(f"workers ({workers}) must equal len(sources) ({len(sources)})")
        size = len(sources) if sources is not None else 3 if workers is None else workers
        self._policy = CollectPolicy(
            size=check_int("contribution_size", contribution_size, MIN_CONTRIBUTION,
                           MAX_CONTRIBUTION),
            timeout=check_positive_float("timeout", timeout, 3600.0),
            contribution_timeout=check_positive_float("contribution_timeout",
                                                      contribution_timeout, 3600.0),
            min_sources=None if min_sources is None else check_int(
                "min_sources", min_sources, 1, MAX_WORKERS if cluster is not None else size),
            max_waiting=check_int("max_waiting", max_waiting, 1, 1 << 30),
        )
        self._close_timeout = check_positive_float("close_timeout", close_timeout, 3600.0)
        if _is_policy_class(health):
            raise TypeError(
                "health must be a HealthPolicy instance (e.g. HealthPolicy()), a factory of "
                "health checks, or None; got the class HealthPolicy itself"
            )
        if health is not None and not callable(health):
            raise TypeError("health must be a callable returning a health check")
        self._health: Callable[[], HealthCheck] | None = health
        self._startup = health.startup_samples if isinstance(health, HealthPolicy) else 0
        self._quarantine = Quarantine(quarantine_after, quarantine_period)
        self._sources: list[EntropySource | None] = [None] * size
        if sources is not None:
            self._sources = list(sources)
        self._workers: dict[str, EntropyWorker] = {}
        self._observer = Observer()
        self._supervisor = OneForOneSupervisor(
            [self._spec(i, source) for i, source in enumerate(self._sources)],
            max_restarts=max_restarts,
            period=period,
            name="alara.network",
            on_child_exit=_exit_listener(self._cluster, self._quarantine, self._observer),
        )
        self._collector = Collector(self._supervisor, self._policy, configured=size,
                                    busy_since=self._busy_since, missing=self._missing,
                                    observer=self._observer)
        # Whether every request's contributions (at most one per configured worker) are small
        # enough to mix in one go on the loop: decided here, not counted on every request.
        self._inline_inputs = size * self._policy.size <= INLINE_MIX
        self._state = _State.IDLE
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0  # the thread and ``is_running`` of ``_loop``, for ``_ensure_open``
        self._loop_running: Callable[[], bool] = bool
        self._closing: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        size = len(self._sources) if self._state is _State.IDLE else self._supervisor.size
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
        # Loads anyio's asyncio backend now (a one-off import of tens of milliseconds) rather
        # than inside the first request that needs a worker thread.
        await anyio.lowlevel.checkpoint()
        await self._supervisor.start()
        self._observer.start(self._loop)
        if self._cluster is not None:  # cluster hook (2/6): remote workers join the pool
            try:
                await self._start_cluster(self._cluster)
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
        if self._cluster is not None:  # cluster hook (3/6): stop following membership first
            await self._cluster.stop()
        await self._supervisor.stop()
        self._collector.detach()
        _log.info("network.stopped", gave_up=self._supervisor.error is not None)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._state is _State.CLOSED

    @property
    def supervisor(self) -> OneForOneSupervisor:
        """The supervisor of the pool (for ``wait()``, ``error`` and ``changed()``)."""
        return self._supervisor

    # -- the pool --------------------------------------------------------------------------

    def get_nodes(self) -> list[ActorRef]:
        """Refs of the workers running right now, read live from the supervisor."""
        return self._supervisor.live_refs()

    def which_children(self) -> list[Child]:
        """The supervisor's live registry: one row per worker, running or restarting."""
        return self._supervisor.which_children()

    def quarantined(self) -> list[str]:
        """Ids of the workers retired for source failures, in the order they were retired."""
        return self._quarantine.quarantined()

    def get_cluster_nodes(self) -> list[ClusterNode]:
        """The cluster's machines (ALARA's ``get_cluster_nodes()``), read live; ``[]`` without one.

        Each row has ``node_id``, ``address``, ``state`` (``"up"``/``"down"``), ``since`` and
        ``worker`` (the pool child id of that machine's remote worker). Cluster hook (4/6).
        """
        return [] if self._cluster is None else self._cluster.nodes()

    def metrics(self) -> MetricsSnapshot:
        """The network's counters since it was made (requests by outcome, their durations,
        bytes served, contributions, health-test failures, restarts, quarantines) and the
        event loop's recent lateness; read by ``alara.prometheus`` at every scrape.

        Call it on the network's loop thread (``alara.entropy.read_network`` hops there).
        """
        return self._observer.snapshot()

    def status(self) -> NetworkStatus:
        """A snapshot of the pool for operators and health checks (``to_dict()`` for JSON).

        ``running``/``restarting`` are read live from the supervisor's registry;
        ``quarantined`` maps each retired worker to its failure count and last reason;
        ``serving``/``reason`` say whether a request made now could be served, and why not.
        """
        children = self._supervisor.which_children()
        policy = self._policy
        health = self._health
        missing = self._missing()
        state = self._state_name()
        required = self._collector.required
        reason: str | None = None
        if state == "loop_closed":
            reason = "the event loop the network was started on has closed"
        elif state != "open":
            reason = f"network is {state}"
        elif self._supervisor.error is not None:
            reason = str(self._supervisor.error)
        elif len(children) < required:
            reason = (f"{len(children)} of {self._collector.configured} configured workers "
                      f"present, {required} required; missing: " + "; ".join(missing))
        return NetworkStatus(
            state=state,
            serving=reason is None,
            reason=reason,
            workers=len(children),
            configured=self._collector.configured,
            required=required,
            running=tuple(child.id for child in children if child.alive),
            restarting=tuple(child.id for child in children if not child.alive),
            missing=tuple(missing),
            quarantined={
                record.worker: QuarantineInfo(record.failures, record.reason)
                for record in self._quarantine.records()
            },
            gave_up=self._supervisor.error is not None,
            waiting=self._collector.waiting,
            min_sources=policy.min_sources,
            timeout=policy.timeout,
            contribution_timeout=policy.contribution_timeout,
            quarantine_after=self._quarantine.after,
            quarantine_period=self._quarantine.period,
            health=(
                {"min_entropy": health.min_entropy, "alpha": health.alpha,
                 "rct_cutoff": health.rct_cutoff, "apt_cutoff": health.apt_cutoff,
                 "startup_samples": health.startup_samples}
                if isinstance(health, HealthPolicy)
                else None if health is None else "custom"
            ),
            cluster=None if self._cluster is None else {  # cluster hook (5/6)
                **self._cluster.describe(),
                "nodes": [node.to_dict() for node in self._cluster.nodes()],
            },
        )

    async def add_worker(self, source: EntropySource | None = None) -> ActorRef:
        """Grow the pool by one supervised worker (with ``source``, default the OS CSPRNG).

        Under the default fail-closed policy the new worker is required from now on.

        Raises:
            TypeError: ``source`` has no ``read(n)`` method.
            ValueError: the pool would exceed ``MAX_WORKERS``.
            NetworkClosedError: the network is not started or is closed.
            WrongLoopError: called from another event loop than the network's.
        """
        if source is not None:
            check_source("source", source)
        self._ensure_open()
        check_int("workers", len(self._sources) + 1, 1, MAX_WORKERS)
        self._sources.append(source)
        ref = await self._supervisor.add_child(self._spec(len(self._sources) - 1, source))
        self._collector.configured = len(self._sources)
        self._inline_inputs = len(self._sources) * self._policy.size <= INLINE_MIX
        return ref

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
        if type(n) is not int or not 0 < n <= INLINE_MIX or not self._inline_inputs:
            return await self._random_bytes(n)
        # The hot path, ``_draw`` inlined: one coroutine per request, not three.
        started = _clock()
        try:
            if self._state is not _OPEN or _thread() != self._thread or not self._loop_running():
                self._ensure_open()
            data = mix(await self._collector.collect(), n)
        except Exception as error:
            self._observer.failed(error, started)
            raise
        self._observer.served(n, started)
        return data

    async def _random_bytes(self, n: int) -> bytes:
        """``random_bytes`` for any argument: checks, then ``_draw``."""
        n = check_int("n", n, 0, MAX_BYTES)
        self._ensure_open()
        return await self._draw(n) if n else b""

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
        data = await self._draw((n + 7) // 8)
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

    async def _draw(self, n: int) -> bytes:
        """``n`` (already checked, > 0) mixed bytes: the one path every request takes."""
        started = _clock()
        try:
            contributions = await self._collector.collect()
            if n <= INLINE_MIX and self._inline_inputs:
                data = mix(contributions, n)
            else:
                data = await mix_sliced(contributions, n)
        except Exception as error:
            self._observer.failed(error, started)
            raise
        self._observer.served(n, started)
        return data

    async def _draw_int(self, bits: int) -> int:
        """A uniform int in ``[0, 2**bits)``, ``bits`` already checked."""
        data = await self._draw((bits + 7) // 8)
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

    def _busy_since(self, ref: ActorRef) -> float | None:
        worker = self._workers.get(ref.name)
        return worker.busy_since if worker is not None and worker.ref is ref else None

    def _missing(self) -> list[str]:
        """The configured workers no longer in the registry, each with why."""
        present = {child.id for child in self._supervisor.which_children()}
        records = {record.worker: record for record in self._quarantine.records()}
        missing = []
        for index in range(len(self._sources)):
            name = f"worker-{index}"
            if name in present:
                continue
            record = records.get(name)
            missing.append(
                f"{name} quarantined after {record.failures} source failures "
                f"(last: {record.reason})" if record is not None else f"{name} removed"
            )
        if self._cluster is not None:  # cluster hook (6/6): down machines are missing workers
            missing += [f"{node.worker} down ({node.address}: {node.reason})"
                        for node in self._cluster.nodes()
                        if node.state == "down" and node.worker not in present]
        return missing

    async def _start_cluster(self, cluster: Cluster) -> None:
        supervisor, collector, local = self._supervisor, self._collector, len(self._sources)

        async def remove_worker(child_id: str) -> None:
            if supervisor.running and supervisor.child_ref(child_id) is not None:
                await supervisor.terminate_child(child_id)

        def set_remote(count: int) -> None:  # machines count as configured workers
            collector.configured = local + count

        await cluster.start(ClusterPool(
            add_worker=supervisor.add_child,
            remove_worker=remove_worker,
            has_worker=lambda child_id: supervisor.child_ref(child_id) is not None,
            set_remote=set_remote,
            health=self._health,
            startup=self._startup,
            contribution_size=self._policy.size,
        ))
        pool = local + len(cluster.nodes())
        if self._policy.min_sources is not None and self._policy.min_sources > pool:
            raise ValueError(f"min_sources must be at most the pool size ({local} local + "
                             f"{pool - local} remote workers), got {self._policy.min_sources}")

    def _spec(self, index: int, source: EntropySource | None) -> ChildSpec:
        startup, workers = self._startup, self._workers
        tests = None if self._health is None else fast_maker(self._health)
        name = f"worker-{index}"
        self._observer.name_worker(name, source_kind(source))

        def factory() -> EntropyWorker:
            worker = EntropyWorker(source, None if tests is None else tests(), startup)
            workers[name] = worker
            return worker

        # A graceful stop waits for the read in flight; one that outlasts the contribution
        # timeout is a hang, so the stop does not wait longer than that before cancelling.
        return ChildSpec(id=name, factory=factory,
                         shutdown_timeout=self._policy.contribution_timeout)


def _exit_listener(
    cluster: Cluster | None, quarantine: Quarantine, observer: Observer
) -> Callable[[str, Exit], bool]:
    """The supervisor's exit listener: the cluster judges its own workers, then quarantine;
    the observer counts the restart or quarantine. A function of its own, not a method: the
    supervisor holding the network would keep a closed network for the garbage collector."""

    def on_child_exit(child_id: str, exit: Exit) -> bool:
        if cluster is not None:
            verdict = cluster.on_child_exit(child_id, exit)
            if verdict is not None:
                if verdict:
                    observer.exited(child_id, exit, restarted=True)
                return verdict
        verdict = quarantine.on_exit(child_id, exit)
        observer.exited(child_id, exit, restarted=verdict)
        return verdict

    return on_child_exit


def _is_policy_class(health: object) -> bool:
    """``health=HealthPolicy`` (the class): a classic slip that would fail every worker."""
    return isinstance(health, type) and issubclass(health, HealthPolicy)


def create_network(
    workers: int | None = None,
    *,
    sources: Sequence[EntropySource] | None = None,
    max_restarts: int = 10,
    period: float = 5.0,
    timeout: float = 5.0,
    contribution_timeout: float = 1.0,
    min_sources: int | None = None,
    contribution_size: int = MIN_CONTRIBUTION,
    health: Callable[[], HealthCheck] | None = DEFAULT_HEALTH,
    quarantine_after: int | None = DEFAULT_QUARANTINE_AFTER,
    quarantine_period: float = DEFAULT_QUARANTINE_PERIOD,
    max_waiting: int = DEFAULT_MAX_WAITING,
    close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    cluster: Cluster | None = None,
) -> Network:
    """A new, not yet started ``Network``: ``await`` it, or use it with ``async with``.

    The arguments are ``Network``'s (see there). Nothing runs until it is started, so it can
    be created outside a running loop; it belongs to the loop it is started on.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument is out of its range (the message names it and the range).
    """
    return Network(
        workers,
        sources=sources,
        max_restarts=max_restarts,
        period=period,
        timeout=timeout,
        contribution_timeout=contribution_timeout,
        min_sources=min_sources,
        contribution_size=contribution_size,
        health=health,
        quarantine_after=quarantine_after,
        quarantine_period=quarantine_period,
        max_waiting=max_waiting,
        close_timeout=close_timeout,
        cluster=cluster,
    )
