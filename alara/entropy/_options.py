"""``NetworkOptions``: every setting of a network, validated once, in one frozen object.

``Network``, ``create_network``, ``BlockingNetwork`` and the environment reader all build
one of these, so a setting has one name, one default and one check wherever it is given.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from alara.actors import check_int, check_positive_float
from alara.entropy._cluster import Cluster
from alara.entropy._collect import DEFAULT_MAX_WAITING
from alara.entropy._health import DEFAULT_HEALTH, HealthCheck, HealthPolicy
from alara.entropy._limits import MAX_CONTRIBUTION, MAX_WORKERS
from alara.entropy._mixing import MIN_CONTRIBUTION
from alara.entropy._quarantine import DEFAULT_QUARANTINE_AFTER, DEFAULT_QUARANTINE_PERIOD
from alara.entropy._recovery import DEFAULT_RETRY_CAP
from alara.entropy._sources import EntropySource, has_read

__all__ = ["DEFAULT_CLOSE_TIMEOUT", "ENVIRONMENT", "NetworkKeywords", "NetworkOptions"]

DEFAULT_CLOSE_TIMEOUT = 10.0
"""Default bound (seconds) on ``close()``: workers still running after it are abandoned."""
DEFAULT_WORKERS = 3
"""Pool size when neither ``workers`` nor ``sources`` is given."""
_MAX_SECONDS = 3600.0  # the longest timeout a network accepts

ENVIRONMENT: dict[str, tuple[str, type[int] | type[float]]] = {
    "ALARA_WORKERS": ("workers", int),
    "ALARA_MIN_SOURCES": ("min_sources", int),
    "ALARA_TIMEOUT": ("timeout", float),
    "ALARA_CONTRIBUTION_TIMEOUT": ("contribution_timeout", float),
}
"""Each environment variable ``from_environment`` reads, the option it sets and its type."""


@dataclass(frozen=True)
class NetworkOptions:
    """The settings of a network; invalid values are refused when the object is made.

    * ``workers``: pool size, 1..``MAX_WORKERS``; default 3, or ``len(sources)``.
    * ``sources``: one ``EntropySource`` per worker; default: the machine's independent
      sources, one worker per kind ``discover_sources()`` finds (``os``, ``hwrng``, ``cpu``),
      topped up with the OS CSPRNG to ``workers`` (``docs/security.md``).
      Synchronous sources that do not declare ``max_inline_read`` are read in worker threads,
      so a blocking source cannot stall the others (``docs/architecture.md``).
    * ``max_restarts`` / ``period``: restart intensity (ALARA: 10 in 5 s); beyond it the
      supervisor gives up and every request raises ``SupervisorGaveUpError``.
    * ``timeout``: the most any request waits for its contributions, from its call:
      queueing behind other requests, retries on restarted workers and hung sources
      included. A request above 256 KiB then mixes for a time that grows with its size,
      with the loop free; wrap the call in ``asyncio.timeout`` to bound that too (a
      cancelled mix frees everything it held).
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
      quarantined (default 3 in 60 s; ``None``: never). See ``Network.status()``.
    * ``quarantine_retry_cap``: a quarantined worker is retried (start-up tests on fresh
      output, then re-admitted) ``quarantine_period`` seconds after it was quarantined, then
      after twice that, and so on up to this many seconds between retries (default 3600).
    * ``max_waiting``: the most requests that may wait for a round; one more raises
      ``TooManyRequestsError`` at once (default 100,000).
    * ``close_timeout``: the most ``close()`` waits for the workers to stop (default 10 s).
    * ``cluster``: remote workers, one per chosen machine of a cluster (e.g.
      ``alara.ray.RayCluster(...)``), added to the ``workers`` local ones (which may then be
      0). They count as configured workers: a machine that is down is missing from the pool
      (fail closed), and ``min_sources`` is checked against the whole pool at ``start()``.
      A remote worker is judged by its own ``remote_timeout``. See ``docs/distributed.md``.

    ``dataclasses.replace(options, timeout=2.0)`` makes a changed copy, checked again.

    Raises:
        TypeError: an option has the wrong type (``health=HealthPolicy``, the class, too).
        ValueError: an option is out of its range (each message names it and the range).
    """

    workers: int | None = None
    sources: Sequence[EntropySource] | None = None
    max_restarts: int = 10
    period: float = 5.0
    timeout: float = 5.0
    contribution_timeout: float = 1.0
    min_sources: int | None = None
    contribution_size: int = MIN_CONTRIBUTION
    health: Callable[[], HealthCheck] | None = DEFAULT_HEALTH
    quarantine_after: int | None = DEFAULT_QUARANTINE_AFTER
    quarantine_period: float = DEFAULT_QUARANTINE_PERIOD
    quarantine_retry_cap: float = DEFAULT_RETRY_CAP
    max_waiting: int = DEFAULT_MAX_WAITING
    close_timeout: float = DEFAULT_CLOSE_TIMEOUT
    cluster: Cluster | None = None

    def __post_init__(self) -> None:
        _check_cluster(self.cluster)
        self._set("sources", _checked_sources(self.sources))
        self._set("workers", _checked_workers(self.workers, self.sources, self.cluster))
        self._set("max_restarts", check_int("max_restarts", self.max_restarts, 0, 10**9))
        self._set("period", check_positive_float("period", self.period))
        for name in ("timeout", "contribution_timeout", "close_timeout"):
            self._set(name, check_positive_float(name, getattr(self, name), _MAX_SECONDS))
        if self.min_sources is not None:
            most = MAX_WORKERS if self.cluster is not None else self.size
            self._set("min_sources", check_int("min_sources", self.min_sources, 1, most))
        self._set("contribution_size", check_int(
            "contribution_size", self.contribution_size, MIN_CONTRIBUTION, MAX_CONTRIBUTION))
        _check_health(self.health)
        if self.quarantine_after is not None:
            self._set("quarantine_after",
                      check_int("quarantine_after", self.quarantine_after, 1, 1_000_000))
        self._set("quarantine_period",
                  check_positive_float("quarantine_period", self.quarantine_period, 86_400.0))
        self._set("quarantine_retry_cap", check_positive_float(
            "quarantine_retry_cap", self.quarantine_retry_cap, 30 * 86_400.0))
        self._set("max_waiting", check_int("max_waiting", self.max_waiting, 1, 1 << 30))

    def _set(self, name: str, value: object) -> None:
        """Store a checked (normalised) value: the frozen dataclass's own idiom."""
        object.__setattr__(self, name, value)

    @property
    def size(self) -> int:
        """The local pool size these options ask for (``workers``, ``len(sources)`` or 3)."""
        if self.sources is not None:
            return len(self.sources)
        return DEFAULT_WORKERS if self.workers is None else self.workers

    @property
    def startup(self) -> int:
        """Bytes of the start-up health test each worker runs (``0``: none)."""
        health = self.health
        return health.startup_samples if isinstance(health, HealthPolicy) else 0

    @classmethod
    def build(cls, workers: int | None, options: NetworkOptions | None,
              keywords: Mapping[str, Any]) -> NetworkOptions:
        """``options`` (default: all defaults) with ``workers`` and ``keywords`` applied.

        The one rule of ``Network(...)``, ``create_network(...)`` and ``BlockingNetwork(...)``:
        keywords given next to an ``options`` object override its values.

        Raises:
            TypeError: ``options`` is not a ``NetworkOptions``, or an unknown keyword.
            ValueError: as ``NetworkOptions``.
        """
        if options is not None and not isinstance(options, NetworkOptions):
            raise TypeError(f"options must be a NetworkOptions, got {type(options).__name__}")
        changes = dict(keywords) if workers is None else {**keywords, "workers": workers}
        if options is None:
            return cls(**changes)
        return dataclasses.replace(options, **changes) if changes else options

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> NetworkOptions:
        """The options the ``ALARA_*`` variables set, the defaults for the rest.

        The module-level API (``await alara.token_hex()``) and ``alara.secrets`` start their
        default network with these, so an operator sizes it the way a deployment sets
        everything else. Read: ``ALARA_WORKERS`` (int), ``ALARA_MIN_SOURCES`` (int),
        ``ALARA_TIMEOUT`` and ``ALARA_CONTRIBUTION_TIMEOUT`` (float seconds); unset or
        blank variables keep the defaults. ``environ`` defaults to ``os.environ``.

        Raises:
            ValueError: a variable is not a number of its type, or out of its option's
                range; the message names the variable, its value and the range.
        """
        environ = os.environ if environ is None else environ
        values = _parse_environment(environ)
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            given = [variable for variable, (option, _) in ENVIRONMENT.items()
                     if option in values]
            named = [variable for variable in given
                     if str(error).startswith(f"{ENVIRONMENT[variable][0]} ")] or given
            shown = ", ".join(f"{variable}={environ[variable]!r}" for variable in named)
            raise ValueError(f"alara settings from the environment ({shown}): {error}") from None


