"""The standalone entropy worker: fresh bytes per request, batching, and crashing on bad sources."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

import alara
from alara import (
    MAX_BYTES,
    ActorDiedError,
    ActorRef,
    EntropySource,
    EntropyWorker,
    ExitKind,
    OsSource,
    SourceError,
    get_random_bytes,
    spawn,
    start_worker,
)
from alara.entropy import _worker as worker_module
from alara.errors import WorkerDiedError
from alara.testing.sources import HangingSource, RaisingSource, WrongLengthSource
from tests.entropy.bounded import bounded_network
from tests.entropy.recording import BadTypeSource, GateSource, RecordingSource, ViewSource
from tests.helpers import until


@pytest.fixture
async def recording() -> AsyncIterator[tuple[ActorRef, RecordingSource]]:
    source = RecordingSource()
    ref = start_worker(source)
    yield ref, source
    await ref.stop()


async def test_standalone_worker_gives_distinct_outputs_of_the_right_length() -> None:
    ref = start_worker()
    try:
        async with asyncio.timeout(5):
            outputs = [await get_random_bytes(ref, n) for n in (1, 16, 32, 33, 100) * 20]
        assert [len(out) for out in outputs] == [1, 16, 32, 33, 100] * 20
        assert all(type(out) is bytes for out in outputs)
        long = [out for out in outputs if len(out) >= 16]
        assert len(set(long)) == len(long)
    finally:
        await ref.stop()
    assert not ref.is_alive()


async def test_worker_reads_its_source_once_per_lone_request(
    recording: tuple[ActorRef, RecordingSource],
) -> None:
    ref, source = recording
    async with asyncio.timeout(5):
        first = await get_random_bytes(ref, 24)
        second = await get_random_bytes(ref, 40)
    assert source.sizes == [24, 40]
    assert source.blocks == [first, second]


async def test_batched_requests_share_one_read_and_get_distinct_slices(
    recording: tuple[ActorRef, RecordingSource],
) -> None:
    ref, source = recording
    sizes = [32, 1, 64, 32, 7]
    replies = [ref.ask(n) for n in sizes]  # all queued before the worker's task runs
    async with asyncio.timeout(5):
        outputs = await asyncio.gather(*replies)
    assert [len(out) for out in outputs] == sizes
    assert source.sizes == [sum(sizes)]  # one read served the whole batch
    assert b"".join(outputs) == source.blocks[0]  # disjoint slices, nothing reused
    assert len({out for out in outputs if len(out) >= 32}) == 3


async def test_a_cancelled_ask_is_skipped(recording: tuple[ActorRef, RecordingSource]) -> None:
    ref, source = recording
    withdrawn = ref.ask(1000)
    kept = [ref.ask(32), ref.ask(16)]
    withdrawn.cancel()
    lone = ref.ask(500)
    lone.cancel()
    async with asyncio.timeout(5):
        outputs = await asyncio.gather(*kept)
    assert [len(out) for out in outputs] == [32, 16]
    assert source.sizes == [48]  # the cancelled 1000 and 500 bytes were never read
    assert ref.is_alive()


async def test_a_caller_that_gives_up_mid_read_does_not_crash_the_worker() -> None:
    source = GateSource()
    source.arm()
    ref = start_worker(source)
    try:
        reply = ref.ask(32)
        async with asyncio.timeout(5):
            await source.entered.wait()
        reply.cancel()
        source.release()
        async with asyncio.timeout(5):
            assert len(await get_random_bytes(ref, 8)) == 8
        assert ref.is_alive()
        assert source.sizes == [32, 8]  # the abandoned block was read and dropped
    finally:
        await ref.stop()


async def test_bytes_like_sources_are_accepted_as_bytes() -> None:
    for source in (ViewSource(bytearray), ViewSource(memoryview)):
        ref = start_worker(cast(EntropySource, source))
        try:
            async with asyncio.timeout(5):
                out = await get_random_bytes(ref, 20)
            assert type(out) is bytes
            assert len(out) == 20
        finally:
            await ref.stop()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (BadTypeSource("x" * 32), "source returned str, expected bytes"),
        (BadTypeSource(None), "source returned NoneType, expected bytes"),
        (BadTypeSource(32), "source returned int, expected bytes"),
        (BadTypeSource([0] * 32), "source returned list, expected bytes"),
        (WrongLengthSource(), "source returned 31 bytes, expected 32"),
        (BadTypeSource(b"\x00" * 64), "source returned 64 bytes, expected 32"),
    ],
)
async def test_bad_source_output_crashes_the_worker_with_source_error(
    source: Any, expected: str
) -> None:
    ref = start_worker(cast(EntropySource, source))
    async with asyncio.timeout(5):
        with pytest.raises(ActorDiedError) as caught:
            await get_random_bytes(ref, 32)
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED
    assert isinstance(exit.error, SourceError)
    assert str(exit.error) == expected
    assert exit.reason == f"SourceError: {expected}"
    assert "SourceError" in str(caught.value)
    assert not ref.is_alive()
    with pytest.raises(ActorDiedError):  # a dead worker fails fast
        await get_random_bytes(ref, 32)


async def test_a_bad_source_fails_every_caller_of_the_batch_at_once() -> None:
    ref = start_worker(cast(EntropySource, BadTypeSource("nope")))
    replies = [ref.ask(8) for _ in range(5)]
    async with asyncio.timeout(5):
        results = await asyncio.gather(*replies, return_exceptions=True)
    assert all(isinstance(result, ActorDiedError) for result in results)


async def test_a_raising_source_crashes_the_worker_with_its_error() -> None:
    ref = start_worker(RaisingSource())
    async with asyncio.timeout(5):
        with pytest.raises(ActorDiedError, match="OSError: entropy device unplugged"):
            await get_random_bytes(ref, 8)
        exit = await ref.wait()
    assert exit.kind is ExitKind.CRASHED
    assert isinstance(exit.error, OSError)


async def test_a_malformed_ask_fails_only_its_own_caller(
    recording: tuple[ActorRef, RecordingSource],
) -> None:
    """The worker is shared: one caller's bad message must not crash it under the others."""
    ref, source = recording
    good = ref.ask(16)
    bad = [ref.ask("32"), ref.ask(-1), ref.ask(True), ref.ask(MAX_BYTES + 1)]
    also_good = ref.ask(16)
    async with asyncio.timeout(5):
        results = await asyncio.gather(good, *bad, also_good, return_exceptions=True)
    assert [len(r) for r in (results[0], results[-1])] == [16, 16]  # type: ignore[arg-type]
    assert [type(r) for r in results[1:-1]] == [TypeError, ValueError, TypeError, ValueError]
    assert all(f"[0, {MAX_BYTES}]" in str(r) for r in results[1:-1])
    assert source.sizes == [32]
    assert ref.is_alive()
    lone = ref.ask(2.5)
    async with asyncio.timeout(5):
        with pytest.raises(TypeError, match="n must be an int"):
            await lone
    assert ref.is_alive()


