"""Pluggable sources: the protocol, the OS default, one worker per source, and broken sources.

A source that misbehaves once (wrong length, an exception) crashes its worker, which is
restarted and goes on serving; the request in flight is answered from the replacement.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

import alara
from alara import EntropySource, EntropyWorker, OsSource, get_random_bytes, start_worker
from alara.entropy._sources import INLINE_READ_LIMIT, LARGE_READ_CHUNK, inline_read_limit
from alara.testing.sources import AsyncSource, GlitchSource
from tests.entropy.recording import RecordingSource

Logs = list[MutableMapping[str, Any]]


def test_the_protocol_is_one_read_method() -> None:
    assert isinstance(OsSource(), EntropySource)
    assert isinstance(RecordingSource(), EntropySource)
    assert isinstance(AsyncSource(), EntropySource)
    assert not isinstance(object(), EntropySource)


def test_the_os_csprng_is_the_default_source() -> None:
    assert isinstance(EntropyWorker().source, OsSource)
    data = OsSource().read(64)
    assert type(data) is bytes
    assert len(data) == 64
    assert repr(OsSource()) == "OsSource()"


async def test_a_standalone_worker_reads_a_sync_or_an_async_source() -> None:
    for source in (RecordingSource(), AsyncSource()):
        ref = start_worker(source)
        try:
            async with asyncio.timeout(5):
                data = await get_random_bytes(ref, 48)
            assert data == source.blocks[-1]
        finally:
            await ref.stop()


async def test_one_worker_per_source_sync_and_async() -> None:
    sync_source, async_source = RecordingSource(), AsyncSource()
    async with alara.create_network(sources=[sync_source, async_source]) as net:
        assert [child.id for child in net.which_children()] == ["worker-0", "worker-1"]
        async with asyncio.timeout(5):
            out = await net.random_bytes(64)
        assert sync_source.sizes == [32]
        assert len(async_source.blocks) == 1
        # Both contributed, in registry order: the output is exactly their mix.
        assert out == alara.mix([sync_source.blocks[0], async_source.blocks[0]], 64)


async def test_without_sources_every_worker_reads_the_os_csprng() -> None:
    async with alara.create_network(4) as net:
        assert len(net.get_nodes()) == 4
        async with asyncio.timeout(5):
            outputs = {await net.random_bytes(32) for _ in range(50)}
        assert len(outputs) == 50


async def test_add_worker_with_a_source_joins_every_request() -> None:
    first, added_sync, added_async = RecordingSource(), RecordingSource(), AsyncSource()
    async with alara.create_network(sources=[first]) as net:
        ref = await net.add_worker(added_sync)
        assert ref.name == "worker-1"
        await net.add_worker(added_async)
        await net.add_worker()  # the OS CSPRNG
        assert [child.id for child in net.which_children()] == [
            "worker-0", "worker-1", "worker-2", "worker-3"
        ]
        async with asyncio.timeout(5):
            await net.random_bytes(32)
        assert first.sizes == added_sync.sizes == [32]
        assert len(added_async.blocks) == 1


async def test_add_worker_rejects_a_non_source() -> None:
    async with alara.create_network(1) as net:
        with pytest.raises(TypeError, match="source must have a read"):
            await net.add_worker("not a source")  # type: ignore[arg-type]
        assert len(net.which_children()) == 1


def test_sources_are_validated() -> None:
    with pytest.raises(TypeError, match="sources"):
        alara.create_network(sources=[OsSource(), 42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="sources"):
        alara.create_network(sources=OsSource())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("short", "SourceError: source returned 31 bytes, expected 32"),
     ("raise", "OSError: transient device error")],
)
async def test_a_glitch_crashes_the_worker_which_restarts_and_serves_on(
    logs: Logs, mode: str, reason: str
) -> None:
    glitchy, honest = GlitchSource({2}, mode), RecordingSource()
    async with alara.create_network(sources=[glitchy, honest]) as net:
        async with asyncio.timeout(5):
            await net.random_bytes(32)  # read 1: fine
            out = await net.random_bytes(32)  # read 2 crashes; read 3, on the replacement
            assert len(out) == 32
            await net.random_bytes(32)  # read 4: fine
        assert glitchy.reads == 4
        assert len(honest.sizes) == 3  # the honest worker was asked once per request
        assert [(c.id, c.restarts) for c in net.which_children()] == [
            ("worker-0", 1), ("worker-1", 0)
        ]
        assert net.quarantined() == []
    crashed = [e for e in logs if e["event"] == "actor.crashed"]
    assert [(e["actor"], e["kind"], e["reason"]) for e in crashed] == [
        ("worker-0", "crashed", reason)
    ]
    assert [e["actor"] for e in logs if e["event"] == "actor.restarted"] == ["worker-0"]


@pytest.mark.parametrize(("declared", "error"), [(True, TypeError), (1.5, TypeError),
                                                  (-1, ValueError)])
def test_a_bad_max_inline_read_is_refused(declared: object, error: type[Exception]) -> None:
    class Declaring:
        max_inline_read = declared

        def read(self, n: int) -> bytes:
            return bytes(n)

    with pytest.raises(error, match="max_inline_read"):
        inline_read_limit(Declaring())


def test_os_source_declares_small_reads_inline_and_splits_large_ones() -> None:
    assert inline_read_limit(OsSource()) == INLINE_READ_LIMIT
    assert inline_read_limit(object()) == 0  # undeclared: every sync read in a thread
    assert len(OsSource().read(3 * LARGE_READ_CHUNK + 5)) == 3 * LARGE_READ_CHUNK + 5
