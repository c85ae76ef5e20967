"""Lifecycle log events of actors and supervisors, and a library that is quiet by default."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from alara.actors import (
    ActorDiedError,
    ChildSpec,
    EventLogger,
    OneForOneSupervisor,
    SupervisorGaveUpError,
    spawn,
)
from tests.actors.behaviours import Crasher, Echo
from tests.actors.conftest import FakeClock
from tests.helpers import BOUND

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

Events = list[MutableMapping[str, Any]]


def named(logs: Events, event: str) -> Events:
    return [entry for entry in logs if entry["event"] == event]


def assert_well_formed(logs: Events) -> None:
    """Every key snake_case, every value a plain scalar (nothing that could carry bytes)."""
    assert logs
    for entry in logs:
        for key, value in entry.items():
            assert SNAKE_CASE.match(key), f"{entry['event']}: key {key!r} is not snake_case"
            assert isinstance(value, (str, int, float, bool, type(None))), (key, value)
        assert SNAKE_CASE.match(entry["event"].replace(".", "_")), entry["event"]


async def test_actor_started_and_stopped(logs: Events) -> None:
    ref = spawn(Echo(), name="greeter")
    async with asyncio.timeout(BOUND):
        await ref.call("hello")  # answered only after on_start, so "started" is logged
        [started] = named(logs, "actor.started")
        await ref.stop()
    [stopped] = named(logs, "actor.stopped")
    assert started["actor"] == "greeter"
    assert started["ref_id"] == ref.id
    assert started["behaviour"] == "Echo"
    assert started["log_level"] == "info"
    assert stopped["actor"] == "greeter"
    assert stopped["kind"] == "normal"
    assert stopped["log_level"] == "info"
    assert named(logs, "actor.crashed") == []
    assert_well_formed(logs)


async def test_actor_crashed_carries_the_reason(logs: Events) -> None:
    ref = spawn(Crasher(error=ValueError("bad message")), name="fragile")
    async with asyncio.timeout(BOUND):
        with pytest.raises(ActorDiedError):
            await ref.call("crash")
        await ref.wait()
    [crashed] = named(logs, "actor.crashed")
    assert crashed["actor"] == "fragile"
    assert crashed["kind"] == "crashed"
    assert crashed["reason"] == "ValueError: bad message"
    assert crashed["log_level"] == "warning"
    assert named(logs, "actor.stopped") == []
    assert_well_formed(logs)


async def test_kill_is_logged_as_a_crash(logs: Events) -> None:
    ref = spawn(Echo(), name="victim")
    ref.kill("chaos")
    async with asyncio.timeout(BOUND):
        await ref.wait()
    [crashed] = named(logs, "actor.crashed")
    assert (crashed["actor"], crashed["kind"], crashed["reason"]) == ("victim", "killed", "chaos")


async def test_supervisor_lifecycle_events(logs: Events, clock: FakeClock) -> None:
    supervisor = OneForOneSupervisor(
        [ChildSpec("steady", Echo), ChildSpec("worker", Crasher)],
        max_restarts=1,
        name="pool",
        clock=clock,
    )
    await supervisor.start()
    async with asyncio.timeout(BOUND):
        first = supervisor.child_ref("worker")
        assert first is not None
        with pytest.raises(ActorDiedError):
            await first.call("crash")
        while supervisor.child_ref("worker") is first:
            await supervisor.changed()
        second = supervisor.child_ref("worker")
        assert second is not None
        await second.call("up")  # the restarted child has logged "started"
        second.kill("again")
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()

    started = named(logs, "actor.started")
    assert [entry["actor"] for entry in started].count("worker") == 2
    assert {entry["ref_id"] for entry in started if entry["actor"] == "worker"} == {
        first.id,
        second.id,
    }

    crashed = named(logs, "actor.crashed")
    assert [(entry["actor"], entry["kind"], entry["reason"]) for entry in crashed[:2]] == [
        ("worker", "crashed", "ValueError: boom"),
        ("worker", "killed", "again"),
    ]
    # The supervisor is an actor: giving up, it crashes, as its parent would hear.
    assert (crashed[2]["actor"], crashed[2]["kind"]) == ("pool", "crashed")
    assert crashed[2]["reason"].startswith("SupervisorGaveUpError: supervisor 'pool' gave up")
    assert len(crashed) == 3

    [restarted] = named(logs, "actor.restarted")
    assert restarted["actor"] == "worker"
    assert restarted["ref_id"] == second.id
    assert restarted["restarts"] == 1
    assert restarted["reason"] == "ValueError: boom"

    [gave_up] = named(logs, "supervisor.gave_up")
    assert gave_up["supervisor"] == "pool"
    assert gave_up["child"] == "worker"
    assert gave_up["max_restarts"] == 1
    assert gave_up["period"] == 5.0
    assert gave_up["reason"] == "again"
    assert gave_up["log_level"] == "error"

    # Giving up stopped the sibling gracefully, and that is logged too.
    [stopped] = named(logs, "actor.stopped")
    assert (stopped["actor"], stopped["kind"]) == ("steady", "normal")

    order = [entry["event"] for entry in logs]
    assert order.index("actor.restarted") < order.index("supervisor.gave_up")
    assert order.index("supervisor.gave_up") < order.index("actor.stopped")
    assert_well_formed(logs)


async def test_the_library_is_silent_when_logging_is_not_configured(
    capfd: pytest.CaptureFixture[str],
) -> None:
    supervisor = OneForOneSupervisor([ChildSpec("worker", Crasher)], max_restarts=0)
    await supervisor.start()
    ref = supervisor.child_ref("worker")
    assert ref is not None
    async with asyncio.timeout(BOUND):
        await ref.call("up")
        with pytest.raises(ActorDiedError):
            await ref.call("crash")
        with pytest.raises(SupervisorGaveUpError):
            await supervisor.wait()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


SCENARIO = textwrap.dedent(
    """
    import asyncio

    from alara.actors import ChildSpec, OneForOneSupervisor, spawn
    from alara.actors import ActorDiedError, SupervisorGaveUpError
    from tests.actors.behaviours import Crasher, Echo


    async def main() -> None:
        echo = spawn(Echo())
        await echo.call("up")
        await echo.stop()
        supervisor = OneForOneSupervisor([ChildSpec("worker", Crasher)], max_restarts=1)
        await supervisor.start()
        for _ in range(2):
            while (ref := supervisor.child_ref("worker")) is None or not ref.is_alive():
                await supervisor.changed()
            try:
                await ref.call("crash")
            except ActorDiedError:
                pass
        try:
            await asyncio.wait_for(supervisor.wait(), 5)
        except SupervisorGaveUpError:
            pass
        else:
            raise SystemExit("the supervisor should have given up")


    asyncio.run(main())
    """
)


def test_a_fresh_process_with_unconfigured_logging_prints_nothing() -> None:
    """Start, crash, restart, give up and stop in a clean interpreter: not one line of output.

    In a separate process because pytest installs its own log handlers, which would hide
    output that the stdlib's last-resort handler prints in a real application.
    """
    result = subprocess.run(
        [sys.executable, "-c", SCENARIO],
        cwd=Path(__file__).resolve().parents[2],  # the repository root, for `tests.*`
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


class _Collect(logging.Handler):
    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.events: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(record.getMessage())


@pytest.fixture
def bare_logging(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Puts the stdlib's loggers as an application that configures nothing has them, pytest's
    own handlers taken off the root (called in the test's body: pytest adds them at each
    phase)."""

    def bare() -> None:
        for name in ("", "alara", "alara.actors"):
            logger = logging.getLogger(name)
            if name != "alara":  # the library's own NullHandler stays
                monkeypatch.setattr(logger, "handlers", [])
            monkeypatch.setattr(logger, "propagate", True)
            level = logging.WARNING if name == "" else logging.NOTSET
            monkeypatch.setattr(logger, "level", level)
            logger.setLevel(level)  # through the stdlib, which drops its cached answers

    return bare


