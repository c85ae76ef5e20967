"""The actor framework: actors with bounded mailboxes, OTP supervision, supervision trees.

Nothing here knows about entropy; the entropy network is one user of it. ``docs/actors.md``
is the guide.
"""

from __future__ import annotations

from alara.actors._actor import Actor, Envelope, Exit, ExitKind
from alara.actors._errors import (
    ActorDiedError,
    AlaraError,
    CallTimeoutError,
    MailboxFullError,
    SupervisorGaveUpError,
)
from alara.actors._log import EventLogger, get_logger
from alara.actors._mailbox import DEFAULT_CAPACITY
from alara.actors._ref import ActorRef
from alara.actors._spawn import spawn
from alara.actors._specs import Child, ChildSpec, Restart, Strategy
from alara.actors._supervisor import OneForOneSupervisor, Supervisor, supervisor_spec
from alara.actors._validation import check_callable, check_int, check_positive_float, check_real

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
    "EventLogger",
    "Exit",
    "ExitKind",
    "MailboxFullError",
    "OneForOneSupervisor",
    "Restart",
    "Strategy",
    "Supervisor",
    "SupervisorGaveUpError",
    "check_callable",
    "check_int",
    "check_positive_float",
    "check_real",
    "get_logger",
    "spawn",
    "supervisor_spec",
]
