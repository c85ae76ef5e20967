"""What a supervisor is given and what it shows: restart types, strategies, child specs, and
the rows of its live registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from alara.actors._actor import Actor
from alara.actors._mailbox import DEFAULT_CAPACITY, MAX_CAPACITY
from alara.actors._ref import ActorRef
from alara.actors._validation import check_callable, check_int, check_positive_float

__all__ = ["Child", "ChildSpec", "Restart", "Strategy", "distinct", "member"]

_E = TypeVar("_E", bound=StrEnum)


class Restart(StrEnum):
    """When a child is restarted (OTP's restart types)."""

    PERMANENT = "permanent"  # always
    TRANSIENT = "transient"  # only after a crash or kill
    TEMPORARY = "temporary"  # never; the child is forgotten when it ends


class Strategy(StrEnum):
    """What else is restarted when a child is (OTP's restart strategies).

    Temporary children are never restarted: one that ends is forgotten and its siblings are
    left alone, and one stopped because a sibling needed a group restart is forgotten too.
    """

    ONE_FOR_ONE = "one_for_one"  # only the child that ended
    ONE_FOR_ALL = "one_for_all"  # every child: the others are stopped, then all restarted
    REST_FOR_ONE = "rest_for_one"  # the child and every child started after it


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """How to start a child and what to do when it ends.

    ``factory`` builds a fresh behaviour for every (re)start: a restarted child shares no
    state with the one that died. ``shutdown_timeout`` is how long the child has to stop
    gracefully (and, once cancelled, to end before it is abandoned); ``mailbox_capacity``
    bounds its mailbox (see ``spawn``).

    Raises:
        TypeError: a field has the wrong type.
        ValueError: ``id`` is empty, ``restart`` names no restart type, or a number is out
            of range.
    """

    id: str
    factory: Callable[[], Actor]
    restart: Restart = Restart.PERMANENT
    shutdown_timeout: float = 5.0
    mailbox_capacity: int = DEFAULT_CAPACITY

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise TypeError(f"id must be a non-empty str, got {type(self.id).__name__}")
        if not self.id:
            raise ValueError("id must be a non-empty str, got ''")
        check_callable("factory", self.factory, "an Actor")
        # A frozen dataclass normalises its own fields through ``object.__setattr__``.
        if type(self.restart) is not Restart:
            object.__setattr__(self, "restart", member(Restart, "restart", self.restart))
        timeout = check_positive_float("shutdown_timeout", self.shutdown_timeout)
        if timeout is not self.shutdown_timeout:  # an int, or a float subclass
            object.__setattr__(self, "shutdown_timeout", timeout)
        if self.mailbox_capacity is not DEFAULT_CAPACITY:
            object.__setattr__(self, "mailbox_capacity", check_int(
                "mailbox_capacity", self.mailbox_capacity, 1, MAX_CAPACITY))


def member(enum: type[_E], name: str, value: object) -> _E:
    """``value`` as a member of ``enum``; its plain value ("transient") is as clear."""
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a {enum.__name__} member, got {type(value).__name__}")
    if value not in enum.__members__.values():
        choices = ", ".join(member.value for member in enum)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return enum(value)


def distinct(children: Iterable[ChildSpec]) -> list[ChildSpec]:
    """``children`` as a list, checked: child specs with distinct ids."""
    specs = list(children)
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, ChildSpec):
            raise TypeError(f"children must be ChildSpec instances, got {type(spec).__name__}")
        if spec.id in seen:
            raise ValueError(f"children must have distinct ids, {spec.id!r} appears twice")
        seen.add(spec.id)
    return specs


@dataclass(frozen=True, slots=True)
class Child:
    """One row of the live registry, as ``which_children()`` reads it at call time."""

    id: str
    ref: ActorRef
    restart: Restart
    restarts: int

    @property
    def alive(self) -> bool:
        """Whether the child's current actor is running (false briefly while it restarts)."""
        return self.ref.is_alive()
