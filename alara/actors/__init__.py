"""The actor framework: actors with mailboxes, one-for-one supervision, supervision trees.

Nothing here knows about entropy; the entropy network is one user of it.
"""

from __future__ import annotations

from alara.actors.actor import Actor, ActorRef, Envelope, Exit, ExitKind, spawn
from alara.actors.nesting import SupervisorActor, supervisor_spec
from alara.actors.supervisor import Child, ChildSpec, OneForOneSupervisor, Restart

__all__ = [
    "Actor",
    "ActorRef",
    "Child",
    "ChildSpec",
    "Envelope",
    "Exit",
    "ExitKind",
    "OneForOneSupervisor",
    "Restart",
    "SupervisorActor",
    "spawn",
    "supervisor_spec",
]
