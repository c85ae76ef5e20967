"""Sliced work gives exactly what the one-go functions give, across every slice boundary."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

import pytest

import alara
from alara.entropy import _conversions as conversions
from alara.entropy import _offload as offload
from alara.entropy import _staging as staging
from alara.entropy._mixing import EXPAND_BLOCK, expand_blocks
from alara.entropy._offload import THREAD_JOIN, mix_sliced
from tests.helpers import until

BITS_SLICE, INT_SLICE = conversions.BITS_SLICE, conversions.INT_SLICE
LARGE_SIZES = [THREAD_JOIN + 1, 5 * EXPAND_BLOCK, 9 * EXPAND_BLOCK + 7]
needs_memfd = pytest.mark.skipif(not hasattr(os, "memfd_create"),
                                 reason="Linux only: memfd staging")


@pytest.mark.parametrize("n", [1, 32, 33, EXPAND_BLOCK + 1, THREAD_JOIN, *LARGE_SIZES])
async def test_mix_sliced_is_mix(n: int) -> None:
    contributions = [os.urandom(32), os.urandom(48)]
    assert await mix_sliced(contributions, n) == alara.mix(contributions, n)


@pytest.mark.parametrize("n", LARGE_SIZES)
async def test_mix_sliced_without_memfd_keeps_the_blocks_in_a_list(
    monkeypatch: pytest.MonkeyPatch, n: int,
) -> None:
    """Where ``memfd_create`` is missing or refused, the list fallback gives the same output."""
    def refused(name: str, flags: int = 0) -> int:
        raise PermissionError("memfd_create refused")

    monkeypatch.setattr(os, "memfd_create", refused, raising=False)
    assert isinstance(staging.open_stage(), staging._ListStage)
    contributions = [os.urandom(32), os.urandom(48)]
    assert await mix_sliced(contributions, n) == alara.mix(contributions, n)


def _staging_files() -> int:
    """How many of this process's descriptors are alara's staging files."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir used, closed by now
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:alara-output")
    return count


@needs_memfd
async def test_large_mix_stages_off_the_heap_and_closes_its_file() -> None:
    before = _staging_files()
    stage = staging.open_stage()
    assert isinstance(stage, staging._FileStage)
    stage.discard()
    contributions = [os.urandom(32)]
    assert await mix_sliced(contributions, 3 * THREAD_JOIN) == alara.mix(contributions,
                                                                         3 * THREAD_JOIN)
    await until(lambda: _staging_files() == before)  # a discarded stage closes in the background
    assert await mix_sliced(contributions, 3 * THREAD_JOIN) == alara.mix(contributions,
                                                                         3 * THREAD_JOIN)
    assert _staging_files() == before  # the reading thread closed it before returning


@needs_memfd
async def test_a_cancelled_large_mix_closes_its_staging_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _staging_files()
    loop = asyncio.get_running_loop()
    halfway = asyncio.Event()

    def blocks(key: bytes, n: int) -> Iterator[bytes]:
        for i, block in enumerate(expand_blocks(key, n)):
            if i == 3:
                assert _staging_files() == before + 1  # blocks go to the staging file
                loop.call_soon(halfway.set)
            yield block

    monkeypatch.setattr(offload, "expand_blocks", blocks)
    task = asyncio.ensure_future(mix_sliced([os.urandom(32)], 4 * THREAD_JOIN))
    await asyncio.wait_for(halfway.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: _staging_files() == before)  # closed in the background


async def test_mix_sliced_hashes_large_contributions_in_pieces() -> None:
    contributions = [os.urandom(3 * EXPAND_BLOCK + 1), os.urandom(32)]
    assert await mix_sliced(contributions, 64) == alara.mix(contributions, 64)


@pytest.mark.parametrize("n", [1, 7, 8 * BITS_SLICE, 8 * BITS_SLICE + 3, 3 * 8 * BITS_SLICE - 1])
async def test_bits_sliced_is_bits_inline(n: int) -> None:
    data = os.urandom((n + 7) // 8)
    bits = await conversions.bits_sliced(data, n)
    assert bits == conversions.bits_inline(data, n)
    assert len(bits) == n
    assert int("".join(map(str, bits)), 2) == int.from_bytes(data, "big") >> (8 * len(data) - n)


@pytest.mark.parametrize("bits", [8 * INT_SLICE + 1, 16 * INT_SLICE, 16 * INT_SLICE + 5,
                                  24 * INT_SLICE - 3, 40 * INT_SLICE + 8, 1 << 24])
async def test_int_sliced_is_int_inline(bits: int) -> None:
    """Pieces joined pairwise (odd and even counts, a short last piece, dropped low bits)
    give exactly the one-go int."""
    data = os.urandom((bits + 7) // 8)
    value = await conversions.int_sliced(data, bits)
    assert value == conversions.int_inline(data, bits)
    assert value.bit_length() <= bits


async def test_random_int_above_the_slice_is_in_range() -> None:
    async with alara.create_network(2) as net:
        bits = 8 * INT_SLICE + 3
        value = await net.random_int(bits)
        assert 0 <= value < 1 << bits
        assert value.bit_length() > bits - 64  # all but a 2**-64 chance


async def test_a_task_woken_during_a_slice_runs_before_the_next_slice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a timer or I/O does during a slice: a callback completes a future, and the task
    awaiting it needs one loop iteration for the callback and one for itself. ``pause()``
    must give it both before the next slice starts (one ``sleep(0)`` gives it only one)."""
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()
    computed: list[int] = []
    ran_after: list[int] = []

    async def sleeper() -> None:
        await woken
        ran_after.append(len(computed))

    task = asyncio.ensure_future(sleeper())
    await asyncio.sleep(0)  # the sleeper is waiting


    def blocks(key: bytes, n: int) -> Iterator[bytes]:
        for block in expand_blocks(key, n):
            computed.append(len(block))
            if len(computed) == 1:  # "a timer fires" during the first slice
                loop.call_soon(woken.set_result, None)
            yield block

    monkeypatch.setattr(offload, "expand_blocks", blocks)
    contributions = [os.urandom(32)]
    n = 4 * EXPAND_BLOCK
    assert await mix_sliced(contributions, n) == alara.mix(contributions, n)
    await task
    assert ran_after == [1]  # between the first slice and the second


@needs_memfd
async def test_a_stage_discarded_without_an_executor_closes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A loop shutting down has no executor: the staging file is closed in place, not leaked."""
    before = _staging_files()
    stage = staging.open_stage()
    stage.add(os.urandom(64))
    loop = asyncio.get_running_loop()

    def shut_down(*args: object) -> None:
        raise RuntimeError("Executor shutdown has been called")

    monkeypatch.setattr(loop, "run_in_executor", shut_down)
    stage.discard()
    assert _staging_files() == before
