"""Lifecycle log events of actors and supervisors, and a library that is quiet by default."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from alara.actors import (
    ActorDiedError,
    ChildSpec,
    EventLogger,
    OneForOneSupervisor,
    SupervisorGaveUpError,
    spawn,
)
from alara.actors import _log as log
from alara.actors._log import _QUIET
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
    assert [(entry["actor"], entry["kind"], entry["reason"]) for entry in crashed] == [
        ("worker", "crashed", "ValueError: boom"),
        ("worker", "killed", "again"),
    ]

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
def bare_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Puts the stdlib's loggers as an application that configures nothing has them, pytest's
    own handlers taken off the root (called in the test's body: pytest adds them at each
    phase): where ``enabled_for``'s fast look settles the answer."""

    def bare() -> None:
        for name in ("", "alara", "alara.actors"):
            logger = logging.getLogger(name)
            monkeypatch.setattr(logger, "handlers", [_QUIET] if name == "alara" else [])
            monkeypatch.setattr(logger, "propagate", True)
            monkeypatch.setattr(logger, "level",
                                logging.WARNING if name == "" else logging.NOTSET)
        monkeypatch.setattr(log, "_is_configured", lambda: False)  # no capture_logs here
        logging.Logger.manager._clear_cache()  # type: ignore[attr-defined]

    yield bare
    # Levels are put back after this (monkeypatch's undo): no answer cached meanwhile.
    logging.Logger.manager._clear_cache()  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["", "alara", "alara.actors"])
@pytest.mark.parametrize("handler_level", [logging.NOTSET, logging.ERROR])
@pytest.mark.parametrize("logger_level", [logging.NOTSET, logging.INFO])
@pytest.mark.parametrize("propagate", [True, False])
def test_the_fast_look_agrees_with_the_full_walk(
    where: str, handler_level: int, logger_level: int, propagate: bool,
    bare_logging: Callable[[], None],
) -> None:
    bare_logging()
    fast = EventLogger("actors")
    slow = EventLogger("actors")
    slow._trio = None  # the full walk, level by level and handler by handler
    assert fast._trio is not None
    levels = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
    assert [fast.enabled_for(level) for level in levels] == [False] * 4
    logging.getLogger("alara").setLevel(logger_level)
    logging.getLogger("alara.actors").propagate = propagate
    logging.getLogger(where).addHandler(_Collect(handler_level))
    assert [fast.enabled_for(level) for level in levels] == [
        slow.enabled_for(level) for level in levels]


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