async def test_a_batch_over_the_read_limit_is_served_request_by_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No single read ever exceeds ``MAX_BYTES``, however many callers wait together."""
    monkeypatch.setattr(worker_module, "MAX_BYTES", 100)
    source = RecordingSource()
    ref = start_worker(source)
    try:
        replies = [ref.ask(60), ref.ask(60), ref.ask(10)]
        async with asyncio.timeout(5):
            outputs = await asyncio.gather(*replies)
        assert [len(out) for out in outputs] == [60, 60, 10]
        assert source.sizes == [60, 60, 10]
        assert outputs == source.blocks
    finally:
        await ref.stop()


async def test_worker_and_ref_reprs_are_short_and_name_no_bytes() -> None:
    ref = start_worker(RecordingSource(), name="solo")
    try:
        assert repr(ref).startswith("<ActorRef solo#")
        assert repr(EntropyWorker(RecordingSource())) == "EntropyWorker(source=RecordingSource)"
        assert repr(EntropyWorker()) == "EntropyWorker(source=OsSource)"
    finally:
        await ref.stop()


async def test_ref_call_on_a_stopped_worker_fails_fast() -> None:
    ref = start_worker()
    await ref.stop()
    with pytest.raises(ActorDiedError, match="normal: stopped"):
        await get_random_bytes(ref, 8)


# -- what a source raises that is not an Exception is still the source's failure -------------


class CancellingSource:
    """An async source whose read raises ``CancelledError`` (a client whose session was closed
    under it): nobody cancelled the worker."""

    async def read(self, n: int) -> bytes:
        raise asyncio.CancelledError


async def test_a_source_raising_cancelled_error_is_a_source_failure() -> None:
    """Counted toward quarantine like an ``OSError``: with ``min_sources`` 2 of 3 the pool
    goes on serving from the other two instead of burning its restart intensity and dying."""
    async with bounded_network(sources=[CancellingSource(), OsSource(), OsSource()],
                               min_sources=2) as net:
        async with asyncio.timeout(20):
            for _ in range(10):
                try:
                    await net.random_bytes(32)
                except WorkerDiedError:
                    assert not net.quarantined()  # served from two once it is quarantined
        assert net.quarantined() == ["worker-0"]
        assert "CancelledError" in net.status().quarantined["worker-0"].reason
        assert net.status().serving
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(32)) == 32


async def test_a_killed_worker_still_ends_as_killed_not_as_a_source_failure() -> None:
    """The worker's own cancellation (a kill while its read waits) is not the source's."""
    hanging = HangingSource()
    ref = start_worker(hanging)
    call = asyncio.ensure_future(ref.call(32, timeout=10))
    async with asyncio.timeout(5):
        await hanging.started.wait()
    ref.kill("operator")
    async with asyncio.timeout(5):
        exit = await ref.wait()
    assert exit.kind is ExitKind.KILLED
    with pytest.raises(ActorDiedError):
        await call


ESCAPE_SCRIPT = """
import asyncio, sys
import alara
from alara import OsSource

