"""Bad input on every public entry point: a TypeError or ValueError naming the argument and
its range, raised before any state changes, and a network that still answers afterwards.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

import alara
from alara import (
    MAX_BITS,
    MAX_BYTES,
    MAX_INT_BITS,
    MAX_WORKERS,
    Network,
    get_random_bytes,
    start_worker,
)
from alara.entropy import _pool as pool_module
from tests.entropy.recording import RecordingSource

NOT_INTS = [True, False, 1.0, 2.5, "8", b"8", None, [8], 8j]


def test_documented_maximums() -> None:
    assert MAX_BYTES == 1 << 30
    assert MAX_BITS == 1 << 24
    assert MAX_INT_BITS == 1 << 24
    assert MAX_WORKERS == 100_000


@pytest.fixture
async def net() -> AsyncIterator[Network]:
    async with alara.create_network(3) as started:
        yield started


async def _assert_healthy(net: Network) -> None:
    """The pool is intact and answers: a rejected call changed nothing."""
    async with asyncio.timeout(5):
        assert len(await net.random_bytes(32)) == 32
        assert len(await net.random_bits(9)) == 9
        assert 0 <= await net.random_int(16) < 2**16
        assert 0 <= await net.random_below(10) < 10
    assert len(net.get_nodes()) == 3
    assert all(child.restarts == 0 for child in net.which_children())


def _range(name: str, low: object, high: object) -> str:
    return re.escape(f"{name} must be") + r".*" + re.escape(f"[{low}, {high}]")


def _positive(name: str) -> str:
    """A positive-number argument: the message names it and its range ``(0, max]``."""
    return re.escape(name) + r" must be (a number )?in \(0, ([0-9.e+]+|inf)\], got"


# -- the four entropy calls ------------------------------------------------------------------

HUGE = 10**5000  # str() of it would exceed CPython's 4300-digit limit
ENTROPY_CALLS = [
    ("random_bytes", "n", 0, MAX_BYTES, [-1, MAX_BYTES + 1, -(2**70), HUGE]),
    ("random_bits", "n", 0, MAX_BITS, [-1, MAX_BITS + 1, HUGE]),
    ("random_int", "bits", 1, MAX_INT_BITS, [0, -1, MAX_INT_BITS + 1, -HUGE]),
    ("random_below", "upper", 1, "2**16777216", [0, -1, (1 << MAX_INT_BITS) + 1, -HUGE]),
]
CALL_IDS = [call[0] for call in ENTROPY_CALLS]


@pytest.mark.parametrize(("method", "arg", "low", "high", "out_of_range"), ENTROPY_CALLS,
                         ids=CALL_IDS)
@pytest.mark.parametrize("bad", NOT_INTS, ids=repr)
async def test_entropy_calls_reject_non_ints(
    net: Network,
    method: str,
    arg: str,
    low: int,
    high: int | str,
    out_of_range: list[int],
    bad: Any,
) -> None:
    with pytest.raises(TypeError, match=_range(arg, low, high)) as caught:
        await getattr(net, method)(bad)
    assert type(bad).__name__ in str(caught.value)
    await _assert_healthy(net)


@pytest.mark.parametrize(("method", "arg", "low", "high", "out_of_range"), ENTROPY_CALLS,
                         ids=CALL_IDS)
async def test_entropy_calls_reject_values_out_of_range(
    net: Network, method: str, arg: str, low: int, high: int | str, out_of_range: list[int]
) -> None:
    for bad in out_of_range:
        with pytest.raises(ValueError, match=_range(arg, low, high)) as caught:
            await getattr(net, method)(bad)
        assert len(str(caught.value)) < 100  # readable, even for a 5000-digit value
    await _assert_healthy(net)


async def test_zero_is_meaningful_only_where_documented(net: Network) -> None:
    async with asyncio.timeout(5):
        assert await net.random_bytes(0) == b""
        assert await net.random_bits(0) == []
        assert await net.random_below(1) == 0
    await _assert_healthy(net)


async def test_int_subclasses_are_accepted_by_value(net: Network) -> None:
    import enum

    class Size(enum.IntEnum):
        SMALL = 5

    async with asyncio.timeout(5):
        assert len(await net.random_bytes(Size.SMALL)) == 5


async def test_a_burst_of_bad_calls_leaves_concurrent_good_calls_untouched(net: Network) -> None:
    bad = [net.random_bytes(-1), net.random_bits("x"), net.random_int(0), net.random_below(0)]  # type: ignore[arg-type]
    good = [net.random_bytes(32) for _ in range(10)]
    async with asyncio.timeout(5):
        results = await asyncio.gather(*bad, *good, return_exceptions=True)
    assert [type(r) for r in results[:4]] == [ValueError, TypeError, ValueError, ValueError]
    assert all(type(r) is bytes and len(r) == 32 for r in results[4:])
    await _assert_healthy(net)


# -- add_worker ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [42, "os", b"x", object()])
async def test_add_worker_rejects_a_source_without_read(net: Network, bad: object) -> None:
    with pytest.raises(TypeError, match="source must have a read\\(n\\) method"):
        await net.add_worker(bad)  # type: ignore[arg-type]
    await _assert_healthy(net)


async def test_add_worker_beyond_max_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "MAX_WORKERS", 3)
    async with alara.create_network(3) as net:
        with pytest.raises(ValueError, match=_range("workers", 1, 3)):
            await net.add_worker()
        await _assert_healthy(net)
        assert net.supervisor.size == 3


# -- Network / create_network keyword arguments ----------------------------------------------

BAD_OPTIONS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"workers": 0}, ValueError, _range("workers", 1, MAX_WORKERS)),
    ({"workers": -3}, ValueError, _range("workers", 1, MAX_WORKERS)),
    ({"workers": MAX_WORKERS + 1}, ValueError, _range("workers", 1, MAX_WORKERS)),
    ({"workers": True}, TypeError, _range("workers", 1, MAX_WORKERS)),
    ({"workers": 3.0}, TypeError, _range("workers", 1, MAX_WORKERS)),
    ({"workers": "3"}, TypeError, _range("workers", 1, MAX_WORKERS)),
    ({"sources": "abc"}, TypeError, "sources must be a sequence of EntropySource"),
    ({"sources": b"abc"}, TypeError, "sources must be a sequence of EntropySource"),
    ({"sources": 42}, TypeError, "sources must be a sequence of EntropySource"),
    ({"sources": []}, ValueError, _range("len(sources)", 1, MAX_WORKERS)),
    ({"sources": [object()]}, TypeError, "sources: object has no read\\(n\\) method"),
    (
        {"workers": 2, "sources": [RecordingSource()]},
        ValueError,
        re.escape("workers (2) must equal len(sources) (1)"),
    ),
    ({"max_restarts": -1}, ValueError, _range("max_restarts", 0, 1_000_000_000)),
    ({"max_restarts": 1.5}, TypeError, _range("max_restarts", 0, 1_000_000_000)),
    ({"max_restarts": True}, TypeError, _range("max_restarts", 0, 1_000_000_000)),
    ({"period": 0}, ValueError, _positive("period")),
    ({"period": -1.0}, ValueError, _positive("period")),
    ({"period": math.nan}, ValueError, _positive("period")),
    ({"period": "5"}, TypeError, _positive("period")),
    ({"period": True}, TypeError, _positive("period")),
    ({"timeout": 0}, ValueError, _positive("timeout")),
    ({"timeout": math.inf}, ValueError, _positive("timeout")),
    ({"timeout": 3601}, ValueError, _positive("timeout")),
    ({"timeout": None}, TypeError, _positive("timeout")),
    ({"contribution_timeout": -0.1}, ValueError, _positive("contribution_timeout")),
    ({"contribution_timeout": "1"}, TypeError, _positive("contribution_timeout")),
    ({"min_sources": 0}, ValueError, _range("min_sources", 1, 3)),
    ({"min_sources": 4}, ValueError, _range("min_sources", 1, 3)),
    ({"min_sources": False}, TypeError, _range("min_sources", 1, 3)),
    ({"contribution_size": 31}, ValueError, _range("contribution_size", 32, 1 << 20)),
    ({"contribution_size": (1 << 20) + 1}, ValueError, _range("contribution_size", 32, 1 << 20)),
    ({"contribution_size": 32.0}, TypeError, _range("contribution_size", 32, 1 << 20)),
    ({"health": 42}, TypeError, "health must be a callable"),
    ({"wrokers": 3}, TypeError, "unexpected keyword argument 'wrokers'"),
]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    BAD_OPTIONS,
    ids=[",".join(f"{k}={v!r}"[:30] for k, v in case[0].items()) for case in BAD_OPTIONS],
)
def test_network_rejects_bad_options(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    options = dict(options)
    workers = options.pop("workers", None)
    with pytest.raises(error, match=message):
        alara.create_network(workers, **options)
    with pytest.raises(error, match=message):
        Network(workers, **options)


async def test_a_rejected_configuration_does_not_disturb_a_running_network(net: Network) -> None:
    with pytest.raises(ValueError, match="workers"):
        alara.create_network(0)
    await _assert_healthy(net)


# -- the standalone worker -------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, "worker", 42, object()])
async def test_get_random_bytes_rejects_what_is_not_a_ref(bad: object) -> None:
    with pytest.raises(TypeError, match="worker must be an ActorRef"):
        await get_random_bytes(bad, 8)  # type: ignore[arg-type]


async def test_get_random_bytes_rejects_bad_sizes_and_timeouts() -> None:
    ref = start_worker()
    try:
        for bad_n in NOT_INTS:
            with pytest.raises(TypeError, match=_range("n", 0, 1 << 30)):
                await get_random_bytes(ref, bad_n)  # type: ignore[arg-type]
        for bad_n in (-1, (1 << 30) + 1):
            with pytest.raises(ValueError, match=_range("n", 0, 1 << 30)):
                await get_random_bytes(ref, bad_n)
        for bad_timeout, error in [(0, ValueError), (-1, ValueError), (math.nan, ValueError),
                                   ("1", TypeError), (True, TypeError), (None, TypeError)]:
            with pytest.raises(error, match=_positive("timeout")):
                await get_random_bytes(ref, 8, timeout=bad_timeout)  # type: ignore[arg-type]
        async with asyncio.timeout(5):
            assert len(await get_random_bytes(ref, 8)) == 8  # still serving
        assert ref.is_alive()
    finally:
        await ref.stop()


@pytest.mark.parametrize("bad", [42, "urandom", b"x", object()])
async def test_start_worker_rejects_a_source_without_read(bad: object) -> None:
    with pytest.raises(TypeError, match="source must have a read\\(n\\) method"):
        start_worker(bad)  # type: ignore[arg-type]


async def test_start_worker_rejects_a_bad_name() -> None:
    with pytest.raises(TypeError, match="name must be a str"):
        start_worker(name=42)  # type: ignore[arg-type]
