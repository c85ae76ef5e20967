"""Long encodings and samples never hold the event loop: tokens as text, ``sample``, ``shuffle``.

A ticker task measures the loop thread's CPU time between two of its wake-ups (what the loop
spent away from it: ``time.thread_time``, so that a loaded machine's scheduling does not
count), as ``python -m benchmarks.looplag`` does. The bound is generous (``STALL_MS``) against a
goal of 5 ms per step; done in one step, these calls hold the loop for 40 to 300 ms.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alara import Network
from alara.entropy import _encoding
from alara.entropy._native import ACCELERATED, native_hex, native_urlsafe
from tests.entropy.bounded import bounded_network

STALL_MS = 20.0
BIG = 64 << 20 if ACCELERATED else 8 << 20
"""The pure-Python path joins the text in one step (documented): a smaller token there."""


async def _worst_stall_ms(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """The loop's worst CPU stall during ``work()``: the test process's own objects frozen
    out of the cyclic collector, whose full passes over them are not alara's doing."""
    gc.collect()
    gc.freeze()
    try:
        return await _measured(work)
    finally:
        gc.unfreeze()


async def _measured(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    stop = asyncio.Event()
    ticked = asyncio.Event()
    worst = [0.0]

    async def ticker() -> None:
        last = time.thread_time()
        while not stop.is_set():
            await asyncio.sleep(0)  # one yield: the gap is one step of the other tasks
            now = time.thread_time()
            worst[0] = max(worst[0], now - last)
            last = now
            ticked.set()

    ticking = asyncio.create_task(ticker())
    async with asyncio.timeout(10):
        await ticked.wait()  # the ticker runs before the work starts
    worst[0] = 0.0
    result = await work()
    stop.set()
    await ticking
    return worst[0] * 1000, result


@pytest.fixture
async def net() -> Any:
    async with bounded_network(3, timeout=60) as network:
        yield network


async def test_a_large_token_hex_does_not_hold_the_loop(net: Network) -> None:
    stall, token = await _worst_stall_ms(lambda: net.token_hex(BIG))
    assert len(token) == 2 * BIG
    assert set(token[:4096]) <= set("0123456789abcdef")
    assert stall < STALL_MS


async def test_a_large_token_urlsafe_does_not_hold_the_loop(net: Network) -> None:
    stall, token = await _worst_stall_ms(lambda: net.token_urlsafe(BIG))
    assert len(token) == (4 * BIG + 2) // 3
    assert "=" not in token
    assert stall < STALL_MS


@pytest.mark.parametrize("size", [10**6, 10**9])
async def test_a_sample_of_a_million_does_not_hold_the_loop(net: Network, size: int) -> None:
    stall, chosen = await _worst_stall_ms(lambda: net.sample(range(size), 10**6))
    assert len(chosen) == 10**6
    assert len(set(chosen)) == 10**6
    assert stall < STALL_MS, stall
    del chosen


async def test_a_shuffle_of_a_million_does_not_hold_the_loop(net: Network) -> None:
    items = list(range(10**6))
    stall, _ = await _worst_stall_ms(lambda: net.shuffle(items))
    assert sorted(items) == list(range(10**6))
    assert stall < STALL_MS


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_the_encodings_are_the_standard_ones(data: bytes) -> None:
    expected_url = base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
    assert _encoding.urlsafe(data) == expected_url
    if native_hex is not None and native_urlsafe is not None:
        assert native_hex(data) == data.hex()
        assert native_urlsafe(data) == expected_url


@pytest.mark.parametrize("size", [_encoding.INLINE_ENCODE + 1, _encoding.ENCODE_SLICE * 2 + 2])
async def test_every_path_gives_the_same_text(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(size)
    expected_url = base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
    assert await _encoding.to_hex(data) == data.hex()
    assert await _encoding.to_urlsafe(data) == expected_url
    monkeypatch.setattr(_encoding, "native_hex", None)  # the pure-Python slices
    monkeypatch.setattr(_encoding, "native_urlsafe", None)
    assert await _encoding.to_hex(data) == data.hex()
    assert await _encoding.to_urlsafe(data) == expected_url


async def test_the_module_level_drop_ins_do_not_hold_the_loop() -> None:
    """``await alara.token_hex()`` and friends serve from the keyed generator: large tokens
    there go off the loop too."""
    import alara

    try:
        stall, token = await _worst_stall_ms(lambda: alara.token_hex(BIG))
        assert len(token) == 2 * BIG
        assert stall < STALL_MS
        stall, token = await _worst_stall_ms(lambda: alara.token_urlsafe(BIG))
        assert len(token) == (4 * BIG + 2) // 3
        assert stall < STALL_MS
    finally:
        await alara.close_default_network()


def test_the_blocking_encodings_are_the_standard_ones() -> None:
    import alara.secrets

    for size in (0, 5, _encoding.INLINE_ENCODE, _encoding.INLINE_ENCODE + 1):
        data = os.urandom(size)
        assert _encoding.hex_text(data) == data.hex()
        assert _encoding.urlsafe_text(data) == _encoding.urlsafe(data)
    token = alara.secrets.token_urlsafe(1 << 20)
    assert len(token) == (4 * (1 << 20) + 2) // 3
    assert len(alara.secrets.token_hex(1 << 20)) == 2 << 20


class _Freed(bytes):
    """Bytes that record the thread that frees them."""

    freed_in: ClassVar[list[str]] = []

    def __del__(self) -> None:
        self.freed_in.append(threading.current_thread().name)


@pytest.mark.skipif(native_hex is None, reason="the C module encodes off the loop")
@pytest.mark.parametrize("encode", [_encoding.to_hex, _encoding.to_urlsafe])
async def test_a_large_input_is_freed_off_the_loop(
    encode: Callable[[bytes], Awaitable[str]],
) -> None:
    """Freeing 64 MiB returns its pages to the system, milliseconds of loop time: the worker
    thread that encoded the input frees it too."""
    _Freed.freed_in.clear()
    text = await encode(_Freed(os.urandom(_encoding.INLINE_ENCODE + 3)))
    assert text
    assert len(_Freed.freed_in) == 1
    assert _Freed.freed_in[0] != threading.current_thread().name
