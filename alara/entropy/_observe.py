"""What a network counts about itself, for operators and metrics exporters.

Every ``Network`` keeps one ``Observer``: plain counters and one latency histogram, updated by
the network as things happen (a request served or refused, a worker restarted or quarantined,
a health test failing) and copied out by ``Network.metrics()`` as a frozen ``MetricsSnapshot``.
No dependency and no background work: exporters (``alara.prometheus``, ``alara.otel``) read a
snapshot and ``Network.status()`` when they are scraped, so an application that exports
nothing pays only the counting.

Counting happens on the request path, so it is kept to a few integer additions per request;
requests are timed by round (the collector's ``timed``), from each caller's arrival to the end
of the round that served it, with one clock read and a few ``bisect`` calls per round. Labels
are bounded: a worker id (``worker-3``, a pool slot, not a process), a source kind, a health
test, an outcome.

Refusals (the pool below its floor, too many requests waiting, a closed network, a supervisor
that gave up) are also logged as ``network.refused`` WARNING events, and other failed requests
(a deadline passed, an error) as ``network.request_failed``: at most one event per outcome per
``REFUSAL_LOG_INTERVAL`` seconds, with the number of failures folded into it, so a burst of a
thousand refused requests is one line, not a thousand.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alara.actors import Exit, ExitKind, get_logger
from alara.errors import (
    HealthTestError,
    NetworkClosedError,
    NoWorkersError,
    SupervisorGaveUpError,
    TooManyRequestsError,
    WorkerDiedError,
)

__all__ = [
    "DURATION_BUCKETS",
    "LAG_INTERVAL",
    "OUTCOMES",
    "REFUSAL_LOG_INTERVAL",
    "MetricsSnapshot",
    "Observer",
    "health_test_name",
    "outcome_of",
]

DURATION_BUCKETS: tuple[float, ...] = (
    50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
)
"""Upper bounds (seconds) of the request-duration histogram: a local request takes tens of
microseconds, so the buckets start at 50 µs rather than at a web server's 5 ms."""
OUTCOMES: tuple[str, ...] = ("served", "degraded", "timeout", "too_many", "closed", "error")
"""How a request ends: served; refused because the pool is below its floor or its supervisor
gave up (``degraded``); too few contributions before the deadline (``timeout``); refused at
once because ``max_waiting`` callers wait (``too_many``); the network is closed (``closed``);
anything else (``error``: bad arguments, a wrong loop)."""
REFUSAL_LOG_INTERVAL = 1.0
"""Least seconds between two ``network.refused`` events of the same outcome."""
LAG_INTERVAL = 0.5
"""Seconds between two event-loop lag probes while a network is open."""
LAG_WINDOW = 20
"""Probes the lag gauge looks back over (the largest lateness of the last ten seconds)."""

_log = get_logger("network")
_BUCKETS = DURATION_BUCKETS
_REFUSED = frozenset({"degraded", "too_many", "closed"})


def outcome_of(error: BaseException) -> str:
    """The ``OUTCOMES`` entry a request that raised ``error`` is counted under."""
    if isinstance(error, (NoWorkersError, SupervisorGaveUpError)):
        return "degraded"
    if isinstance(error, (WorkerDiedError, TimeoutError)):
        return "timeout"
    if isinstance(error, TooManyRequestsError):
        return "too_many"
    if isinstance(error, NetworkClosedError):
        return "closed"
    return "error"