class NetworkKeywords(TypedDict, total=False):
    """``NetworkOptions``' fields but ``workers``, as typed keyword arguments (``**kw``)."""

    sources: Sequence[EntropySource] | None
    max_restarts: int
    period: float
    timeout: float
    contribution_timeout: float
    min_sources: int | None
    contribution_size: int
    health: Callable[[], HealthCheck] | None
    quarantine_after: int | None
    quarantine_period: float
    quarantine_retry_cap: float
    max_waiting: int
    close_timeout: float
    cluster: Cluster | None


def _parse_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for variable, (option, kind) in ENVIRONMENT.items():
        text = environ.get(variable)
        if text is None or not text.strip():
            continue
        try:
            values[option] = kind(text)
        except ValueError:
            raise ValueError(
                f"{variable} must be {'an int' if kind is int else 'a number'}, got {text!r}"
            ) from None
    return values


def _check_cluster(cluster: object) -> None:
    if cluster is not None and not callable(getattr(cluster, "on_child_exit", None)):
        raise TypeError(f"cluster must be a Cluster (e.g. alara.ray.RayCluster), "
                        f"got {type(cluster).__name__}")


def _checked_sources(sources: object) -> tuple[EntropySource, ...] | None:
    if sources is None:
        return None
    if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
        raise TypeError("sources must be a sequence of EntropySource objects")
    check_int("len(sources)", len(sources), 1, MAX_WORKERS)
    for source in sources:
        if not has_read(source):
            raise TypeError(f"sources: {type(source).__name__} has no read(n) method")
    return tuple(sources)


def _checked_workers(workers: object, sources: Sequence[object] | None,
                     cluster: object) -> int | None:
    """``workers`` checked; a network of remote workers only may have no local one."""
    if workers is None:
        return None
    checked = check_int("workers", workers, 0 if cluster is not None else 1, MAX_WORKERS)
    if sources is not None and checked != len(sources):
        raise ValueError(f"workers ({checked}) must equal len(sources) ({len(sources)})")
    return checked


def _check_health(health: object) -> None:
    if isinstance(health, type) and issubclass(health, HealthPolicy):
        raise TypeError(
            "health must be a HealthPolicy instance (e.g. HealthPolicy()), a factory of "
            "health checks, or None; got the class HealthPolicy itself"
        )
    if health is not None and not callable(health):
        raise TypeError("health must be a callable returning a health check")
