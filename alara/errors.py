"""One exception hierarchy, so callers can catch everything alara raises with one clause.

The framework's errors (and the root, ``AlaraError``) are defined in ``alara.actors``
and re-exported here; the entropy network's own errors are defined below.
Messages name actors, children and reasons; they never carry entropy bytes.
"""

from __future__ import annotations

from alara.actors import (
    ActorDiedError,
    AlaraError,
    CallTimeoutError,
    SupervisorGaveUpError,
)

__all__ = [
    "ActorDiedError",
    "AlaraError",
    "CallTimeoutError",
    "HealthTestError",
    "NetworkClosedError",
    "NoWorkersError",
    "PoolDegradedError",
    "RequestTimeoutError",
    "SourceError",
    "SourceUnavailableError",
    "SupervisorGaveUpError",
    "SyncCallInLoopError",
    "TooManyRequestsError",
    "WorkerDiedError",
    "WrongLoopError",
]


class WorkerDiedError(ActorDiedError):
    """An entropy worker died and no replacement answered within the request deadline."""


class RequestTimeoutError(AlaraError, TimeoutError):
    """A request's own deadline (``timeout`` from its call) passed before enough contributions
    arrived, while no worker had failed: the sources were slower than the requests (overload,
    a slow device, a read not yet judged hung). The message names who had not answered."""


class NoWorkersError(AlaraError):
    """Too few live workers to serve a request (none, or fewer than ``min_sources``)."""


class NetworkClosedError(AlaraError):
    """The network was used before ``start()`` or after ``close()``."""


class SyncCallInLoopError(AlaraError, RuntimeError):
    """A blocking (sync) call was made from a running event loop: await the async API.

    Blocking there would stall every task of the loop, and deadlock if the loop is the one
    serving the call, so the sync API refuses at once instead.
    """


class SourceError(AlaraError):
    """An entropy source misbehaved (wrong type or wrong length); its worker crashes."""


class SourceUnavailableError(SourceError):
    """A source cannot be used on this machine: its device or CPU instruction is missing, or
    this process may not read it. The message says which, so an operator can act on it.

    Raised when the source is made, never as a silent switch to another kind of source.
    """


class HealthTestError(SourceError):
    """A continuous health test (NIST SP 800-90B 4.4) rejected a source's output."""


class PoolDegradedError(NoWorkersError):
    """A configured worker is gone (quarantined, terminated) and the policy fails closed.

    By default every configured worker must contribute to every output; the message names
    the missing workers and why. ``min_sources`` below the pool size opts in to serving
    from fewer (see ``docs/security.md``).
    """


class TooManyRequestsError(AlaraError):
    """Too many requests are already waiting for the network (``max_waiting``): retry later."""


class WrongLoopError(AlaraError):
    """The network was used from an event loop other than the one it was started on."""
