"""The C twins (``alara.entropy._accel``) against their pure-Python references.

The health tests must reject the same block with the same message and keep the same state
after every block they pass; the encoding must be byte for byte the same. CI builds the C
module, so a build that silently fell back to pure Python fails here rather than going
unnoticed (set ``ALARA_PURE_PYTHON=1`` to test a pure-Python install on purpose).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alara.entropy import _mixing as mixing
from alara.entropy import _native as accel
from alara.entropy._health import APT_WINDOW, DEFAULT_HEALTH, HealthPolicy, HealthTests
from alara.errors import HealthTestError
from tests.entropy.reference import decode
from tests.entropy.streams import low_entropy_blocks

PURE = os.environ.get("ALARA_PURE_PYTHON", "") not in ("", "0")
needs_native = pytest.mark.skipif(PURE, reason="ALARA_PURE_PYTHON is set: testing pure Python")


def test_the_c_module_is_built_and_in_use() -> None:
    if PURE:
        assert not accel.ACCELERATED
        return
    assert accel.ACCELERATED, (
        "alara.entropy._accel was not built: install a C compiler and the Python headers "
        "and reinstall, or set ALARA_PURE_PYTHON=1 to test the pure-Python twins on purpose")
    assert type(DEFAULT_HEALTH()) is accel.NativeHealthTests


def _python_state(tests: HealthTests) -> tuple[int, int, int, int, int, int]:
    return (tests._last, tests._rct_run, tests._apt_ref, tests._apt_seen, tests._apt_count,
            tests._block)


def _outcome(check: Callable[[bytes], None], block: bytes) -> str | None:
    try:
        check(block)
    except HealthTestError as error:
        return str(error)
    return None


@needs_native
@settings(max_examples=400, deadline=None)
@given(blocks=low_entropy_blocks(alphabet=20, run=12, blocks=10, block_bytes=1200),
       rct=st.integers(2, 60), apt=st.integers(2, APT_WINDOW + 1), prefix=st.integers(0, 40))
def test_the_c_health_tests_are_the_python_ones(
    blocks: list[bytes], rct: int, apt: int, prefix: int
) -> None:
    assert accel.NativeHealthTests is not None
    native, python = accel.NativeHealthTests(rct, apt, prefix), HealthTests(rct, apt, prefix)
    assert repr(native) == repr(python)
    for block in blocks:  # on past a failure too: a block that fails changes no state
        assert _outcome(native, block) == _outcome(python, block)
        assert native._state() == _python_state(python)


@needs_native
def test_the_c_health_tests_take_any_bytes_like_block_and_refuse_the_rest() -> None:
    assert accel.NativeHealthTests is not None
    tests = accel.NativeHealthTests(11, 78)
    tests(bytearray(b"ab"))
    tests(memoryview(b"cd"))
    assert tests._state()[0] == ord("d")
    with pytest.raises(TypeError):
        tests("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tests()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        tests(b"a", b"b")  # type: ignore[call-arg]
    for rct, apt, prefix in ((1, 10, 0), (5, APT_WINDOW + 2, 0), (10**12, 10, 0), (11, 1, 0),
                             (11, 78, -1), (11, 78, 1 << 17)):
        with pytest.raises((ValueError, OverflowError)):
            accel.NativeHealthTests(rct, apt, prefix)


@needs_native
def test_a_policy_gives_fresh_c_state_with_its_cutoffs() -> None:
    policy = HealthPolicy(min_entropy=2.0)
    first, second = policy(), policy()
    assert first is not second
    assert repr(first) == repr(HealthTests(policy.rct_cutoff, policy.apt_cutoff,
                                           policy.block_prefix))


@needs_native
@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, 80), count=st.integers(1, 6), n=st.integers(0, 1 << 30),
       seed=st.binary(min_size=1, max_size=8))
def test_the_c_encoding_is_the_python_one(size: int, count: int, n: int, seed: bytes) -> None:
    assert accel.native_frame is not None
    contributions = [(seed * (size // len(seed) + 1))[:size] for _ in range(count)]
    contributions[-1] = bytes(reversed(contributions[-1]))
    framed = accel.native_frame(mixing.EXTRACT_TAG, contributions, n)
    assert framed is not None
    assert decode(framed) == (n, contributions)  # the reference's reading of the framing
    assert mixing.encode_contributions(contributions, n) == framed


@needs_native
def test_the_c_encoding_leaves_every_other_shape_to_python() -> None:
    frame = accel.native_frame
    assert frame is not None
    tag = mixing.EXTRACT_TAG
    assert frame(tag, [], 32) is None
    assert frame(tag, [b"ab", b"abc"], 32) is None  # lengths differ
    assert frame(tag, [b"ab", bytearray(b"cd")], 32) is None
    assert frame(tag, (b"ab", b"cd"), 32) is None  # not a list
    assert frame(tag, [b"ab"], -1) is None
    with pytest.raises(TypeError):
        frame(tag, [b"ab"])  # type: ignore[call-arg]
    odd_shapes: list[Sequence[bytes | bytearray]] = [
        [b"ab", b"abc"], [b"ab", bytearray(b"cd")], (b"ab", b"cd")]
    for odd in odd_shapes:
        assert decode(mixing.encode_contributions(odd, 5)) == (5, [bytes(c) for c in odd])


def test_alara_runs_on_pure_python_when_asked() -> None:
    code = ("import asyncio, alara; from alara.entropy import _native as accel; "
            "assert not accel.ACCELERATED; "
            "print(len(asyncio.run(alara.random_bytes(32))))")
    env = {**os.environ, "ALARA_PURE_PYTHON": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "32"
