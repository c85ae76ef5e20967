"""A smoke run of ``benchmarks/sync_secrets.py`` that checks what it counts (never its timings):
every way of calling is measured, and the sync calls are served by the network's rounds."""

from __future__ import annotations

from benchmarks.sync_secrets import measure


def test_every_way_is_measured_and_sync_calls_are_served_in_rounds() -> None:
    results = {figures.name: figures for figures in measure(threads=4, calls=25, repeats=1,
                                                            workers=2)}
    assert set(results) == {"secrets", "alara.secrets", "SystemRandom", "alara.Random"}
    assert all(figures.calls == 100 for figures in results.values())
    sync = results["alara.secrets"]
    assert sync.calls_per_round is not None
    assert sync.calls_per_round >= 1.0
    assert results["secrets"].calls_per_round is None  # the stdlib never reads our sources
