"""One exception hierarchy, so callers can catch everything alara raises with one clause.

Messages name actors, children and reasons; they never carry entropy bytes.
"""

from __future__ import annotations

__all__ = [
    "ActorDiedError",
    "AlaraError",
    "CallTimeoutError",
    "HealthTestError",
    "NetworkClosedError",
    "NoWorkersError",
    "SourceError",
    "SupervisorGaveUpError",
    "WorkerDiedError",
]


class AlaraError(Exception):
    """Root of every error alara raises on purpose."""


class ActorDiedError(AlaraError):
    """The actor stopped or crashed before it could answer.

    Raised at once to every caller waiting on the actor (queued or in flight) and to
    every later call on its ref: a dead actor never leaves a caller hanging.
    """

    def __init__(self, actor: str, reason: str) -> None:
        super().__init__(f"actor {actor!r} is not running: {reason}")
        self.actor = actor
        self.reason = reason


class WorkerDiedError(ActorDiedError):
    """An entropy worker died and no replacement answered within the request deadline."""


class CallTimeoutError(AlaraError, TimeoutError):
    """A call got no reply within its timeout (the actor itself may still be alive)."""


class SupervisorGaveUpError(AlaraError):
    """Children crashed more often than the restart intensity allows; the supervisor stopped.

    This is OTP's escalation: the pool is not silently dead, its owner is told.
    """


class NoWorkersError(AlaraError):
    """Too few live workers to serve a request (none, or fewer than ``min_sources``)."""


class NetworkClosedError(AlaraError):
    """The network was used before ``start()`` or after ``close()``."""


class SourceError(AlaraError):
    """An entropy source misbehaved (wrong type or wrong length); its worker crashes."""


class HealthTestError(SourceError):
    """A continuous health test (NIST SP 800-90B 4.4) rejected a source's output."""