def health_test_name(error: BaseException) -> str:
    """The short name of the health test that raised ``error`` (``rct``, ``apt``, ...).

    A test that names itself (a ``test`` attribute) is taken at its word; the NIST tests and
    the repeated-block test are recognised by their messages; any other test is ``other``.
    """
    named = getattr(error, "test", None)
    if isinstance(named, str) and named:
        return named
    message = str(error)
    if "repetition count" in message:
        return "rct"
    if "adaptive proportion" in message:
        return "apt"
    if "repeated block" in message:
        return "block"
    return "other"


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """A network's counters at one moment (``Network.metrics()``); ``to_dict()`` for JSON.

    Counters only grow while the network lives. ``duration_counts[i]`` counts the requests
    that took at most ``duration_bounds[i]`` seconds and more than the bound before it; its
    last entry counts those slower than every bound. A served request is timed from its call
    until its contributions are in (the end of its round, mixing left out), a failed one
    until its error. ``contributions`` maps a worker and its
    source kind to the contributions it gave requests that were served; ``restarts``,
    ``quarantines`` and ``health_test_failures`` are keyed by worker (and test: ``rct``,
    ``apt``, ``block``). ``loop_lag`` is the largest lateness (seconds) of the loop's timers
    over the last ``LAG_WINDOW`` probes (0.0 before the first probe).
    """

    requests: dict[str, int]
    duration_bounds: tuple[float, ...]
    duration_counts: tuple[int, ...]
    duration_sum: float
    served_bytes: int
    contributions: dict[tuple[str, str], int]
    health_test_failures: dict[tuple[str, str], int]
    quarantines: dict[str, int]
    restarts: dict[str, int]
    loop_lag: float = 0.0
    refusal_reasons: dict[str, str] = field(default_factory=dict)
    """The message of the latest failure of each failed outcome (no secret ever in it)."""

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as plain JSON-able values (tuple keys joined with ``/``)."""
        return {
            "requests": dict(self.requests),
            "duration_bounds": list(self.duration_bounds),
            "duration_counts": list(self.duration_counts),
            "duration_sum": self.duration_sum,
            "served_bytes": self.served_bytes,
            "contributions": {"/".join(key): n for key, n in self.contributions.items()},
            "health_test_failures": {
                "/".join(key): n for key, n in self.health_test_failures.items()},
            "quarantines": dict(self.quarantines),
            "restarts": dict(self.restarts),
            "loop_lag": self.loop_lag,
            "refusal_reasons": dict(self.refusal_reasons),
        }


class Observer:
    """The live counters of one network; the network calls it, ``snapshot()`` reads it.

    Methods run on the network's loop thread only, so no lock: ``snapshot()`` copies the
    counters in one go, on that thread too (``read_network`` hops there).
    """

    __slots__ = ("_durations", "_lag", "_lag_handle", "_pool", "_refusals",
                 "contributions", "duration_sum", "failures", "health_failures", "pooled",
                 "quarantines", "restarts", "served_bytes")

    def __init__(self) -> None:
        self.failures = dict.fromkeys(OUTCOMES[1:], 0)
        self._durations = [0] * (len(_BUCKETS) + 1)
        self.duration_sum = 0.0
        self.served_bytes = 0
        self.contributions: dict[str, int] = {}
        self._pool: list[str] = []
        self.pooled = 0
        """Requests served by the whole of ``_pool`` since it was set (see ``pool``)."""
        self.health_failures: dict[tuple[str, str], int] = {}
        self.quarantines: dict[str, int] = {}
        self.restarts: dict[str, int] = {}
        self._refusals: dict[str, _Refusals] = {}
        self._lag: deque[float] = deque(maxlen=LAG_WINDOW)
        self._lag_handle: asyncio.TimerHandle | None = None

    # -- called by the network -------------------------------------------------------------

    def timed_alone(self, seconds: float) -> None:
        """A caller who had a round to itself was given its contributions after ``seconds``."""
        self._durations[bisect_left(_BUCKETS, seconds)] += 1
        self.duration_sum += seconds

    def timed(self, arrivals: Sequence[float], ended: float) -> None:
        """Requests that arrived at ``arrivals`` (ascending, on the loop's clock) were all
        given their contributions at ``ended``: one round, timed once.

        A request is timed from its arrival to the end of the round that serves it. For a
        round of many callers, each bucket's count is one ``bisect`` into the arrivals
        (a request took at most ``bound`` if it arrived at ``ended - bound`` or later), so
        the cost is per round, not per caller.
        """
        count = len(arrivals)
        durations = self._durations
        self.duration_sum += count * ended - sum(arrivals)
        if count < len(_BUCKETS):
            for arrived in arrivals:
                durations[bisect_left(_BUCKETS, ended - arrived)] += 1
            return
        within_previous = 0
        for index, bound in enumerate(_BUCKETS):
            within = count - bisect_left(arrivals, ended - bound)
            durations[index] += within - within_previous
            within_previous = within
        durations[-1] += count - within_previous

    def failed(self, error: BaseException, seconds: float) -> None:
        """A request ended with ``error`` after ``seconds`` (a refusal is also logged)."""
        outcome = outcome_of(error)
        self.failures[outcome] += 1
        self._durations[bisect_left(_BUCKETS, seconds)] += 1
        self.duration_sum += seconds
        refusals = self._refusals.get(outcome)
        if refusals is None:
            refusals = self._refusals[outcome] = _Refusals()
        refusals.refused(outcome, error)

    def contributed(self, workers: list[str], callers: int) -> None:
        """Each of ``workers`` gave one contribution to each of ``callers`` requests."""
        contributions = self.contributions
        for worker in workers:
            contributions[worker] = contributions.get(worker, 0) + callers

    def pool(self, workers: list[str]) -> None:
        """From now on ``pooled += 1`` means: each of ``workers`` gave one contribution.

        A lone caller served by the whole, unchanged pool (the usual case) then costs one
        addition rather than one per worker; the count is spread over the workers here and
        at every snapshot.
        """
        self._spread()
        self._pool = workers

    def _spread(self) -> None:
        if self.pooled:
            self.contributed(self._pool, self.pooled)
            self.pooled = 0

    def exited(self, worker: str, exit: Exit, restarted: bool) -> None:
        """Worker ``worker`` ended with ``exit``; ``restarted``: it is being restarted (else
        quarantined, when the exit blames its source)."""
        if exit.kind is ExitKind.CRASHED and isinstance(exit.error, HealthTestError):
            key = (worker, health_test_name(exit.error))
            self.health_failures[key] = self.health_failures.get(key, 0) + 1
        if restarted:
            self.restarts[worker] = self.restarts.get(worker, 0) + 1
        else:
            self.quarantines[worker] = self.quarantines.get(worker, 0) + 1

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Probe ``loop``'s lateness every ``LAG_INTERVAL`` seconds until ``stop()``."""
        due = loop.time() + LAG_INTERVAL
        self._lag_handle = loop.call_at(due, self._probe, loop, due)

    def stop(self) -> None:
        """Stop the lag probe (the network is closing)."""
        if self._lag_handle is not None:
            self._lag_handle.cancel()
            self._lag_handle = None

    def _probe(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        """A timer due at ``due`` runs now: how late it is, then the next probe."""
        now = loop.time()
        self._lag.append(max(0.0, now - due))
        due = now + LAG_INTERVAL
        self._lag_handle = loop.call_at(due, self._probe, loop, due)

    # -- read by exporters -----------------------------------------------------------------

    def snapshot(self, kinds: Mapping[str, str]) -> MetricsSnapshot:
        """A frozen copy of every counter; ``kinds`` maps each worker the network has made
        to its source's kind (the contributions' label), read at the time of the call."""
        self._spread()
        contributions = dict.fromkeys(kinds, 0)  # a worker that has given nothing yet shows 0
        contributions.update(self.contributions)
        failures = self.failures
        return MetricsSnapshot(
            requests={"served": sum(self._durations) - sum(failures.values()), **failures},
            duration_bounds=_BUCKETS,
            duration_counts=tuple(self._durations),
            duration_sum=self.duration_sum,
            served_bytes=self.served_bytes,
            # a worker the network did not make itself is a cluster's remote worker
            contributions={(worker, kinds.get(worker, "remote")): count
                           for worker, count in contributions.items()},
            health_test_failures=dict(self.health_failures),
            quarantines=dict(self.quarantines),
            restarts=dict(self.restarts),
            loop_lag=max(self._lag, default=0.0),
            refusal_reasons={outcome: refusals.reason
                             for outcome, refusals in self._refusals.items()},
        )


class _Refusals:
    """The failures of one outcome since its last log event (one event per interval):
    ``network.refused`` for a refusal, ``network.request_failed`` for a timeout or an error."""

    __slots__ = ("logged_at", "reason", "unlogged")

    def __init__(self) -> None:
        self.logged_at = -REFUSAL_LOG_INTERVAL
        self.unlogged = 0
        self.reason = ""

    def refused(self, outcome: str, error: BaseException) -> None:
        self.reason = str(error)
        self.unlogged += 1
        now = time.monotonic()
        if now - self.logged_at >= REFUSAL_LOG_INTERVAL:
            event = "network.refused" if outcome in _REFUSED else "network.request_failed"
            _log.warning(event, outcome=outcome, error=type(error).__name__,
                         reason=self.reason, count=self.unlogged)
            self.logged_at, self.unlogged = now, 0
