"""The façade: a supervised pool of entropy workers behind a small async API.

``create_network()`` returns a ``Network`` that is both awaitable (``net = await
create_network(5)``) and an async context manager (``async with create_network() as net``).
Every request takes one fresh contribution from every worker (``collect``) and mixes them
(``mix``); the façade itself holds no entropy between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from types import TracebackType
from typing import Any

from alara.actors.actor import ActorRef, Exit
from alara.actors.log import get_logger
from alara.actors.supervisor import Child, ChildSpec, OneForOneSupervisor
from alara.actors.validation import check_int, check_positive_float
from alara.entropy.cluster import Cluster, ClusterNode, ClusterPool, NodeDownError
from alara.entropy.collect import Collector, CollectPolicy
from alara.entropy.health import DEFAULT_HEALTH, HealthPolicy
from alara.entropy.mixing import MIN_CONTRIBUTION, mix
from alara.entropy.quarantine import (
    DEFAULT_QUARANTINE_AFTER,
    DEFAULT_QUARANTINE_PERIOD,
    Quarantine,
)
from alara.entropy.sources import EntropySource, check_source, has_read
from alara.entropy.worker import EntropyWorker, HealthCheck
from alara.errors import AlaraError, NetworkClosedError

__all__ = [
    "MAX_BITS",
    "MAX_BYTES",
    "MAX_INT_BITS",
    "MAX_WORKERS",
    "Network",
    "create_network",
]

MAX_BYTES = 1 << 30
"""Largest ``random_bytes`` request: 1 GiB."""
MAX_BITS = 1 << 24
"""Largest ``random_bits`` request: 16 Mi bits (the result is a list of ints)."""
MAX_INT_BITS = 1 << 24
"""Largest ``random_int`` size, and largest bit length of ``random_below``'s bound."""
MAX_WORKERS = 100_000
"""Largest pool (``workers``), counting workers added later."""

_log = get_logger("network")
_BIT_VALUES = bytes.maketrans(b"01", b"\x00\x01")

_IDLE, _OPEN, _CLOSED = range(3)
_STATE_NAMES = ("idle", "open", "closed")


