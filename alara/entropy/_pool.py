"""The pool: a network's supervised workers and everything that judges them.

This is the supervision side of a network (a worker's task ends, the supervisor sees it, the
cluster or the quarantine decides whether it comes back, the registry shows the new child);
``Network`` is the request side, which asks the pool's collector for contributions. Keeping
the two apart keeps both paths easy to follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alara.actors import ActorRef, ChildSpec, Exit, OneForOneSupervisor, check_int
from alara.entropy._cluster import Cluster, ClusterPool
from alara.entropy._collect import Collector, CollectPolicy
from alara.entropy._health import fast_maker
from alara.entropy._kinds import source_kind
from alara.entropy._limits import MAX_WORKERS
from alara.entropy._observe import Observer
from alara.entropy._options import NetworkOptions
from alara.entropy._quarantine import Quarantine
from alara.entropy._sources import EntropySource
from alara.entropy._worker import EntropyWorker

__all__ = ["Pool"]


class Pool:
    """The supervisor of a network's workers, their quarantine, cluster, observer, collector.

    ``sources`` has one entry per configured local worker (``None``: the OS CSPRNG); worker
    ``i`` is the supervisor's child ``worker-i``.
    """

    def __init__(self, options: NetworkOptions, cluster: Cluster) -> None:
        self.options = options
        self.cluster = cluster
        self.sources: list[EntropySource | None] = (
            [None] * options.size if options.sources is None else list(options.sources))
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

    async def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the local workers, then the observer's probes of ``loop``."""
        await self.supervisor.start()
        self.observer.start(loop)

    async def join_cluster(self) -> None:
        """Let the cluster add its remote workers, then check ``min_sources`` against all.

        Raises:
            ClusterError: as the cluster's ``start``.
            ValueError: ``min_sources`` is above the whole pool's size.
        """
        supervisor, collector, local = self.supervisor, self.collector, len(self.sources)

        async def remove_worker(child_id: str) -> None:
            if supervisor.running and supervisor.child_ref(child_id) is not None:
                await supervisor.terminate_child(child_id)

        def set_remote(count: int) -> None:  # machines count as configured workers
            collector.configured = local + count

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
        """Stop following the cluster's membership, then every worker; let go of the hooks."""
        await self.cluster.stop()
        await self.supervisor.stop()
        self.collector.detach()

    async def add_worker(self, source: EntropySource | None) -> ActorRef:
        """Grow the pool by one supervised worker; it is required from now on (fail closed).

        Raises:
            ValueError: the pool would exceed ``MAX_WORKERS``.
        """
        check_int("workers", len(self.sources) + 1, 1, MAX_WORKERS)
        self.sources.append(source)
        ref = await self.supervisor.add_child(self._spec(len(self.sources) - 1, source))
        self.collector.configured = len(self.sources)
        return ref

    def missing(self) -> list[str]:
        """The configured workers no longer in the registry, each with why."""
        present = {child.id for child in self.supervisor.which_children()}
        records = {record.worker: record for record in self.quarantine.records()}
        missing = []
        for index in range(len(self.sources)):
            name = f"worker-{index}"
            if name in present:
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
        startup, workers = self.options.startup, self._workers
        health = self.options.health
        tests = None if health is None else fast_maker(health)
        name = f"worker-{index}"
        self.observer.name_worker(name, source_kind(source))

        def factory() -> EntropyWorker:
            worker = EntropyWorker(source, None if tests is None else tests(), startup)
            workers[name] = worker
            return worker

        # A graceful stop waits for the read in flight; one that outlasts the contribution
        # timeout is a hang, so the stop does not wait longer than that before cancelling.
        return ChildSpec(id=name, factory=factory,
                         shutdown_timeout=self.policy.contribution_timeout)


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