ERROR = {error}

class Sync:
    def read(self, n):
        raise ERROR

class OnLoop(Sync):
    max_inline_read = 1 << 16

class Async:
    async def read(self, n):
        raise ERROR

async def main():
    sources = [{where}(), OsSource(), OsSource()]
    async with alara.create_network(sources=sources, min_sources=2) as net:
        for _ in range(10):
            try:
                await net.random_bytes(32)
            except alara.AlaraError:
                pass
        reason = net.status().quarantined["worker-0"].reason
        print("quarantined", net.quarantined(), net.status().serving, reason)

asyncio.run(main())
print("the loop survived")
"""


@pytest.mark.parametrize("error", ["SystemExit(3)", "KeyboardInterrupt()"])
@pytest.mark.parametrize("where", ["Sync", "OnLoop", "Async"])
def test_system_exit_from_a_source_never_ends_the_loop(error: str, where: str) -> None:
    """A driver that calls ``sys.exit()`` (or raises ``KeyboardInterrupt``), in its worker
    thread or on the loop: a source failure, contained; the application's loop runs on.
    In a child process, since an escape would end the test runner's own loop."""
    done = subprocess.run(
        [sys.executable, "-c", ESCAPE_SCRIPT.format(error=error, where=where)],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the loop survived" in done.stdout
    name = error.split("(")[0]
    assert f"quarantined ['worker-0'] True SourceError: source raised {name}" in done.stdout


async def test_a_source_read_by_many_workers_is_checked_once_for_all_and_their_restarts() -> None:
    """A network works out how to read each source object once (its ``read``, whether it
    runs on the loop), not once per worker and restart: the default pool's ``os`` workers
    share one source object."""

    class Counting:
        looked_up = 0

        @property
        def max_inline_read(self) -> int:
            Counting.looked_up += 1
            return 1 << 16

        def read(self, n: int) -> bytes:
            return bytes(range(256)) * (n // 256) + bytes(range(n % 256))

    source = Counting()
    async with alara.create_network(sources=[source] * 5, health=None) as net:
        await net.random_bytes(32)
        first = net.which_children()[0]
        first.ref.kill("chaos")
        await until(lambda: net.metrics().restarts == {first.id: 1})
        await net.random_bytes(32)
    assert Counting.looked_up == 1


async def test_workers_made_from_one_source_plan_read_that_source() -> None:
    source = RecordingSource()
    plan = alara.entropy.plan_source(source)
    refs = [spawn(EntropyWorker(plan), name=f"w{index}") for index in range(2)]
    try:
        async with asyncio.timeout(5):
            outputs = [await get_random_bytes(ref, 16) for ref in refs]
    finally:
        for ref in refs:
            await ref.stop()
    assert source.blocks == outputs
    with pytest.raises(TypeError, match="source must have a read"):
        alara.entropy.plan_source(object())
