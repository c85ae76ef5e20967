"""``NetworkStatus``: what an operator or a health check asks of a network, in one snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from alara.entropy._health import HealthCheck, HealthPolicy
from alara.entropy._reservoir import ReservoirSource

if TYPE_CHECKING:
    from alara.entropy._pool import Pool

__all__ = ["NetworkStatus", "QuarantineInfo", "pool_status"]


@dataclass(frozen=True, slots=True)
class QuarantineInfo:
    """Why one worker was quarantined (the failures counted and the last reason), and its
    recovery: retries that failed so far, the last one's failure, and when the next one runs
    (``time.time()`` seconds; ``None`` while one is running)."""

    failures: int
    reason: str
    retries: int = 0
    last_retry_failure: str = ""
    next_retry: float | None = None


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
    """The cluster's summary and machines (``None`` without remote workers)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Each configured worker's source kind (``os``, ``hwrng``, ``cpu``, ``remote``, or the
    class name of an application's source)."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """For a default pool: each kind discovery found missing on this machine, and why."""
    reservoirs: dict[str, int] = field(default_factory=dict)
    """Unread device bytes in the reservoir of each worker whose source has one."""

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as plain dicts, lists, strings and numbers (``json.dumps``-able)."""
        data = asdict(self)
        data["running"] = list(self.running)
        data["restarting"] = list(self.restarting)
        data["missing"] = list(self.missing)
        return data


def pool_status(pool: Pool, state: str) -> NetworkStatus:
    """The status of ``pool``, whose network is in ``state`` (``"open"``, ``"closed"``...)."""
    children = pool.supervisor.which_children()
    collector, quarantine = pool.collector, pool.quarantine
    missing = pool.missing()
    reason = _unavailable(state, pool.supervisor.error, len(children), collector.configured,
                          collector.required, missing)
    summary = pool.cluster.describe()
    return NetworkStatus(
        state=state,
        serving=reason is None,
        reason=reason,
        workers=len(children),
        configured=collector.configured,
        required=collector.required,
        running=tuple(child.id for child in children if child.alive),
        restarting=tuple(child.id for child in children if not child.alive),
        missing=tuple(missing),
        quarantined=_quarantined(pool),
        gave_up=pool.supervisor.error is not None,
        waiting=collector.waiting,
        min_sources=pool.policy.min_sources,
        timeout=pool.policy.timeout,
        contribution_timeout=pool.policy.contribution_timeout,
        quarantine_after=quarantine.after,
        quarantine_period=quarantine.period,
        health=_health_summary(pool.options.health),
        cluster=None if summary is None else {
            **summary, "nodes": [node.to_dict() for node in pool.cluster.nodes()]},
        sources=_kinds(pool),
        unavailable=dict(pool.unavailable),
        reservoirs={f"worker-{index}": source.level
                    for index, source in enumerate(pool.sources)
                    if isinstance(source, ReservoirSource)
                    and f"worker-{index}" not in pool.removed},
    )


def _quarantined(pool: Pool) -> dict[str, QuarantineInfo]:
    info = {}
    for record in pool.quarantine.records():
        retry = pool.recovery.info(record.worker)
        info[record.worker] = QuarantineInfo(
            record.failures, record.reason,
            0 if retry is None else retry.retries,
            "" if retry is None else retry.last_failure,
            None if retry is None else retry.next_retry)
    return info


def _kinds(pool: Pool) -> dict[str, str]:
    return {worker: kind for worker, kind in pool.kinds().items() if worker not in pool.removed}


def _unavailable(state: str, error: BaseException | None, present: int, configured: int,
                 required: int, missing: list[str]) -> str | None:
    """Why a request made now could not be served (``None``: it could)."""
    if state == "loop_closed":
        return "the event loop the network was started on has closed"
    if state != "open":
        return f"network is {state}"
    if error is not None:
        return str(error)
    if present < required:
        return (f"{present} of {configured} configured workers present, {required} "
                f"required; missing: " + "; ".join(missing))
    return None


def _health_summary(
    health: Callable[[], HealthCheck] | None,
) -> dict[str, float | int] | str | None:
    if isinstance(health, HealthPolicy):
        return {"min_entropy": health.min_entropy, "alpha": health.alpha,
                "rct_cutoff": health.rct_cutoff, "apt_cutoff": health.apt_cutoff,
                "startup_samples": health.startup_samples}
    return None if health is None else "custom"
