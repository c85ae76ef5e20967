"""Fuzz every public entry point with arguments of every type.

The contract: whatever a caller passes, only ``TypeError``, ``ValueError`` or an
``AlaraError`` subclass comes out (never an ``AttributeError``, ``OverflowError``,
``AssertionError``...), nothing hangs, and the network still answers afterwards.

Each test shares one network across all its examples on purpose: the bad calls pile up on
the same pool, and the pool must survive all of them, not just one. Example counts are kept
modest so the suite stays fast; the strategies lean on edge values (huge, negative, NaN,
infinite, wrong types) rather than on volume. Valid sizes are kept small (at most 1 MiB):
this tests the argument checks, not the allocator.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alara
from alara import (
    ActorRef,
    AlaraError,
    ChildSpec,
    EntropyWorker,
    Network,
    OneForOneSupervisor,
    Restart,
    create_network,
    get_random_bytes,
    start_worker,
)

ALLOWED = (TypeError, ValueError, AlaraError)
ANSWER_WITHIN = 10.0  # seconds; far above any call here, so only a real hang trips it

EDGE_INTS = [
    -1, 0, 1, 2, 31, 32, 33, 255, 256, 2**16, 2**20, 2**20 + 1,
    2**24 + 1, 2**30 + 1, 2**31, 2**32 + 1, 2**63 - 1, 2**63, 2**64 + 1,
    -(2**31), -(2**63), -(2**64), 10**100, -(10**100), 10**5000, 1 << (1 << 24) | 1,
]
"""Boundaries and far-out-of-range values; none is a valid size above 1 MiB + 1."""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**20), max_value=2**20),
    st.sampled_from(EDGE_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5e-324, 1e-300, 1e300, float("inf"), float("-inf"), float("nan"), -0.0]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(),
    st.complex_numbers(max_magnitude=1e6),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.sampled_from([object(), Ellipsis, NotImplemented, int, float, Restart.PERMANENT]),
)
anything = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.tuples(scalars, scalars),
    st.dictionaries(st.text(max_size=3), scalars, max_size=2),
    st.frozensets(st.integers(-3, 3), max_size=3),
)
fuzz = settings(
    max_examples=100,
    deadline=None,  # a call may wait for a restart; ANSWER_WITHIN bounds it instead
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # shared on purpose
)


async def attempt(call: Callable[[], Any]) -> object:
    """Run ``call`` (sync or async): its result, or the allowed error it raised.

    Any other exception escapes and fails the test; so does a call that does not finish.
    """
    try:
        async with asyncio.timeout(ANSWER_WITHIN):
            result = call()
            if inspect.isawaitable(result):
                result = await result
    except ALLOWED as error:
        return error
    return result


async def assert_answers(net: Network) -> None:
    """The pool is whole (every worker restarted if one died) and serves a request."""
    async with asyncio.timeout(ANSWER_WITHIN):
        while len(net.get_nodes()) != net.supervisor.size:
            await net.supervisor.changed()
        assert len(await net.random_bytes(32)) == 32
    assert net.supervisor.error is None
    assert not net.quarantined()


@pytest.fixture
async def net() -> AsyncIterator[Network]:
    """One network for every example of a test, with room for the restarts fuzzing causes."""
    async with create_network(3, max_restarts=1_000_000, period=1.0) as started:
        yield started


# -- the façade --------------------------------------------------------------------------------


@fuzz
@given(method=st.sampled_from(["random_bytes", "random_bits", "random_int", "random_below"]),
       value=anything)
async def test_entropy_calls(net: Network, method: str, value: object) -> None:
    result = await attempt(lambda: getattr(net, method)(value))
    if not isinstance(result, BaseException):
        assert type(value) is int  # only a real int (not bool, float, str...) is accepted
        if method == "random_bytes":
            assert isinstance(result, bytes)
            assert len(result) == value
        elif method == "random_bits":
            assert isinstance(result, list)
            assert len(result) == value
        else:
            assert isinstance(result, int)
            assert result >= 0
    await assert_answers(net)


@fuzz
@given(source=anything)
async def test_add_worker(net: Network, source: object) -> None:
    before = net.supervisor.size
    result = await attempt(lambda: net.add_worker(source))  # type: ignore[arg-type]
    if isinstance(result, ActorRef):
        assert source is None  # nothing in ``anything`` has a read(n) method
        assert net.supervisor.size == before + 1
    else:
        assert isinstance(result, TypeError)
        assert net.supervisor.size == before
    await assert_answers(net)


@fuzz
@given(worker_is_real=st.booleans(), worker=anything, n=anything, timeout=anything)
async def test_get_random_bytes(
    net: Network, worker_is_real: bool, worker: object, n: object, timeout: object
) -> None:
    target = net.get_nodes()[0] if worker_is_real else worker
    result = await attempt(
        lambda: get_random_bytes(target, n, timeout=timeout)  # type: ignore[arg-type]
    )
    if isinstance(result, bytes):
        assert len(result) == n
    await assert_answers(net)


# -- actor refs --------------------------------------------------------------------------------


@fuzz
@given(message=anything, timeout=anything)
async def test_actor_ref_call(net: Network, message: object, timeout: object) -> None:
    ref = net.get_nodes()[0]
    result = await attempt(lambda: ref.call(message, timeout=timeout))  # type: ignore[arg-type]
    if isinstance(result, bytes):
        assert len(result) == message
    await assert_answers(net)


@fuzz
@given(reason=anything)
async def test_actor_ref_kill(net: Network, reason: object) -> None:
    ref = net.get_nodes()[0]
    result = await attempt(lambda: ref.kill(reason))  # type: ignore[arg-type]
    if isinstance(result, TypeError):
        assert ref.is_alive()  # a rejected kill kills nothing
    else:
        assert isinstance(reason, str)
        assert not ref.is_alive()
    await assert_answers(net)  # the supervisor restarted a killed worker


@fuzz
@given(timeout=anything)
async def test_actor_ref_stop(net: Network, timeout: object) -> None:
    ref = net.get_nodes()[0]
    result = await attempt(lambda: ref.stop(timeout))  # type: ignore[arg-type]
    if isinstance(result, BaseException):
        assert ref.is_alive()  # a rejected stop stops nothing
    await assert_answers(net)


@fuzz
@given(n=anything, timeout=anything)
async def test_standalone_worker(n: object, timeout: object) -> None:
    ref = start_worker()
    try:
        await attempt(lambda: get_random_bytes(ref, n, timeout=timeout))  # type: ignore[arg-type]
        await attempt(lambda: ref.call(n, timeout=timeout))  # type: ignore[arg-type]
        assert ref.is_alive()  # bad requests fail their caller, not the shared worker
        assert len(await get_random_bytes(ref, 16)) == 16
    finally:
        await ref.stop()


# -- construction ----------------------------------------------------------------------------

NETWORK_OPTIONS = [
    "sources", "max_restarts", "period", "timeout", "contribution_timeout", "min_sources",
    "contribution_size", "health", "quarantine_after", "quarantine_period", "no_such_option",
]


@fuzz
@given(workers=st.one_of(st.integers(-2, 6), anything), option=st.sampled_from(NETWORK_OPTIONS),
       value=anything)
async def test_create_network(workers: object, option: str, value: object) -> None:
    """One fuzzed option at a time (the others default), so a valid result stays usable."""
    built = await attempt(lambda: create_network(workers, **{option: value}))  # type: ignore[arg-type]
    if isinstance(built, BaseException):
        return
    assert isinstance(built, Network)
    if built.supervisor.size > 64:  # a valid but large pool: construction was the test
        return
    async with built:
        result = await attempt(lambda: built.random_bytes(32))
        assert isinstance(result, (bytes, AlaraError))


@fuzz
@given(options=st.dictionaries(st.sampled_from(NETWORK_OPTIONS), anything, max_size=4))
def test_network_construction_with_many_options(options: dict[str, Any]) -> None:
    try:
        built = Network(**options)
    except ALLOWED:
        return
    assert repr(built).startswith("<Network idle")  # built, not started: nothing to clean up


@fuzz
@given(
    child_id=st.one_of(st.text(max_size=5), anything),
    factory=st.one_of(st.just(EntropyWorker), anything),
    restart=st.one_of(st.sampled_from(Restart), anything),
    shutdown_timeout=anything,
)
def test_child_spec(
    child_id: object, factory: object, restart: object, shutdown_timeout: object
) -> None:
    try:
        spec = ChildSpec(child_id, factory, restart, shutdown_timeout)  # type: ignore[arg-type]
    except ALLOWED:
        return
    assert isinstance(spec.id, str)
    assert spec.id
    assert callable(spec.factory)
    assert isinstance(spec.restart, Restart)


def _spec(name: str) -> ChildSpec:
    return ChildSpec(name, EntropyWorker)


@fuzz
@given(
    children=st.one_of(
        st.lists(st.sampled_from(["a", "b", "c"]).map(_spec), max_size=3), anything
    ),
    max_restarts=st.one_of(st.integers(-2, 20), anything),
    period=anything,
    name=st.one_of(st.text(max_size=5), anything),
    on_child_exit=st.one_of(st.none(), st.just(lambda child, exit: True), anything),
)
async def test_supervisor(
    children: object, max_restarts: object, period: object, name: object, on_child_exit: object
) -> None:
    supervisor = await attempt(
        lambda: OneForOneSupervisor(
            children,  # type: ignore[arg-type]
            max_restarts=max_restarts,  # type: ignore[arg-type]
            period=period,  # type: ignore[arg-type]
            name=name,  # type: ignore[arg-type]
            on_child_exit=on_child_exit,  # type: ignore[arg-type]
        )
    )
    if isinstance(supervisor, BaseException):
        return
    assert isinstance(supervisor, OneForOneSupervisor)
    await supervisor.start()
    try:
        for ref in supervisor.live_refs():
            assert len(await get_random_bytes(ref, 8)) == 8
    finally:
        await supervisor.stop()
    assert supervisor.error is None


# -- after all that ----------------------------------------------------------------------------


async def test_a_network_survives_one_of_every_bad_call_in_a_row() -> None:
    """The same pool, hit by every kind of bad call back to back, still answers."""
    calls: list[Callable[[Network], Awaitable[object] | object]] = [
        lambda net: net.random_bytes(-1),
        lambda net: net.random_bytes(2.0),  # type: ignore[arg-type]
        lambda net: net.random_bits(10**5000),
        lambda net: net.random_int(True),
        lambda net: net.random_below(0),
        lambda net: net.add_worker(object()),  # type: ignore[arg-type]
        lambda net: get_random_bytes(net.get_nodes()[0], 2**40),
        lambda net: get_random_bytes(net.get_nodes()[0], 8, timeout=float("nan")),
        lambda net: net.get_nodes()[0].call("eight", timeout=1.0),
        lambda net: net.get_nodes()[0].call(-5, timeout=1.0),
        lambda net: net.get_nodes()[0].call(8, timeout=-1),
        lambda net: net.get_nodes()[0].stop(float("inf") * 0),
        lambda net: net.get_nodes()[0].kill(b"reason"),  # type: ignore[arg-type]
    ]
    async with alara.create_network(3) as net:
        for call in calls:
            result = await attempt(lambda call=call: call(net))  # type: ignore[misc]
            assert isinstance(result, ALLOWED), call
        await assert_answers(net)
        assert all(child.restarts == 0 for child in net.which_children())
