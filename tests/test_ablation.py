"""The ablation benchmark (``benchmarks.ablation``): it runs, and each switch does what it says.

No timing is asserted (figures on a CI box mean nothing). What is checked: a tiny run measures
every variant and leaves alara unpatched afterwards, and each switch, while held, really takes
its change out of the hot path (a spy sees the old code path run and the new one not) while the
network still serves every caller 32 fresh bytes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from typing import Any

import pytest

import alara
import alara.actors.actor as actor_module
from alara.actors.log import EventLogger
from alara.actors.mailbox import Mailbox
from alara.entropy.collect import Collector
from alara.entropy.deadlines import DeadlineWatch
from alara.entropy.worker import EntropyWorker
from benchmarks.ablation import TINY_ABLATION, VARIANTS, main, run_ablation
from benchmarks.measure import loop_available
from benchmarks.switches import (
    QueueMailbox,
    log_always_formatted,
    no_rounds,
    no_worker_fast_path,
    queue_mailbox,
    timeout_per_request,
)

_ORIGINAL_COLLECT = Collector.collect

BOUND = 5.0
"""Every wait here is bounded; a hang fails the test instead of stalling the suite."""

PATCHED: list[tuple[Any, str]] = [
    (Collector, "collect"),
    (Collector, "_ask"),
    (actor_module, "Mailbox"),
    (EntropyWorker, "handle_batch"),
    (EventLogger, "_emit"),
]


def _originals() -> list[object]:
    return [getattr(owner, name) for owner, name in PATCHED]


def test_tiny_ablation_measures_every_variant_and_restores_alara() -> None:
    before = _originals()
    results = run_ablation(TINY_ABLATION)
    assert _originals() == before
    assert vars(actor_module)["Mailbox"] is Mailbox
    expected = [v.key for v in VARIANTS if v.loop == "default" or loop_available("uvloop")]
    assert [result.key for result in results.variants] == expected
    for result in results.variants:
        assert result.calls == TINY_ABLATION.sequential_calls
        for figure in (result.p50_us, result.p99_us, result.direct_p50_us, result.p50_ratio,
                       result.calls_per_s, result.direct_calls_per_s, result.rate_ratio):
            assert math.isfinite(figure)
            assert figure > 0
    assert results.lifecycle is not None
    assert results.lifecycle.workers == TINY_ABLATION.lifecycle_workers
    assert results.lifecycle.restart_p50_us > 0


class _Spy:
    """Counts calls to one method while still running it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.calls = 0
        original: Callable[..., Any] = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


async def _serve(callers: int, calls: int) -> tuple[alara.Network, list[bytes]]:
    """A 3-worker network serving ``callers`` concurrent callers (it is returned closed)."""
    async with alara.create_network(3) as net:

        async def caller() -> list[bytes]:
            return [await net.random_bytes(32) for _ in range(calls)]

        async with asyncio.timeout(BOUND):
            served = await asyncio.gather(*(caller() for _ in range(callers)))
    return net, [output for outputs in served for output in outputs]


def _fresh(outputs: list[bytes], expected: int) -> None:
    assert len(outputs) == expected
    assert all(type(output) is bytes and len(output) == 32 for output in outputs)
    assert len(set(outputs)) == expected


Switch = Callable[[], AbstractContextManager[None]]


@pytest.mark.parametrize(("rounds", "watch"),
                         [(True, True), (False, True), (True, False), (False, False)])
async def test_rounds_and_deadline_watch_switch_off_alone_and_together(
    monkeypatch: pytest.MonkeyPatch, rounds: bool, watch: bool
) -> None:
    follow = _Spy(monkeypatch, Collector, "_follow")
    watched = _Spy(monkeypatch, DeadlineWatch, "watch")
    timeouts = _Spy(monkeypatch, asyncio, "timeout")
    with ExitStack() as stack:
        if not rounds:
            stack.enter_context(no_rounds())
        if not watch:
            stack.enter_context(timeout_per_request())
        _net, outputs = await _serve(20, 3)
    _fresh(outputs, 60)
    assert (follow.calls > 0) == rounds  # later callers waited for a round
    assert (watched.calls > 0) == watch
    # One asyncio.timeout per gather: per round with rounds, per request without them.
    assert timeouts.calls >= (0 if watch else 3 if rounds else 60)
    if rounds:
        assert follow.calls >= 19  # all but the first caller arrive while a round is in flight
    assert Collector.collect is _ORIGINAL_COLLECT


@pytest.mark.parametrize("switch", [nullcontext, queue_mailbox])
async def test_queue_mailbox_is_what_actors_get(switch: Switch) -> None:
    with switch():
        net, outputs = await _serve(5, 2)
        kinds = {type(child.ref._mailbox) for child in net.which_children()}
    _fresh(outputs, 10)
    assert kinds == {QueueMailbox if switch is queue_mailbox else Mailbox}
    assert vars(actor_module)["Mailbox"] is Mailbox


@pytest.mark.parametrize("switch", [nullcontext, no_worker_fast_path])
async def test_no_worker_fast_path_reads_through_the_generic_path(
    monkeypatch: pytest.MonkeyPatch, switch: Switch
) -> None:
    read = _Spy(monkeypatch, EntropyWorker, "read")
    with switch():
        _net, outputs = await _serve(1, 5)  # one caller: every batch holds one request
    _fresh(outputs, 5)
    assert (read.calls == 15) == (switch is no_worker_fast_path)
    assert (read.calls == 0) == (switch is nullcontext)


class _Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def __getattr__(self, method: str) -> Callable[..., None]:
        return lambda event, **fields: self.events.append(event)


@pytest.fixture
def quiet_logger() -> Iterator[EventLogger]:
    """An ``EventLogger`` whose stdlib logger drops INFO, with a recorder for structlog."""
    logger = EventLogger("ablation-test")
    stdlib = logging.getLogger("alara.ablation-test")
    level = stdlib.level
    stdlib.setLevel(logging.WARNING)
    logger._bound = _Recorder()
    try:
        yield logger
    finally:
        stdlib.setLevel(level)


@pytest.mark.parametrize("switch", [nullcontext, log_always_formatted])
def test_log_always_formatted_builds_dropped_events(
    quiet_logger: EventLogger, switch: Switch
) -> None:
    with switch():
        quiet_logger.info("actor.started", actor="w")
    recorder = quiet_logger._bound
    assert isinstance(recorder, _Recorder)
    assert recorder.events == (["actor.started"] if switch is log_always_formatted else [])


def test_command_line_writes_the_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json, out_md = tmp_path / "ablation.json", tmp_path / "ablation.md"
    status = main(["--tiny", "--only", "head", "queue_mailbox", "floor", "--no-lifecycle",
                   "--no-uvloop", "--json", str(out_json), "--markdown", str(out_md)])
    assert status == 0
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert [variant["key"] for variant in data["variants"]] == ["head", "queue_mailbox", "floor"]
    assert data["lifecycle"] is None
    table = out_md.read_text(encoding="utf-8")
    assert "(a) all on (HEAD)" in table
    assert "floor: bare tasks + gather, no mix" in table
    assert "(d) 3 off: plain asyncio.Queue mailbox" in capsys.readouterr().out
