"""The pool: a network's supervised workers and everything that judges them.

This is the supervision side of a network (a worker's task ends, the supervisor sees it, the
cluster or the quarantine decides whether it comes back, the registry shows the new child);
``Network`` is the request side, which asks the pool's collector for contributions. Keeping
the two apart keeps both paths easy to follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from alara.actors import ActorRef, ChildSpec, Exit, OneForOneSupervisor, check_int
from alara.entropy._cluster import Cluster, ClusterPool
from alara.entropy._collect import Collector, CollectPolicy
from alara.entropy._discovery import default_sources, discover_sources
from alara.entropy._health import STARTUP_SAMPLES, HealthCheck, fast_maker
from alara.entropy._kinds import health_for, source_kind
from alara.entropy._limits import MAX_WORKERS
from alara.entropy._observe import Observer
from alara.entropy._options import NetworkOptions
from alara.entropy._quarantine import Quarantine
from alara.entropy._recovery import Recovery, probe
from alara.entropy._reservoir import ReservoirSource
from alara.entropy._sources import EntropySource, check_source
from alara.entropy._worker import EntropyWorker, SourcePlan, plan_source

__all__ = ["Pool"]


_Reading = tuple[SourcePlan | None, Callable[[], HealthCheck] | None]
"""A source's ``SourcePlan`` (``None``: the OS source) and its health-test maker (``None``:
no tests)."""


class Pool:
    """The supervisor of a network's workers, their quarantine, cluster, observer, collector.

    ``sources`` has one entry per local worker ever configured (``None``: the OS CSPRNG);
    worker ``i`` is the supervisor's child ``worker-i``, and ``removed`` holds the ids taken
    out of the pool for good (ids are never reused). Without ``options.sources`` the pool is
    the machine's discovered sources (``default_sources``); ``unavailable`` then says which
    kinds are missing and why.
    """

    def __init__(self, options: NetworkOptions, cluster: Cluster) -> None:
        self.options = options
        self.cluster = cluster
        self.unavailable: dict[str, str] = {}
        self.sources: list[EntropySource | None]
        if options.sources is None:
            entries = discover_sources()
            self.unavailable = {e.kind: e.reason for e in entries if not e.available}
            self.sources = list(default_sources(options.size, entries))
        else:
            self.sources = list(options.sources)
        self._owned = [s for s in self.sources if isinstance(s, ReservoirSource)]
        self.removed: set[str] = set()
        self._remote = 0
        self.policy = CollectPolicy(
            size=options.contribution_size,
            timeout=options.timeout,
            contribution_timeout=options.contribution_timeout,
            min_sources=options.min_sources,
            max_waiting=options.max_waiting,
        )
        self.quarantine = Quarantine(options.quarantine_after, options.quarantine_period)
        self.observer = Observer()
        self._workers: dict[str, EntropyWorker] = {}
        self._startup = options.startup  # bytes of each worker's start-up test
        # what ``_reading`` worked out, by source object (kept alive here, so ids stay theirs)
        self._readings: dict[int, tuple[EntropySource | None, SourcePlan | None,
                                        Callable[[], HealthCheck] | None]] = {}
        self.supervisor = OneForOneSupervisor(
            [self._spec(i, source) for i, source in enumerate(self.sources)],
            max_restarts=options.max_restarts,
            period=options.period,
            name="alara.network",
            on_child_exit=_exit_listener(cluster, self.quarantine, self.observer),
        )
        self.collector = Collector(self.supervisor, self.policy, configured=len(self.sources),
                                   busy_since=self._busy_since, missing=self.missing,
                                   observer=self.observer)
        self.recovery = Recovery(options.quarantine_period, options.quarantine_retry_cap,
                                 self._check, self._readmit)
        self.quarantine.on_quarantine = self._on_quarantine

    async def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start filling the reservoirs the pool made, the local workers, then the observer's
        probes of ``loop``."""
        for source in self._owned:
            source.start()
        await self.supervisor.start()
        self.observer.start(loop)

    async def join_cluster(self) -> None:
        """Let the cluster add its remote workers, then check ``min_sources`` against all.

        Raises:
            ClusterError: as the cluster's ``start``.
            ValueError: ``min_sources`` is above the whole pool's size.
        """
        supervisor, local = self.supervisor, self.local

        async def remove_worker(child_id: str) -> None:
            if supervisor.running and supervisor.child_ref(child_id) is not None:
                await supervisor.terminate_child(child_id)

        def set_remote(count: int) -> None:  # machines count as configured workers
            self._remote = count
            self._count()

        await self.cluster.start(ClusterPool(
            add_worker=supervisor.add_child,
            remove_worker=remove_worker,
            has_worker=lambda child_id: supervisor.child_ref(child_id) is not None,
            set_remote=set_remote,
            health=self.options.health,
            startup=self.options.startup,
            contribution_size=self.policy.size,
        ))
        pool = local + len(self.cluster.nodes())
        if self.policy.min_sources is not None and self.policy.min_sources > pool:
            raise ValueError(f"min_sources must be at most the pool size ({local} local + "
                             f"{pool - local} remote workers), got {self.policy.min_sources}")

    async def stop(self) -> None:
        """Stop following the cluster's membership, retrying, then every worker; let go of
        the hooks; close the reservoirs the pool made itself."""
        self.recovery.close()
        self.quarantine.on_quarantine = None
        await self.cluster.stop()
        await self.supervisor.stop()
        self.collector.detach()
        for source in self._owned:
            source.close()

    @property
    def local(self) -> int:
        """How many local workers are configured now (removed ones no longer count)."""
        return len(self.sources) - len(self.removed)

    def _count(self) -> None:
        self.collector.configured = self.local + self._remote

    async def add_worker(self, source: EntropySource | None) -> ActorRef:
        """Grow the pool by one supervised worker; it is required from now on (fail closed).

        Raises:
            ValueError: the pool would exceed ``MAX_WORKERS``.
        """
        check_int("workers", len(self.sources) + 1, 1, MAX_WORKERS)
        self.sources.append(source)
        ref = await self.supervisor.add_child(self._spec(len(self.sources) - 1, source))
        self._count()
        return ref

    async def readmit(self, worker_id: str) -> None:
        """Run ``worker_id``'s retry now: start-up tests on fresh output, then back in.

        Raises:
            TypeError, ValueError: not a worker of this pool, or not quarantined.
            SourceError: the start-up tests failed; it stays quarantined.
        """
        self._index(worker_id)
        if self.recovery.info(worker_id) is None:
            raise ValueError(f"{worker_id} is not quarantined")
        await self.recovery.retry_now(worker_id)

    async def replace_worker(self, worker_id: str, source: EntropySource) -> ActorRef:
        """Give ``worker_id`` a new source, running or quarantined: a new worker, same id.

        Raises:
            TypeError, ValueError: not a worker of this pool, or ``source`` has no ``read``.
        """
        index = self._index(worker_id)
        check_source("source", source)
        await self._retire(worker_id)
        self.sources[index] = source
        return await self.supervisor.add_child(self._spec(index, source))

    async def remove_worker(self, worker_id: str) -> None:
        """Take ``worker_id`` out of the pool for good: one configured worker fewer.

        Raises:
            TypeError, ValueError: not a worker of this pool; the last one; or ``min_sources``
                could not be met any more.
        """
        self._index(worker_id)
        left = self.local - 1 + self._remote
        if left < 1:
            raise ValueError(f"{worker_id} is the last worker of the pool; close the network")
        if self.policy.min_sources is not None and self.policy.min_sources > left:
            raise ValueError(f"removing {worker_id} would leave {left} workers, fewer than "
                             f"min_sources ({self.policy.min_sources})")
        await self._retire(worker_id)
        self.removed.add(worker_id)
        self._count()

    def _index(self, worker_id: object) -> int:
        """The index of local worker ``worker_id`` (configured, not removed)."""
        if not isinstance(worker_id, str):
            raise TypeError(f"worker_id must be a str, got {type(worker_id).__name__}")
        prefix, _, number = worker_id.partition("-")
        index = int(number) if prefix == "worker" and number.isdecimal() else -1
        if not 0 <= index < len(self.sources) or worker_id in self.removed:
            raise ValueError(f"no worker {worker_id!r} in this pool")
        return index

    async def _retire(self, worker_id: str) -> None:
        """Stop ``worker_id`` if it runs, and forget its quarantine and retries."""
        self.recovery.forget(worker_id)
        self.quarantine.release(worker_id)
        if self.supervisor.child_ref(worker_id) is not None:
            await self.supervisor.terminate_child(worker_id)

    def _on_quarantine(self, worker_id: str) -> None:
        """Schedule the retry of a quarantined local worker (a cluster retries its own)."""
        try:
            self._index(worker_id)
        except ValueError:
            return
        self.recovery.schedule(worker_id)

    async def _check(self, worker_id: str) -> None:
        """The start-up tests on fresh output of ``worker_id``'s source (recovery's check)."""
        source = self.sources[self._index(worker_id)]
        health = self.options.health
        tests = None if health is None else health_for(health, source)()
        await probe(source, tests, self.policy.contribution_timeout, STARTUP_SAMPLES)

    async def _readmit(self, worker_id: str) -> None:
        """Put ``worker_id`` back in the pool (recovery's admit): a new worker, same id."""
        self.quarantine.release(worker_id)
        index = self._index(worker_id)
        await self.supervisor.add_child(self._spec(index, self.sources[index]))

    def kinds(self) -> dict[str, str]:
        """Each worker the pool has made (removed ones too) and its source's kind; a remote
        worker's kind is ``remote``."""
        kinds = {f"worker-{index}": source_kind(source)
                 for index, source in enumerate(self.sources)}
        kinds.update((node.worker, "remote") for node in self.cluster.nodes())
        return kinds

    def missing(self) -> list[str]:
        """The configured workers no longer in the registry, each with why."""
        present = {child.id for child in self.supervisor.which_children()}
        records = {record.worker: record for record in self.quarantine.records()}
        missing = []
        for index in range(len(self.sources)):
            name = f"worker-{index}"
            if name in present or name in self.removed:
                continue
            record = records.get(name)
            missing.append(
                f"{name} quarantined after {record.failures} source failures "
                f"(last: {record.reason})" if record is not None else f"{name} removed"
            )
        missing += [f"{node.worker} down ({node.address}: {node.reason})"
                    for node in self.cluster.nodes()
                    if node.state == "down" and node.worker not in present]
        return missing

    def _busy_since(self, ref: ActorRef) -> float | None:
        worker = self._workers.get(ref.name)
        return worker.busy_since if worker is not None and worker.ref is ref else None

    def _spec(self, index: int, source: EntropySource | None) -> ChildSpec:
        plan, tests = self._reading(source)
        name = f"worker-{index}"
        # A graceful stop waits for the read in flight; one that outlasts the contribution
        # timeout is a hang, so the stop does not wait longer than that before cancelling.
        return ChildSpec(id=name, factory=partial(self._new_worker, name, plan, tests),
                         shutdown_timeout=self.policy.contribution_timeout)

    def _reading(self, source: EntropySource | None) -> _Reading:
        """How workers of ``source`` read and test it (``None``: the OS source), worked out
        once per source object: the default pool's ``os`` workers share one object, and
        every restart of a worker reuses its spec's."""
        known = self._readings.get(id(source))
        if known is not None and known[0] is source:
            return known[1:]
        health = self.options.health
        tests = None if health is None else fast_maker(health_for(health, source))
        reading = (None if source is None else plan_source(source), tests)
        self._readings[id(source)] = (source, *reading)
        return reading

    def _new_worker(self, name: str, plan: SourcePlan | None,
                    tests: Callable[[], HealthCheck] | None) -> EntropyWorker:
        """A fresh worker ``name`` (a child spec's factory, at every start)."""
        worker = EntropyWorker(plan, None if tests is None else tests(), self._startup)
        self._workers[name] = worker
        return worker


def _exit_listener(
    cluster: Cluster, quarantine: Quarantine, observer: Observer
) -> Callable[[str, Exit], bool]:
    """The supervisor's exit listener: the cluster judges its own workers, then quarantine;
    the observer counts the restart or quarantine. A function of its own, not a method: the
    supervisor holding the pool would keep a closed network for the garbage collector."""

    def on_child_exit(child_id: str, exit: Exit) -> bool:
        verdict = cluster.on_child_exit(child_id, exit)
        if verdict is not None:
            if verdict:
                observer.exited(child_id, exit, restarted=True)
            return verdict
        verdict = quarantine.on_exit(child_id, exit)
        observer.exited(child_id, exit, restarted=verdict)
        return verdict

    return on_child_exit
