"""A smoke run of ``benchmarks/sync_secrets.py`` that checks its structural claims (never its
timings): the sync path costs at most one hand-off to the network's loop per call."""

from __future__ import annotations

from benchmarks.sync_secrets import measure


def test_at_most_one_handoff_per_sync_call_and_rounds_counted() -> None:
    results = {figures.name: figures for figures in measure(threads=4, calls=25, repeats=1,
                                                            workers=2)}
    assert set(results) == {"secrets", "alara.secrets", "await (tasks)", "portal.call"}
    sync = results["alara.secrets"]
    assert sync.calls == 100
    assert sync.handoffs_per_call is not None
    assert 0 < sync.handoffs_per_call <= 1.0
    assert sync.calls_per_round is not None
    assert sync.calls_per_round >= 1.0
