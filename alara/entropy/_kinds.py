"""What kind a source is, and the health tests its claim calls for.

A source may declare ``kind`` (a short name: ``"os"``, ``"hwrng"``, ``"cpu"``, ``"remote"``)
and ``min_entropy`` (the min-entropy per byte it claims, in bits). Sources of the application
declare neither and are named by their class; their claim is the health policy's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from alara.entropy._health import DEFAULT_HEALTH, MIN_ENTROPY_FLOOR, HealthCheck, HealthPolicy

__all__ = ["claimed_min_entropy", "health_for", "source_kind"]


def source_kind(source: object) -> str:
    """``source``'s declared ``kind``, else its class name; ``None`` (the default) is ``"os"``."""
    if source is None:
        return "os"
    kind = getattr(source, "kind", None)
    return kind if isinstance(kind, str) and kind else type(source).__name__


def claimed_min_entropy(source: object) -> float | None:
    """The min-entropy per byte ``source`` claims, or ``None`` if it claims none (or nonsense)."""
    claim = getattr(source, "min_entropy", None)
    if type(claim) is float and MIN_ENTROPY_FLOOR <= claim <= 8.0:
        return claim
    return None


def health_for(
    health: Callable[[], HealthCheck], source: object
) -> Callable[[], HealthCheck]:
    """The health tests for a worker of ``source`` under the network's ``health``.

    The default policy (``DEFAULT_HEALTH``) is tuned to each source's own claim, so a device
    that claims little is tested with cutoffs it can meet. A policy or factory the caller
    passed is used as given, for every source: it is an explicit choice.
    """
    claim = claimed_min_entropy(source)
    if health is DEFAULT_HEALTH and claim is not None and claim != DEFAULT_HEALTH.min_entropy:
        policy: HealthPolicy = replace(DEFAULT_HEALTH, min_entropy=claim)
        return policy
    return health
