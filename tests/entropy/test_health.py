"""NIST SP 800-90B continuous health tests: cutoffs, behaviour against a reference, wiring.

The cutoffs are checked three ways: against NIST's own published values, against an exact
``Fraction`` computation, and against the table in ``docs/health-tests.md``. The fast
bytes-level implementation is checked against a literal per-sample transcription of the
standard's pseudo-code on hypothesis-generated streams cut into arbitrary contributions.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import re
from collections.abc import MutableMapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alara
from alara import EntropyWorker, HealthTestError, Network, OsSource, SourceError, spawn
from alara.entropy._health import (
    APT_WINDOW,
    DEFAULT_ALPHA,
    DEFAULT_HEALTH,
    DEFAULT_MIN_ENTROPY,
    MIN_ENTROPY_FLOOR,
    STARTUP_SAMPLES,
    HealthPolicy,
    HealthTests,
    apt_cutoff,
    critbinom,
    fast_maker,
    rct_cutoff,
)
from alara.testing.sources import (
    AttackerSource,
    BiasedSource,
    ConstantSource,
    PatternSource,
)
from tests.entropy.recording import RecordingSource
from tests.entropy.streams import low_entropy_blocks

Logs = list[MutableMapping[str, Any]]

DOC = Path(__file__).resolve().parents[2] / "docs" / "health-tests.md"


# -- a literal transcription of SP 800-90B 4.4.1 and 4.4.2, one sample at a time -----------


def reference_first_failure(stream: bytes, rct: int, apt: int) -> int | None:
    """Index of the sample at which the RCT or the APT first fails, or None."""
    rct_value, rct_count = -1, 0
    apt_value, apt_count, apt_seen = -1, 0, 0
    for index, sample in enumerate(stream):
        if sample == rct_value:
            rct_count += 1
            if rct_count >= rct:
                return index
        else:
            rct_value, rct_count = sample, 1
        if apt_seen == 0:
            apt_value, apt_count = sample, 0
        if sample == apt_value:
            apt_count += 1
            if apt_count >= apt:
                return index
        apt_seen = (apt_seen + 1) % APT_WINDOW
    return None


def failing_block(tests: HealthTests, blocks: Sequence[bytes]) -> int | None:
    """Index of the block the fast implementation rejects, or None."""
    failed: tuple[int, str] | None = None
    for index, block in enumerate(blocks):
        try:
            tests(block)
        except HealthTestError as error:
            failed = index, str(error)
            break
    if failed is None:
        return None
    assert failed[1].startswith("health_test: ")
    return failed[0]


def block_of(blocks: Sequence[bytes], sample: int | None) -> int | None:
    if sample is None:
        return None
    end = 0
    for index, block in enumerate(blocks):
        end += len(block)
        if sample < end:
            return index
    raise AssertionError("sample index beyond the stream")


@settings(max_examples=300, deadline=None)
@given(
    blocks=low_entropy_blocks(),
    rct=st.integers(2, 40),
    apt=st.integers(2, APT_WINDOW),
)
def test_fast_tests_reject_the_same_block_as_the_reference(
    blocks: list[bytes], rct: int, apt: int
) -> None:
    expected = block_of(blocks, reference_first_failure(b"".join(blocks), rct, apt))
    assert failing_block(HealthTests(rct, apt), blocks) == expected


@settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=1, max_size=3000), cuts=st.lists(st.integers(0, 3000)))
def test_how_a_stream_is_cut_into_blocks_does_not_matter(data: bytes, cuts: list[int]) -> None:
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    blocks = [data[a:b] for a, b in itertools.pairwise(points)]
    expected = block_of(blocks, reference_first_failure(data, 3, 6))
    assert failing_block(HealthTests(3, 6), blocks) == expected


# -- cutoffs -------------------------------------------------------------------------------

NIST_TABLE_2 = [(0.5, 410), (1.0, 311), (2.0, 177), (4.0, 62), (8.0, 13)]
"""SP 800-90B Table 2: APT cutoffs for W = 512 and alpha = 2**-20."""


@pytest.mark.parametrize(("entropy", "cutoff"), NIST_TABLE_2)
def test_apt_cutoffs_match_nist_table_2(entropy: float, cutoff: int) -> None:
    assert apt_cutoff(entropy, 2.0**-20) == cutoff


@pytest.mark.parametrize(
    ("entropy", "alpha_log2", "cutoff"),
    [(2.0, 20, 11), (1.0, 20, 21), (8.0, 20, 4), (4.0, 40, 11), (8.0, 40, 6), (0.5, 40, 81)],
)
def test_rct_cutoff_is_one_plus_ceil_minus_log2_alpha_over_h(
    entropy: float, alpha_log2: int, cutoff: int
) -> None:
    assert rct_cutoff(entropy, 2.0**-alpha_log2) == cutoff
    assert cutoff == 1 + math.ceil(alpha_log2 / entropy)


def _fraction_critbinom(trials: int, p: Fraction, alpha: Fraction) -> int:
    tail = Fraction(0)
    for k in range(trials, -1, -1):
        if tail > alpha:
            return k + 1
        tail += math.comb(trials, k) * p**k * (1 - p) ** (trials - k)
    return 0


@pytest.mark.parametrize("trials", [1, 7, 40, 130])
@pytest.mark.parametrize("p", [0.5, 0.3, 2.0**-4, 2.0**-0.5, 0.999])
@pytest.mark.parametrize("alpha", [0.25, 2.0**-10, 1e-6])
def test_critbinom_is_exact(trials: int, p: float, alpha: float) -> None:
    expected = _fraction_critbinom(trials, Fraction(p), Fraction(alpha))
    assert critbinom(trials, p, alpha) == expected


def test_critbinom_is_excel_critbinom() -> None:
    # CRITBINOM(n, p, 1 - alpha) is the least k with P(X <= k) >= 1 - alpha.
    trials, p, alpha = 512, 2.0**-4, 2.0**-40
    k = critbinom(trials, p, alpha)

    def cdf(k: int) -> Fraction:
        q = Fraction(p)
        return sum((math.comb(trials, i) * q**i * (1 - q) ** (trials - i)
                    for i in range(k + 1)), Fraction(0))

    assert cdf(k) >= 1 - Fraction(alpha) > cdf(k - 1)
    assert k + 1 == DEFAULT_HEALTH.apt_cutoff == 78


@pytest.mark.parametrize(
    ("args", "message"),
    [((0, 0.5, 0.1), "trials"), ((5, 0.0, 0.1), "p must"), ((5, 1.0, 0.1), "p must"),
     ((5, 0.5, 0.0), "alpha"), ((5, 0.5, 1.0), "alpha")],
)
def test_critbinom_rejects_bad_arguments(args: tuple[Any, float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        critbinom(*args)


def test_the_table_in_the_docs_is_what_the_code_computes() -> None:
    row = re.compile(r"^\|\s*\**([\d.]+)\**\s*\|\s*\**2\^-(\d+)\**\s*\|\s*\**(\d+)\**\s*\|"
                     r"\s*\**(\d+)\**\s*\|$")
    rows = [row.match(line) for line in DOC.read_text(encoding="utf-8").splitlines()]
    found = [match.groups() for match in rows if match]
    assert len(found) >= 10
    for entropy, alpha_log2, rct, apt in found:
        policy = HealthPolicy(min_entropy=float(entropy), alpha=2.0 ** -int(alpha_log2))
        assert (policy.rct_cutoff, policy.apt_cutoff) == (int(rct), int(apt)), entropy
    assert ("4", "40", "11", "78") in found  # the default, as the docs state it


def test_default_policy_is_the_documented_one() -> None:
    assert DEFAULT_MIN_ENTROPY == 4.0
    assert DEFAULT_ALPHA == 2.0**-40
    assert (DEFAULT_HEALTH.min_entropy, DEFAULT_HEALTH.alpha) == (4.0, 2.0**-40)
    assert (DEFAULT_HEALTH.rct_cutoff, DEFAULT_HEALTH.apt_cutoff) == (11, 78)
    assert DEFAULT_HEALTH.startup_samples == 0
    assert STARTUP_SAMPLES == 1024
    text = DOC.read_text(encoding="utf-8")
    assert "RCT cutoff 11, APT cutoff 78" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"min_entropy": "4"}, TypeError, "min_entropy"),
        ({"min_entropy": True}, TypeError, "min_entropy"),
        ({"min_entropy": 0}, ValueError, "min_entropy"),
        ({"min_entropy": 5e-324}, ValueError, "min_entropy"),
        ({"min_entropy": 8.5}, ValueError, "min_entropy"),
        ({"min_entropy": math.nan}, ValueError, "min_entropy"),
        ({"alpha": None}, TypeError, "alpha"),
        ({"alpha": 0.5}, ValueError, "alpha"),
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"alpha": math.inf}, ValueError, "alpha"),
        ({"startup_samples": 1.5}, TypeError, "startup_samples"),
        ({"startup_samples": -1}, ValueError, "startup_samples"),
    ],
)
def test_policy_rejects_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        HealthPolicy(**kwargs)


@pytest.mark.parametrize("policy", [DEFAULT_HEALTH, HealthPolicy(min_entropy=1.0, alpha=2.0**-20)])
def test_the_fast_maker_makes_what_the_policy_makes(policy: HealthPolicy) -> None:
    """The network makes each worker's tests with ``fast_maker(policy)`` (cheaper than
    ``policy()``): fresh state each time, with the policy's cutoffs, rejecting what a
    ``policy()`` rejects."""
    make = fast_maker(policy)
    made, reference = make(), policy()
    assert type(made) is type(reference)
    assert make() is not made  # fresh state for every worker
    stuck = bytes(policy.rct_cutoff)  # one value repeated: the RCT's cutoff reached
    with pytest.raises(HealthTestError) as ours:
        made(stuck)
    with pytest.raises(HealthTestError) as theirs:
        reference(stuck)
    assert str(ours.value) == str(theirs.value)


def test_a_factory_of_ones_own_is_used_as_it_is() -> None:
    def own() -> HealthTests:
        return HealthTests(5, 10)

    assert fast_maker(own) is own

    class Stricter(HealthPolicy):
        pass

    stricter = Stricter()
    assert fast_maker(stricter) is stricter  # a subclass may make its tests its own way


def test_health_tests_reject_bad_cutoffs() -> None:
    with pytest.raises(ValueError, match="rct_cutoff"):
        HealthTests(1, 10)
    with pytest.raises(ValueError, match="apt_cutoff"):
        HealthTests(5, APT_WINDOW + 2)
    with pytest.raises(ValueError, match="rct_cutoff"):
        HealthTests(10**12, 10)  # would need a 1 TB needle: refused, not allocated


def test_the_lowest_claim_still_gives_usable_tests() -> None:
    # At H = 0.01 no 512-sample window can be judged: the APT cutoff is 513 (never fires).
    policy = HealthPolicy(min_entropy=MIN_ENTROPY_FLOOR, alpha=2.0**-256)
    assert (policy.rct_cutoff, policy.apt_cutoff) == (25601, APT_WINDOW + 1)
    tests = policy()
    tests(b"\x00" * APT_WINDOW * 2)
    with pytest.raises(ValueError, match=r"min_entropy must be in \[0\.01, 8\]"):
        HealthPolicy(min_entropy=0.009)


# -- behaviour on the doubles --------------------------------------------------------------


def _bytes_until_failure(source: Any, policy: HealthPolicy, limit: int = 1 << 20) -> int | None:
    tests, total = policy(), 0
    while total < limit:
        try:
            tests(source.read(32))
        except HealthTestError:
            return total + 32
        total += 32
    return None


def test_a_constant_source_fails_the_rct_on_its_first_contribution() -> None:
    tests = DEFAULT_HEALTH()
    with pytest.raises(HealthTestError, match=r"^health_test: repetition count test failed"):
        tests(ConstantSource(0x41).read(32))


@pytest.mark.parametrize(
    ("source", "within"),
    [(ConstantSource(), 32), (PatternSource(), 512), (AttackerSource(), 32)],
    ids=["constant", "pattern", "attacker"],
)
def test_hostile_doubles_fail_fast(source: Any, within: int) -> None:
    failed_after = _bytes_until_failure(source, DEFAULT_HEALTH)
    assert failed_after is not None
    assert failed_after <= within


def test_a_pattern_fails_the_apt() -> None:
    # Read at shifting offsets, so that no block repeats the previous one (the block test).
    tests, pattern = DEFAULT_HEALTH(), PatternSource().read(40)
    for shift in range(9):
        tests(pattern[shift % 4 :][:32])  # 9 * 8 = 72 of the 78 allowed copies of the first value
    with pytest.raises(HealthTestError, match=r"^health_test: adaptive proportion test failed"):
        tests(pattern[1:33])


def test_an_attacker_counter_fails_again_after_a_restart() -> None:
    source = AttackerSource()
    assert _bytes_until_failure(source, DEFAULT_HEALTH) == 32  # counter 0: all zeros
    assert _bytes_until_failure(source, DEFAULT_HEALTH) == 96  # 7/8 zeros: APT


def test_a_biased_source_is_caught_at_the_tightest_claim() -> None:
    # 3.3 bits/byte: below the default claim of 4 but within its margin; H = 8 sees it.
    assert _bytes_until_failure(BiasedSource(), HealthPolicy(min_entropy=8)) is not None


def test_os_urandom_passes_megabytes_in_every_block_size() -> None:
    tests = DEFAULT_HEALTH()
    sizes = [1, 2, 31, 32, 33, 511, 512, 513, 4096, 65536]
    total = 0
    while total < 4 << 20:
        for size in sizes:
            tests(os.urandom(size))
            total += size
    strict = HealthPolicy(min_entropy=8)()
    for _ in range(20_000):
        strict(os.urandom(32))


def test_state_carries_across_contributions() -> None:
    tests = HealthTests(rct_cutoff=11, apt_cutoff=78)
    for _ in range(10):
        tests(b"\x07")  # ten in a row: still under the cutoff
    with pytest.raises(HealthTestError, match="repetition"):
        tests(b"\x07")


@pytest.mark.parametrize(("head", "tail", "fails"), [(6, 5, True), (6, 4, False), (10, 1, True)])
def test_a_run_across_a_block_boundary_is_counted(head: int, tail: int, fails: bool) -> None:
    tests = HealthTests(rct_cutoff=11, apt_cutoff=APT_WINDOW)
    tests(os.urandom(20).replace(b"\xaa", b"\xab") + b"\xaa" * head)
    second = b"\xaa" * tail + b"\x01" + os.urandom(20).replace(b"\xaa", b"\x02")
    if fails:
        with pytest.raises(HealthTestError):
            tests(second)
    else:
        tests(second)


def test_the_apt_counts_each_window_afresh() -> None:
    tests = HealthTests(rct_cutoff=APT_WINDOW, apt_cutoff=100)
    window = (b"\x05\x06" * 50 + bytes(range(1, 5)) * 103)[:APT_WINDOW]  # 50 fives: passes
    assert len(window) == APT_WINDOW
    for _ in range(20):
        tests(window)
    with pytest.raises(HealthTestError, match="adaptive"):
        tests(b"\x05" * 200)  # a new window whose first value fills 100 slots


def test_an_empty_block_changes_nothing() -> None:
    tests = HealthTests(rct_cutoff=3, apt_cutoff=APT_WINDOW)
    tests(b"\x01\x01")
    tests(b"")
    with pytest.raises(HealthTestError):
        tests(b"\x01")


def test_messages_and_repr_never_show_sample_values() -> None:
    tests = DEFAULT_HEALTH()
    assert repr(tests) == "HealthTests(rct_cutoff=11, apt_cutoff=78, block_prefix=10)"
    with pytest.raises(HealthTestError) as caught:
        tests(b"\xc3" * 64)
    message = str(caught.value)
    assert "195" not in message
    assert "c3" not in message.lower()
    assert not hasattr(tests, "__dict__")  # state in slots or C fields, not a dict to dump
    assert not hasattr(HealthTests(11, 78), "__dict__")


def test_each_call_of_the_policy_gives_fresh_state() -> None:
    first, second = DEFAULT_HEALTH(), DEFAULT_HEALTH()
    assert first is not second
    first(b"\x00" * 10)
    second(b"\x00" * 10)  # would fail if the run were shared


# -- wiring: on by default, crashes with a health_test reason -------------------------------


async def _wait_until(net: Network, condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await net.supervisor.changed()


async def test_health_tests_are_on_by_default(logs: Logs) -> None:
    net = Network(sources=[ConstantSource(), OsSource()], min_sources=1)
    assert net.status().to_dict()["health"] == {
        "min_entropy": 4.0, "alpha": 2.0**-40, "rct_cutoff": 11, "apt_cutoff": 78,
        "startup_samples": 0,
    }
    async with net:
        async with asyncio.timeout(5):
            assert len(await net.random_bytes(32)) == 32
    crashed = [e for e in logs if e["event"] == "actor.crashed"]
    assert crashed
    assert {e["actor"] for e in crashed} == {"worker-0"}
    assert all("health_test" in e["reason"] for e in crashed)
    assert all(e["reason"].startswith("HealthTestError: health_test: repetition count")
               for e in crashed)


async def test_health_none_turns_the_tests_off(logs: Logs) -> None:
    source = RecordingSource()
    async with alara.create_network(sources=[ConstantSource(), source], health=None) as net:
        assert net.status().to_dict()["health"] is None
        async with asyncio.timeout(5):
            out = await net.random_bytes(32)
    assert out == alara.mix([b"\x00" * 32, source.blocks[0]], 32)
    assert not [e for e in logs if e["event"] == "actor.crashed"]


async def test_a_custom_policy_is_used() -> None:
    async with alara.create_network(2, health=HealthPolicy(min_entropy=8)) as net:
        assert net.status().to_dict()["health"]["rct_cutoff"] == 6
        async with asyncio.timeout(5):
            for _ in range(100):
                await net.random_bytes(32)
        assert net.quarantined() == []


async def test_a_custom_factory_is_called_at_every_start() -> None:
    made: list[HealthTests] = []

    def factory() -> HealthTests:
        made.append(HealthTests(11, 78))
        return made[-1]

    async with alara.create_network(2, health=factory) as net:
        assert net.status().to_dict()["health"] == "custom"
        assert len(made) == 2
        net.get_nodes()[0].kill("chaos")
        await _wait_until(net, lambda: len(made) == 3)


async def test_the_startup_test_catches_a_pattern_before_any_request() -> None:
    policy = HealthPolicy(startup_samples=STARTUP_SAMPLES)
    async with alara.create_network(sources=[PatternSource(), OsSource()], health=policy) as net:
        await _wait_until(net, lambda: net.quarantined() == ["worker-0"])
        assert "adaptive proportion" in net.status().to_dict()["quarantined"]["worker-0"]["reason"]


async def test_the_startup_test_reads_and_discards_1024_bytes() -> None:
    source = RecordingSource()
    policy = HealthPolicy(startup_samples=STARTUP_SAMPLES)
    async with alara.create_network(sources=[source], health=policy) as net:
        async with asyncio.timeout(5):
            out = await net.random_bytes(32)
    assert source.sizes == [STARTUP_SAMPLES, 32]
    assert out == alara.mix([source.blocks[1]], 32)  # the start-up bytes are never used


async def test_a_standalone_worker_with_health_crashes_on_bad_bytes() -> None:
    ref = spawn(EntropyWorker(ConstantSource(), health=DEFAULT_HEALTH()), name="w")
    with pytest.raises(alara.ActorDiedError, match="health_test"):
        async with asyncio.timeout(5):
            await ref.call(32)
    exit = await ref.wait()
    assert isinstance(exit.error, HealthTestError)
    assert isinstance(exit.error, SourceError)


def test_worker_startup_is_validated() -> None:
    with pytest.raises(ValueError, match="startup"):
        EntropyWorker(startup=-1)
    with pytest.raises(TypeError, match="startup"):
        EntropyWorker(startup=1.0)  # type: ignore[arg-type]
