"""The chaos soak, short: ``make soak`` runs the same code for a minute.

The helpers get their own tests first, so a soak that passes cannot be passing because its
checks are blind.
"""

from __future__ import annotations

import asyncio

import pytest

from alara import OsSource
from tests.reliability.soak import (
    HangingSometimes,
    PhaseReport,
    SoakReport,
    _Outputs,
    run_soak,
)

SOAK_SECONDS = 10.0


async def test_an_armed_source_hangs_once_then_reads_again() -> None:
    source = HangingSometimes(OsSource())
    assert len(await source.read(32)) == 32
    source.armed = True
    read = asyncio.ensure_future(source.read(32))
    async with asyncio.timeout(5):
        await source.hanging.wait()
    assert not read.done()  # parked on an event nobody sets: only a cancellation ends it
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert source.hangs == 1
    assert not source.armed
    assert len(await source.read(7)) == 7


def test_outputs_catch_repeats_and_wrong_lengths() -> None:
    outputs, report = _Outputs(), PhaseReport("check")
    outputs.record(report, 40, b"a" * 40)
    outputs.record(report, 33, b"a" * 32 + b"b")  # same first 32 bytes: a repeat
    outputs.record(report, 8, b"short")
    outputs.record(report, 5, b"a" * 5)  # under 32 bytes: not compared
    assert (report.calls, report.duplicates, report.wrong_length) == (3, 1, 1)


def test_a_failed_check_fails_the_report() -> None:
    phase = PhaseReport("check")
    phase.check(True, "fine")
    assert SoakReport([phase]).ok
    phase.check(False, "hung calls")
    report = SoakReport([phase])
    assert not report.ok
    assert "FAILED: hung calls" in report.render()
    assert report.render().endswith("result: FAIL")


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_soak() -> None:
    report = await run_soak(seconds=SOAK_SECONDS)
    assert report.ok, report.render()
    chaos, give_up, isolation, stall = report.phases
    assert chaos.calls > 1000
    assert chaos.kills >= 10 * SOAK_SECONDS  # the chaos did run (nominally 100 kills/s)
    assert chaos.hangs >= 1
    assert chaos.restarts >= chaos.kills
    assert chaos.pool_whole
    assert give_up.gave_up
    assert give_up.hung == 0
    assert isolation.hung == 0
    assert isolation.honest_quarantined == 0
    assert isolation.below_floor == 0
    assert isolation.stallers_quarantined
    assert stall.calls > 0
    assert stall.hung == 0
    assert stall.honest_blamed == 0
