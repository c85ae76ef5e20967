"""The supervisor's ``on_child_exit`` listener: an owner may retire a child instead of a restart.

The framework knows nothing of why (the entropy network uses it for quarantine); it only
promises that the listener sees every exit it acts on, that ``False`` removes the child without
a restart (and without using restart intensity), and that a broken listener cannot veto.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from alara import ActorDiedError, ChildSpec, Exit, ExitKind, OneForOneSupervisor
from tests.actors.behaviours import Crasher, Echo
from tests.helpers import changed_until

Logs = list[MutableMapping[str, Any]]


async def _crash(supervisor: OneForOneSupervisor, child_id: str) -> None:
    ref = supervisor.child_ref(child_id)
    assert ref is not None
    with pytest.raises(ActorDiedError):
        async with asyncio.timeout(5):
            await ref.call("crash")


async def test_the_listener_sees_each_exit_and_false_retires_the_child() -> None:
    seen: list[tuple[str, ExitKind, str]] = []

    def listener(child_id: str, exit: Exit) -> bool:
        seen.append((child_id, exit.kind, exit.reason))
        return child_id != "a" or len(seen) < 2  # retire "a" at its second crash

    supervisor = OneForOneSupervisor(
        [ChildSpec("a", Crasher), ChildSpec("b", Echo)],
        max_restarts=2,
        on_child_exit=listener,
    )
    await supervisor.start()
    try:
        first = supervisor.child_ref("a")
        await _crash(supervisor, "a")
        await changed_until(supervisor, lambda: supervisor.child_ref("a") is not first)
        assert [c.restarts for c in supervisor.which_children()] == [1, 0]
        await _crash(supervisor, "a")
        await changed_until(supervisor, lambda: supervisor.child_ref("a") is None)
        assert [c.id for c in supervisor.which_children()] == ["b"]
        assert seen == [("a", ExitKind.CRASHED, "ValueError: boom")] * 2
        # The retirement used no intensity: a second restart (of "b") is still allowed.
        b = supervisor.child_ref("b")
        assert b is not None
        b.kill("chaos")
        await changed_until(supervisor, lambda: supervisor.child_ref("b") is not b)
        assert seen[-1] == ("b", ExitKind.KILLED, "chaos")
        assert [(c.id, c.restarts, c.alive) for c in supervisor.which_children()] == [
            ("b", 1, True)
        ]
        assert supervisor.running
        assert supervisor.error is None
    finally:
        await supervisor.stop()


async def test_a_raising_listener_cannot_veto(logs: Logs) -> None:
    def listener(child_id: str, exit: Exit) -> bool:
        raise RuntimeError("listener bug")

    supervisor = OneForOneSupervisor([ChildSpec("a", Crasher)], on_child_exit=listener)
    await supervisor.start()
    try:
        first = supervisor.child_ref("a")
        await _crash(supervisor, "a")
        await changed_until(supervisor, lambda: supervisor.child_ref("a") is not first)
        assert supervisor.which_children()[0].restarts == 1
    finally:
        await supervisor.stop()
    failed = [e for e in logs if e["event"] == "supervisor.listener_failed"]
    assert [(e["child"], e["error"]) for e in failed] == [("a", "RuntimeError")]


def test_the_listener_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_child_exit"):
        OneForOneSupervisor([], on_child_exit=42)  # type: ignore[arg-type]
