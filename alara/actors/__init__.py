"""The actor framework: actors with bounded mailboxes, OTP supervision, supervision trees.

Nothing here knows about entropy; the entropy network is one user of it. ``docs/actors.md``
is the guide.
"""

from __future__ import annotations

from alara.actors.actor import Actor, ActorRef, Envelope, Exit, ExitKind, spawn
from alara.actors.errors import (
    ActorDiedError,
    AlaraError,
    CallTimeoutError,
    MailboxFullError,
    SupervisorGaveUpError,
)
from alara.actors.mailbox import DEFAULT_CAPACITY
from alara.actors.nesting import SupervisorActor, supervisor_spec
from alara.actors.supervisor import (
    Child,
    ChildSpec,
    OneForOneSupervisor,
    Restart,
    Strategy,
    Supervisor,
)

__all__ = [
    "DEFAULT_CAPACITY",
    "Actor",
    "ActorDiedError",
    "ActorRef",
    "AlaraError",
    "CallTimeoutError",
    "Child",
    "ChildSpec",
    "Envelope",
    "Exit",
    "ExitKind",
    "MailboxFullError",
    "OneForOneSupervisor",
    "Restart",
    "Strategy",
    "Supervisor",
    "SupervisorActor",
    "SupervisorGaveUpError",
    "spawn",
    "supervisor_spec",
]