class Network:
    """A supervised pool of entropy workers and the façade that mixes their output.

    Parameters (all keyword-only but ``workers``):

    * ``workers``: pool size, 1..``MAX_WORKERS``; default 3, or ``len(sources)``.
    * ``sources``: one ``EntropySource`` per worker; default: the OS CSPRNG for all.
    * ``max_restarts`` / ``period``: restart intensity (ALARA: 10 in 5 s); beyond it the
      supervisor gives up and every request raises ``SupervisorGaveUpError``.
    * ``timeout``: deadline of one request, retries on restarted workers included.
    * ``contribution_timeout``: how long one worker may take before it is judged hung, killed
      and restarted.
    * ``min_sources``: the fewest contributions a request may be served from when workers are
      dying or hung (default 1: one honest contribution is enough for unpredictability);
      at most the pool size.
    * ``contribution_size``: bytes each worker gives each request, at least 32.
    * ``health``: a factory of per-worker health checks, called at every (re)start; default
      ``DEFAULT_HEALTH``, NIST SP 800-90B continuous tests (RCT and APT, H = 4 bits/byte,
      alpha = 2**-40) on every block a source returns; ``HealthPolicy(...)`` tunes them (and
      can add NIST's 1024-byte start-up test), ``None`` turns them off. See
      ``docs/health-tests.md``.
    * ``quarantine_after`` / ``quarantine_period``: a worker whose source fails (crash,
      health test, hang) this many times within this many seconds is not restarted but
      quarantined (default 3 in 60 s; ``None``: never). See ``quarantined()``, ``status()``.
    * ``cluster``: remote workers, one per chosen machine of a cluster (e.g.
      ``alara.ray.RayCluster(...)``), added to the ``workers`` local ones (which may then be 0).
      ``min_sources`` counts them too and is checked against the pool at ``start()``; a hung
      worker is judged after ``max(contribution_timeout, cluster.remote_timeout)``. See
      ``get_cluster_nodes()`` and ``docs/distributed.md``.
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
        min_sources: int = 1,
        contribution_size: int = MIN_CONTRIBUTION,
        health: Callable[[], HealthCheck] | None = DEFAULT_HEALTH,
        quarantine_after: int | None = DEFAULT_QUARANTINE_AFTER,
        quarantine_period: float = DEFAULT_QUARANTINE_PERIOD,
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
        contribution_timeout = check_positive_float("contribution_timeout",
                                                    contribution_timeout, 3600.0)
        if cluster is not None:  # cluster hook (2/6): a remote call has its own deadline
            contribution_timeout = max(contribution_timeout, cluster.remote_timeout)
        self._policy = CollectPolicy(
            size=check_int("contribution_size", contribution_size, MIN_CONTRIBUTION, 1 << 20),
            timeout=check_positive_float("timeout", timeout, 3600.0),
            contribution_timeout=contribution_timeout,
            min_sources=check_int("min_sources", min_sources, 1,
                                  MAX_WORKERS if cluster is not None else size),
        )
        if health is not None and not callable(health):
            raise TypeError("health must be a callable returning a health check")
        self._health = health
        self._startup = health.startup_samples if isinstance(health, HealthPolicy) else 0
        self._quarantine = Quarantine(quarantine_after, quarantine_period)
        self._sources: list[EntropySource | None] = [None] * size
        if sources is not None:
            self._sources = list(sources)
        self._supervisor = OneForOneSupervisor(
            [self._spec(i, source) for i, source in enumerate(self._sources)],
            max_restarts=max_restarts,
            period=period,
            name="alara.network",
            on_child_exit=self._on_child_exit,
        )
        self._collector = Collector(self._supervisor, self._policy)
        self._state = _IDLE

    def __repr__(self) -> str:
        state = _STATE_NAMES[self._state]
        size = len(self._sources) if self._state == _IDLE else self._supervisor.size
        return f"<Network {state} workers={size}>"

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Network:
        """Start the supervisor and its workers; returns ``self`` for chaining."""
        if self._state == _CLOSED:
            raise NetworkClosedError("network is closed; create a new one")
        if self._state == _OPEN:
            raise AlaraError("network is already started")
        self._state = _OPEN
        await self._supervisor.start()
        if self._cluster is not None:  # cluster hook (3/6): remote workers join the pool
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
        if self._state != _OPEN:  # an open network (``await``-ed first) is entered as it is
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
        """Stop every worker gracefully (requests in flight finish first). Idempotent."""
        if self._state == _CLOSED:
            return
        self._state = _CLOSED
        self._collector.close()
        if self._cluster is not None:  # cluster hook (4/6): stop following membership first
            await self._cluster.stop()
        await self._supervisor.stop()
        _log.info("network.stopped", gave_up=self._supervisor.error is not None)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._state == _CLOSED

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
        ``worker`` (the pool child id of that machine's remote worker).
        """
        return [] if self._cluster is None else self._cluster.nodes()

    def status(self) -> dict[str, Any]:
        """A snapshot of the pool for operators and health checks (JSON-friendly).

        ``running``/``restarting`` are read live from the supervisor's registry;
        ``quarantined`` maps each retired worker to its failure count and last reason;
        ``cluster`` is the cluster's summary and its machines (``None`` without a cluster).
        """
        children = self._supervisor.which_children()
        policy = self._policy
        health = self._health
        return {
            "state": _STATE_NAMES[self._state],
            "workers": len(children),
            "running": [child.id for child in children if child.alive],
            "restarting": [child.id for child in children if not child.alive],
            "quarantined": {
                record.worker: {"failures": record.failures, "reason": record.reason}
                for record in self._quarantine.records()
            },
            "gave_up": self._supervisor.error is not None,
            "min_sources": policy.min_sources,
            "timeout": policy.timeout,
            "contribution_timeout": policy.contribution_timeout,
            "quarantine_after": self._quarantine.after,
            "quarantine_period": self._quarantine.period,
            "health": (
                {"min_entropy": health.min_entropy, "alpha": health.alpha,
                 "rct_cutoff": health.rct_cutoff, "apt_cutoff": health.apt_cutoff,
                 "startup_samples": health.startup_samples}
                if isinstance(health, HealthPolicy)
                else None if health is None else "custom"
            ),
            # cluster hook (5/6): the machines behind the remote workers
            "cluster": None if self._cluster is None else {
                **self._cluster.describe(),
                "nodes": [node.to_dict() for node in self._cluster.nodes()],
            },
        }

    async def add_worker(self, source: EntropySource | None = None) -> ActorRef:
        """Grow the pool by one supervised worker (with ``source``, default the OS CSPRNG)."""
        if source is not None:
            check_source("source", source)
        self._ensure_open()
        check_int("workers", len(self._sources) + 1, 1, MAX_WORKERS)
        self._sources.append(source)
        return await self._supervisor.add_child(self._spec(len(self._sources) - 1, source))

    # -- entropy ---------------------------------------------------------------------------

    async def random_bytes(self, n: int) -> bytes:
        """``n`` bytes (0..``MAX_BYTES``), mixed from a fresh contribution of every worker."""
        n = check_int("n", n, 0, MAX_BYTES)
        self._ensure_open()
        return await self._draw(n) if n else b""

    async def random_bits(self, n: int) -> list[int]:
        """``n`` random bits (0..``MAX_BITS``) as a list of 0/1 ints, like ALARA."""
        n = check_int("n", n, 0, MAX_BITS)
        self._ensure_open()
        if n == 0:
            return []
        data = await self._draw((n + 7) // 8)
        text = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")[:n]
        return list(text.encode("ascii").translate(_BIT_VALUES))

    async def random_int(self, bits: int) -> int:
        """A uniform integer in ``[0, 2**bits)``, ``bits`` in 1..``MAX_INT_BITS``."""
        bits = check_int("bits", bits, 1, MAX_INT_BITS)
        self._ensure_open()
        return await self._draw_int(bits)

    async def random_below(self, upper: int) -> int:
        """A uniform integer in ``[0, upper)`` (like ``secrets.randbelow``), by rejection.

        ``upper`` must be at least 1 and at most ``2**MAX_INT_BITS``.
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
        if self._cluster is not None and self._supervisor.size < self._policy.min_sources:
            self._raise_nodes_down()  # cluster hook (6/6): name the machines that are missing
        return mix(await self._collector.collect(), n)

    async def _draw_int(self, bits: int) -> int:
        """A uniform int in ``[0, 2**bits)``, ``bits`` already checked."""
        size = (bits + 7) // 8
        return int.from_bytes(await self._draw(size), "big") >> (8 * size - bits)

    def _on_child_exit(self, child_id: str, exit: Exit) -> bool:
        """The supervisor's exit listener: the cluster judges its own workers, then quarantine."""
        if self._cluster is not None:
            verdict = self._cluster.on_child_exit(child_id, exit)
            if verdict is not None:
                return verdict
        return self._quarantine.on_exit(child_id, exit)

    async def _start_cluster(self, cluster: Cluster) -> None:
        supervisor = self._supervisor

        async def remove_worker(child_id: str) -> None:
            if supervisor.running and supervisor.child_ref(child_id) is not None:
                await supervisor.terminate_child(child_id)

        await cluster.start(ClusterPool(
            add_worker=supervisor.add_child,
            remove_worker=remove_worker,
            has_worker=lambda child_id: supervisor.child_ref(child_id) is not None,
            health=self._health,
            startup=self._startup,
            contribution_size=self._policy.size,
        ))
        pool = len(self._sources) + len(cluster.nodes())
        if self._policy.min_sources > pool:
            raise ValueError(f"min_sources must be at most the pool size ({len(self._sources)} "
                             f"local + {pool - len(self._sources)} remote workers), "
                             f"got {self._policy.min_sources}")

    def _raise_nodes_down(self) -> None:
        assert self._cluster is not None
        down = [f"{node.worker} ({node.address}: {node.reason or 'down'})"
                for node in self._cluster.nodes() if node.state == "down"]
        if down:
            raise NodeDownError(
                f"{self._supervisor.size} worker(s) in the pool, min_sources="
                f"{self._policy.min_sources} required; down: {', '.join(down)}")

    def _ensure_open(self) -> None:
        if self._state != _OPEN:
            raise NetworkClosedError(
                "network is closed" if self._state == _CLOSED else "network is not started"
            )

    def _spec(self, index: int, source: EntropySource | None) -> ChildSpec:
        health, startup = self._health, self._startup

        def factory() -> EntropyWorker:
            return EntropyWorker(source, health=None if health is None else health(),
                                 startup=startup)

        return ChildSpec(id=f"worker-{index}", factory=factory)


def create_network(workers: int | None = None, **options: Any) -> Network:
    """A new, not yet started ``Network``: ``await`` it, or use it with ``async with``.

    ``options`` are ``Network``'s keyword arguments.
    """
    return Network(workers, **options)
