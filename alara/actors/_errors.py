"""The framework's errors, and the root of every error alara raises.

``AlaraError`` lives here, in the bottom layer, so that the actor framework needs nothing from
the entropy layer and one ``except AlaraError`` still catches everything the package raises.
Messages name actors, children and reasons; they never carry message payloads.
"""

from __future__ import annotations

__all__ = [
    "ActorDiedError",
    "AlaraError",
    "CallTimeoutError",
    "MailboxFullError",
    "SupervisorGaveUpError",
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


class MailboxFullError(AlaraError):
    """The actor's mailbox already holds ``capacity`` messages: the message was not sent.

    Backpressure, failing fast: a producer that outruns its actor learns it at the first
    message too many, instead of the mailbox growing until the process runs out of memory.
    Slow down and retry, shed the load, or give the actor a larger ``mailbox_capacity``.
    """

    def __init__(self, actor: str, capacity: int) -> None:
        super().__init__(
            f"mailbox of actor {actor!r} is full ({capacity} messages waiting); message refused"
        )
        self.actor = actor
        self.capacity = capacity


class CallTimeoutError(AlaraError, TimeoutError):
    """A call got no reply within its timeout (the actor itself may still be alive)."""


class SupervisorGaveUpError(AlaraError):
    """Children crashed more often than the restart intensity allows; the supervisor stopped.

    This is OTP's escalation: the pool is not silently dead, its owner is told.
    """
