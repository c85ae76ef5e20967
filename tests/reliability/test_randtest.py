"""The randtest driver: its statistics and parsers, and that its batteries can fail.

``make randtest`` / ``make randtest-quick`` run the real batteries; these tests make sure a
PASS there means something: the bounds are right, the tools' output is read correctly, and a
hostile source that is *not* mixed is caught.
"""

from __future__ import annotations

import math
import shutil
import sys

import pytest

from tests.reliability.randtest import (
    CASES,
    Case,
    EntStats,
    check_ent,
    chi_square_p,
    max_fips_failures,
    parse_dieharder,
    parse_ent,
    parse_rngtest,
    run_ent,
    run_rngtest,
)

needs_tools = pytest.mark.skipif(
    shutil.which("rngtest") is None or shutil.which("ent") is None,
    reason="needs rngtest (rng-tools5) and ent: apt-get install -y rng-tools5 ent",
)

RNGTEST_REPORT = """\
rngtest 5
rngtest: starting FIPS tests...
rngtest: bits received from input: 20020000
rngtest: FIPS 140-2 successes: 998
rngtest: FIPS 140-2 failures: 2
rngtest: FIPS 140-2(2001-10-10) Monobit: 0
"""

DIEHARDER_REPORT = """\
#=============================================================================#
        test_name   |ntup| tsamples |psamples|  p-value |Assessment
#=============================================================================#
   diehard_birthdays|   0|       100|     100|0.37100000|  PASSED
      diehard_runs|   0|    100000|     100|0.00000010|  FAILED
       sts_serial|   2|    100000|     100|0.99600000|   WEAK
"""


def test_fips_bound_is_a_poisson_tail() -> None:
    mean = 1000 * 0.001
    limit = max_fips_failures(1000)

    def tail(k: int) -> float:  # P(X > k)
        return 1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k + 1))

    assert tail(limit) <= 1e-6 < tail(limit - 1)
    assert max_fips_failures(20_000) > max_fips_failures(2_000) > 0
    assert max_fips_failures(20_000) < 20_000 * 0.01  # far below a broken source's ~100 %


@pytest.mark.parametrize(("statistic", "low", "high"), [
    (255.0, 0.45, 0.52),  # the median of chi-square(255) is close to its mean
    (310.5, 0.005, 0.015),  # the 1 % critical value
    (205.1, 0.985, 0.995),  # the 99 % critical value
])
def test_chi_square_p_value(statistic: float, low: float, high: float) -> None:
    assert low < chi_square_p(statistic) < high


def test_ent_bounds_accept_uniform_figures_and_reject_each_flaw() -> None:
    n = 1 << 24
    good = EntStats(n, 7.999989, 255.0, 127.5, math.pi, 0.0)
    assert check_ent(good) == []
    flaws = {
        "chi-square": EntStats(n, 7.999989, 400.0, 127.5, math.pi, 0.0),
        "entropy": EntStats(n, 7.99, 255.0, 127.5, math.pi, 0.0),
        "mean": EntStats(n, 7.999989, 255.0, 127.7, math.pi, 0.0),
        "pi": EntStats(n, 7.999989, 255.0, 127.5, 3.16, 0.0),
        "serial": EntStats(n, 7.999989, 255.0, 127.5, math.pi, 0.01),
        "too small": EntStats(1000, 8.0, 255.0, 127.5, math.pi, 0.0),
    }
    for flaw, stats in flaws.items():
        problems = check_ent(stats)
        assert problems, flaw
    # Too uniform is suspicious too: a counter hits every byte value equally often.
    assert check_ent(EntStats(n, 8.0, 0.0, 127.5, math.pi, 0.0))


def test_parsers_read_the_tools_reports() -> None:
    assert parse_rngtest(RNGTEST_REPORT) == (998, 2)
    assert parse_ent("0,File-bytes,Entropy,Chi-square,Mean,Monte-Carlo-Pi,Serial-Correlation\n"
                     "1,1000,7.8,250.5,127.1,3.1,0.01\n") == EntStats(
        1000, 7.8, 250.5, 127.1, 3.1, 0.01)
    assert parse_dieharder(DIEHARDER_REPORT) == [
        ("diehard_birthdays", 0.371, "PASSED"),
        ("diehard_runs", 1e-07, "FAILED"),
        ("sts_serial", 0.996, "WEAK"),
    ]
    with pytest.raises(ValueError, match="FIPS"):
        parse_rngtest("rngtest: entropy source drained\n")
    with pytest.raises(ValueError, match="terse"):
        parse_ent("")


def test_cases_cover_normal_hostile_and_control() -> None:
    names = " ".join(case.name for case in CASES)
    assert "normal" in names
    hostile = [case for case in CASES if "--sources-from" in case.command]
    assert {"alara.testing.sources:one_honest_constant",
            "alara.testing.sources:one_honest_attacker"} <= {
        case.command[case.command.index("--sources-from") + 1] for case in hostile}
    assert any("--no-health" in case.command for case in hostile)
    assert any(not case.expect_pass for case in CASES)


def _python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


ENDLESS = (
    "import sys\ntry:\n    while True: sys.stdout.buffer.write({})\nexcept BrokenPipeError: pass"
)


@needs_tools
def test_batteries_pass_the_os_csprng() -> None:
    urandom = Case("os.urandom", _python(ENDLESS.format("__import__('os').urandom(65536)")))
    assert run_rngtest(urandom, 400).passed
    assert run_ent(urandom, 1 << 20).passed


@needs_tools
@pytest.mark.parametrize("block", [
    "bytes(65536)",  # constant
    "b''.join(i.to_bytes(8, 'big') for i in range(8192))",  # an attacker's counter
    "bytes(a & b for a, b in zip(os.urandom(65536), os.urandom(65536)))",  # biased
])
def test_batteries_catch_an_unmixed_hostile_source(block: str) -> None:
    producer = Case("hostile", _python("import os\n" + ENDLESS.format(block)), expect_pass=False)
    assert not run_rngtest(producer, 200).passed
    assert not run_ent(producer, 1 << 20).passed


@needs_tools
def test_the_hostile_stream_passes_a_short_battery() -> None:
    hostile = next(case for case in CASES if "attacker" in case.name and case.expect_pass)
    assert run_rngtest(hostile, 400).passed
    result = run_ent(hostile, 1 << 20)
    assert result.passed, result.detail
    assert "entropy" in result.detail  # the summary names its figures


@needs_tools
@pytest.mark.parametrize("hostile", ["constant", "attacker"])
def test_the_health_tests_on_cases_carry_on_from_the_honest_source(hostile: str) -> None:
    """``make randtest``'s "health tests on" cases: the four hostile workers are quarantined
    and the stream goes on from the honest one (they opt in with ``--min-sources 1``: by
    default the pool fails closed once they are gone)."""
    case = next(case for case in CASES
                if hostile in case.name and "health tests on" in case.name)
    assert "--min-sources" in case.command
    result = run_rngtest(case, 400)
    assert result.passed, result.detail
    result = run_ent(case, 1 << 20)
    assert result.passed, result.detail