def test_enabled_for_is_the_standard_librarys_answer(
    bare_logging: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    bare_logging()
    events = EventLogger("actors")
    levels = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
    assert [events.enabled_for(level) for level in levels] == [False, False, True, True]
    logging.getLogger("alara").setLevel(logging.INFO)
    assert [events.enabled_for(level) for level in levels] == [False, True, True, True]
    logging.disable(logging.CRITICAL)
    try:
        assert not any(events.enabled_for(level) for level in levels)
    finally:
        logging.disable(logging.NOTSET)
    with capture_logs():  # structlog's test capture hears everything
        assert all(events.enabled_for(level) for level in levels)


async def test_a_handler_added_at_any_time_hears_the_next_crash(
    bare_logging: Callable[[], None],
) -> None:
    bare_logging()
    ref = spawn(Echo())
    async with asyncio.timeout(BOUND):
        await ref.call("up")
    heard = _Collect()
    logging.getLogger("alara").addHandler(heard)
    ref.kill("now")  # an idle actor ends inside kill(): its event is already out
    assert len(heard.events) == 1
    assert "actor.crashed" in heard.events[0]
    quiet = spawn(Echo())
    logging.getLogger("alara").removeHandler(heard)
    async with asyncio.timeout(BOUND):
        await quiet.call("up")
    quiet.kill("unheard")
    assert len(heard.events) == 1
