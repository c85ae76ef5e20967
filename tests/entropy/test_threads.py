"""Reads in worker threads are capped per source: a source that blocks for ever cannot make a
network leak one OS thread per kill, even with quarantine off."""

from __future__ import annotations

import asyncio
import threading

from alara import OsSource
from tests.doubles.blocking import ThreadBlocker
from tests.entropy.bounded import bounded_network

CAP = 4
"""``MAX_THREADS_PER_SOURCE``, as documented (docs/architecture.md)."""


async def test_a_source_blocking_for_ever_holds_at_most_the_cap_in_threads() -> None:
    """Quarantine off: the blocked worker is killed at every request and restarted; its
    replacements read in new threads only up to the cap, then wait on the loop (judged hung
    and killed like the reads before them) until a blocked read returns."""
    blocker = ThreadBlocker()
    before = threading.active_count()
    try:
        async with bounded_network(sources=[blocker, OsSource()], min_sources=1,
                                   quarantine_after=None, max_restarts=1000,
                                   contribution_timeout=0.1, timeout=5) as net:
            async with asyncio.timeout(30):
                while net.which_children()[0].restarts < 3 * CAP:
                    assert len(await net.random_bytes(32)) == 32
            assert blocker.reads == CAP  # one thread per kill, up to the cap, then none
            assert threading.active_count() - before <= CAP + 2  # + anyio's idle helpers
            blocker.release()  # the device recovers: its blocked reads return
            restarts = net.which_children()[0].restarts
            async with asyncio.timeout(30):
                while blocker.reads == CAP:  # a waiting read goes on, in a thread again
                    assert len(await net.random_bytes(32)) == 32
            assert net.which_children()[0].restarts <= restarts + 1
    finally:
        blocker.release()
