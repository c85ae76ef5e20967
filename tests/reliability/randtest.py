"""Statistical test batteries on ``alara stream``: the one-honest-source property, measured.

``make randtest`` runs ``python -m tests.reliability.randtest``; ``make randtest-quick`` adds
``--quick`` (CI). Each case pipes a fresh ``python -m alara stream`` into Debian's batteries:

* ``rngtest`` (rng-tools5): FIPS 140-2 on 20,000-bit blocks. Even perfect randomness fails
  about 0.08 % of blocks, so a case passes when its failures stay under a Poisson bound
  (``max_fips_failures``) rather than at zero;
* ``ent``: entropy, chi-square (as a p-value), mean, Monte Carlo pi and serial correlation,
  each against a bound a uniform source misses with probability below about 1e-5;
* a fast subset of ``dieharder`` read from stdin (``-g 200``), with ``-Y 1`` so that a WEAK
  p-value is re-tested until it resolves; the case fails on any FAILED.

The cases are a normal network, and networks where every source but one is hostile
(constant bytes, or attacker-chosen counters and patterns) with the health tests and the
quarantine turned off (``--no-health``), so the hostile contributions really are mixed in:
the output must still pass, as it comes from rounds and through ``--keyed`` (the keyed
generator the drop-ins serve from, rekeyed every 64 KiB). Two more hostile cases keep the
health tests and the quarantine on, with ``--min-sources 1`` (the hostile workers are
quarantined and the stream must carry on from the honest one; without it the pool fails
closed and the stream stops, by design). Control cases feed the batteries the raw bytes of a
hostile source: they must *fail*, or the batteries would prove nothing.

The stream is also checked as a process: it must exit with status 0 when a battery closes
the pipe, and write nothing to stderr. Run from the repository root (``tests`` must be
importable by the stream's ``--sources-from``).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CASES",
    "Case",
    "EntStats",
    "Result",
    "check_ent",
    "chi_square_p",
    "main",
    "max_fips_failures",
    "parse_dieharder",
    "parse_ent",
    "parse_rngtest",
    "run_case",
]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BLOCK_BYTES = 2500  # rngtest's FIPS block: 20,000 bits
FIPS_FALSE_RATE = 0.001  # measured ~0.0008 per block on os.urandom; rounded up
FIPS_ALPHA = 1e-6  # chance that an ideal source exceeds max_fips_failures
ENT_P_LOW, ENT_P_HIGH = 1e-5, 1 - 1e-5  # chi-square p-value band
SIGMAS = 6.0  # bound on mean, pi and serial correlation, in standard deviations
DIEHARDER_TESTS = {  # -d number: name (each a few seconds on a pipe)
    0: "diehard_birthdays",
    3: "diehard_rank_6x8",
    4: "diehard_bitstream",
    10: "diehard_parking_lot",
    15: "diehard_runs",
    16: "diehard_craps",
    100: "sts_monobit",
    101: "sts_runs",
    102: "sts_serial",
    205: "dab_bytedistrib",
    206: "dab_dct",
}
QUICK_BLOCKS, FULL_BLOCKS = 4_000, 20_000  # rngtest blocks: 10 MB, 50 MB
QUICK_ENT_BYTES, FULL_ENT_BYTES = 16 << 20, 64 << 20
TOOLS = {"rngtest": "rng-tools5", "ent": "ent", "dieharder": "dieharder"}
TIMEOUT = 600.0  # seconds for one battery run; a stuck pipe fails instead of hanging


@dataclass(frozen=True)
class Case:
    """One producer of bytes and whether the batteries must pass (or, for controls, fail)."""

    name: str
    command: tuple[str, ...]
    expect_pass: bool = True
    full_only: bool = False
    dieharder: bool = True
    needs: str = ""
    """A source kind the case needs (``discover_sources``); skipped, saying why, without it."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment variables set for the producer."""


def _stream(*args: str) -> tuple[str, ...]:
    return (PYTHON, "-m", "alara", "stream", *args)


def _raw(spec: str) -> tuple[str, ...]:
    return (PYTHON, "-m", "tests.reliability.randtest", "--raw", spec)


CONSTANT = "alara.testing.sources:one_honest_constant"
ATTACKER = "alara.testing.sources:one_honest_attacker"
KINDS = "tests.reliability.kinds"
DISCOVER = (("ALARA_SOURCES", ""),)  # every kind the machine offers, whatever the caller set
CASES = (
    Case("normal (3 OS workers)", _stream("--sources-from", f"{KINDS}:os_pool")),
    Case("default pool (one worker per discovered kind, topped up with os)", _stream(),
         env=DISCOVER),
    Case("os alone", _stream("--sources-from", f"{KINDS}:os_alone"), needs="os"),
    Case("hwrng alone (behind its reservoir)", _stream("--sources-from", f"{KINDS}:hwrng_alone"),
         needs="hwrng"),
    Case("cpu alone", _stream("--sources-from", f"{KINDS}:cpu_alone"), needs="cpu"),
    Case("4 constant + 1 honest, no health tests", _stream("--sources-from", CONSTANT,
                                                           "--no-health")),
    Case("4 attacker + 1 honest, no health tests", _stream("--sources-from", ATTACKER,
                                                           "--no-health")),
    # Fail closed is the default: once the four hostile workers are quarantined, a pool of
    # five configured sources refuses to serve from one, and the stream stops. These cases
    # opt in to the availability trade (``--min-sources 1``) to show the stream carrying on.
    Case("4 constant + 1 honest, health tests on", _stream("--sources-from", CONSTANT,
                                                           "--min-sources", "1"),
         full_only=True, dieharder=False),
    Case("4 attacker + 1 honest, health tests on", _stream("--sources-from", ATTACKER,
                                                           "--min-sources", "1"),
         full_only=True, dieharder=False),
    # The keyed generator's output (what the drop-ins serve), rekeyed every 64 KiB so the
    # batteries read across many keys, from a normal and from all-but-one-hostile networks.
    Case("keyed, normal (3 OS workers)", _stream("--keyed", "--rekey-bytes", "65536")),
    Case("keyed, 4 constant + 1 honest, no health tests",
         _stream("--keyed", "--rekey-bytes", "65536", "--sources-from", CONSTANT,
                 "--no-health")),
    Case("keyed, 4 attacker + 1 honest, no health tests",
         _stream("--keyed", "--rekey-bytes", "65536", "--sources-from", ATTACKER,
                 "--no-health")),
    Case("control: raw constant source, unmixed", _raw(CONSTANT), expect_pass=False,
         dieharder=False),
    Case("control: raw attacker source, unmixed", _raw(ATTACKER), expect_pass=False,
         dieharder=False),
)


@dataclass(frozen=True)
class Result:
    """The verdict of one battery on one case, with a one-line summary."""

    case: str
    battery: str
    passed: bool
    detail: str


# -- statistics ------------------------------------------------------------------------------


def max_fips_failures(blocks: int, rate: float = FIPS_FALSE_RATE, alpha: float = FIPS_ALPHA) -> int:
    """The most failed FIPS blocks an ideal source shows, but with probability ``alpha``.

    Failures of an ideal source are Poisson with mean ``blocks * rate``; this is the least
    ``k`` with ``P(X > k) <= alpha``.
    """
    mean = blocks * rate
    term = math.exp(-mean)  # P(X = 0)
    cumulative = term
    k = 0
    while 1.0 - cumulative > alpha:
        k += 1
        term *= mean / k
        cumulative += term
    return k


def chi_square_p(statistic: float, dof: int = 255) -> float:
    """Upper-tail p-value of a chi-square statistic (Wilson-Hilferty; ample for 255 dof)."""
    scale = 2.0 / (9.0 * dof)
    z = ((statistic / dof) ** (1.0 / 3.0) - (1.0 - scale)) / math.sqrt(scale)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@dataclass(frozen=True)
class EntStats:
    """``ent -t``'s figures for one sample."""

    size: int
    entropy: float
    chi_square: float
    mean: float
    pi: float
    serial: float


def check_ent(stats: EntStats) -> list[str]:
    """The bounds a uniform sample of ``stats.size`` bytes misses: empty means it passed."""
    n = stats.size
    problems = []
    if n < 100_000:
        problems.append(f"sample too small ({n} bytes)")
        return problems
    p = chi_square_p(stats.chi_square)
    if not ENT_P_LOW < p < ENT_P_HIGH:
        problems.append(f"chi-square {stats.chi_square:.1f} (p = {p:.2g})")
    # Entropy falls short of 8 bits/byte by about chi2 / (2 n ln 2); allow chi2 up to 400.
    if stats.entropy < 8.0 - 400.0 / (2 * n * math.log(2)):
        problems.append(f"entropy {stats.entropy:.6f} bits/byte")
    mean_sigma = math.sqrt((256**2 - 1) / 12.0 / n)
    if abs(stats.mean - 127.5) > SIGMAS * mean_sigma:
        problems.append(f"mean {stats.mean:.4f}")
    quarter = math.pi / 4
    pi_sigma = 4 * math.sqrt(quarter * (1 - quarter) / (n // 6))  # one point per 6 bytes
    if abs(stats.pi - math.pi) > SIGMAS * pi_sigma:
        problems.append(f"Monte Carlo pi {stats.pi:.6f}")
    if abs(stats.serial) > SIGMAS / math.sqrt(n):
        problems.append(f"serial correlation {stats.serial:.6f}")
    return problems


# -- parsing the tools' output ---------------------------------------------------------------


def parse_rngtest(text: str) -> tuple[int, int]:
    """``(successes, failures)`` from rngtest's report (on stderr)."""
    counts = {}
    for line in text.splitlines():
        for key in ("successes", "failures"):
            marker = f"FIPS 140-2 {key}:"
            if marker in line:
                counts[key] = int(line.split(marker)[1])
    if len(counts) != 2:
        raise ValueError("rngtest printed no FIPS 140-2 counts")
    return counts["successes"], counts["failures"]


def parse_ent(text: str) -> EntStats:
    """``ent -t``'s CSV line (``1,size,entropy,chi-square,mean,pi,serial``)."""
    for line in text.splitlines():
        fields = line.strip().split(",")
        if len(fields) == 7 and fields[0] == "1":
            return EntStats(int(fields[1]), *(float(value) for value in fields[2:]))
    raise ValueError("ent printed no terse result line")


def parse_dieharder(text: str) -> list[tuple[str, float, str]]:
    """``(test name, p-value, assessment)`` for every result row of dieharder's table."""
    rows = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) != 6 or line.lstrip().startswith("#"):
            continue
        try:
            p_value = float(fields[4])
        except ValueError:
            continue  # the header row
        rows.append((fields[0], p_value, fields[5]))
    return rows


# -- running the batteries -------------------------------------------------------------------


@dataclass(frozen=True)
class _Piped:
    stdout: str
    stderr: str
    producer_status: int
    producer_stderr: str


def _pipe(producer: Sequence[str], consumer: Sequence[str],
          env: tuple[tuple[str, str], ...] = ()) -> _Piped:
    """Run ``producer | consumer`` from the repository root and collect both ends."""
    with subprocess.Popen(producer, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, **dict(env)}) as source:
        assert source.stdout is not None
        assert source.stderr is not None
        with subprocess.Popen(consumer, cwd=ROOT, stdin=source.stdout, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as sink:
            source.stdout.close()  # the consumer holds the only read end: closing it is EPIPE
            out, err = sink.communicate(timeout=TIMEOUT)
        status = source.wait(timeout=TIMEOUT)
        producer_err = source.stderr.read().decode(errors="replace")
    return _Piped(out.decode(errors="replace"), err.decode(errors="replace"), status,
                  producer_err)


def _producer_problem(piped: _Piped) -> str | None:
    if piped.producer_status != 0:
        return f"stream exited with status {piped.producer_status}"
    if piped.producer_stderr.strip():
        return f"stream wrote to stderr: {piped.producer_stderr.strip().splitlines()[-1]}"
    return None


def run_rngtest(case: Case, blocks: int) -> Result:
    """FIPS 140-2 on ``blocks`` blocks (rngtest reads one more to seed its continuous test)."""
    piped = _pipe(case.command, ["rngtest", "-c", str(blocks)], case.env)
    try:
        successes, failures = parse_rngtest(piped.stderr)
    except ValueError as error:
        return Result(case.name, "rngtest", False, str(error))
    limit = max_fips_failures(blocks)
    detail = f"{failures} of {successes + failures} FIPS blocks failed (limit {limit})"
    passed = successes + failures == blocks and failures <= limit
    problem = _producer_problem(piped) if case.expect_pass else None
    if problem:
        passed, detail = False, f"{detail}; {problem}"
    return Result(case.name, "rngtest", passed, detail)


def run_ent(case: Case, size: int) -> Result:
    """``ent`` on the first ``size`` bytes of the case's output."""
    if case.command[: len(_stream())] == _stream():  # the stream stops itself: exact count
        piped = _pipe((*case.command, "--bytes", str(size)), ["ent", "-t"], case.env)
    else:
        piped = _pipe(case.command, ["sh", "-c", f"head -c {size} | ent -t"], case.env)
    try:
        stats = parse_ent(piped.stdout)
    except ValueError as error:
        return Result(case.name, "ent", False, str(error))
    problems = check_ent(stats)
    if stats.size != size:
        problems.append(f"got {stats.size} bytes, expected {size}")
    if case.expect_pass and (problem := _producer_problem(piped)):
        problems.append(problem)
    p = chi_square_p(stats.chi_square)
    detail = (f"{stats.size / 2**20:.0f} MiB: entropy {stats.entropy:.6f}, chi-square p "
              f"{p:.3f}, mean {stats.mean:.3f}, pi {stats.pi:.5f}, serial {stats.serial:+.6f}")
    if problems:
        detail += "; out of bounds: " + ", ".join(problems)
    return Result(case.name, "ent", not problems, detail)


def run_dieharder(case: Case, test: int) -> Result:
    """One dieharder test on the stream, read from stdin, WEAK results re-tested."""
    name = f"dieharder {DIEHARDER_TESTS.get(test, test)}"
    piped = _pipe(case.command, ["dieharder", "-g", "200", "-d", str(test), "-Y", "1"],
                  case.env)
    rows = parse_dieharder(piped.stdout)
    if not rows:
        return Result(case.name, name, False, "no result rows: " + piped.stderr.strip()[-200:])
    verdicts = [assessment for _, _, assessment in rows]
    passed = "FAILED" not in verdicts
    p_values = ", ".join(f"{p:.3f}" for _, p, _ in rows[:4]) + (" ..." if len(rows) > 4 else "")
    detail = f"{len(rows)} p-value(s) {p_values}: " + ", ".join(
        f"{verdicts.count(v)} {v}" for v in ("PASSED", "WEAK", "FAILED") if v in verdicts)
    if case.expect_pass and (problem := _producer_problem(piped)):
        passed, detail = False, f"{detail}; {problem}"
    return Result(case.name, name, passed, detail)


def run_case(case: Case, quick: bool) -> list[Result]:
    """Every battery the mode asks for, on one case."""
    results = [run_rngtest(case, QUICK_BLOCKS if quick else FULL_BLOCKS),
               run_ent(case, QUICK_ENT_BYTES if quick else FULL_ENT_BYTES)]
    if not quick and case.dieharder:
        results.extend(run_dieharder(case, test) for test in DIEHARDER_TESTS)
    return results


def write_raw(spec: str) -> None:
    """Write the raw, unmixed bytes of the first source ``spec``'s factory returns, forever.

    The control: proves the batteries catch a hostile source when nothing mixes it.
    """
    module_name, _, attribute = spec.partition(":")
    source = getattr(importlib.import_module(module_name), attribute)()[0]
    out = sys.stdout.buffer
    try:
        while True:
            out.write(source.read(1 << 16))
    except BrokenPipeError:  # the battery has enough; keep the final flush from failing again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _missing_kind(case: Case) -> str:
    """Why the source kind ``case`` needs is not available here ("" if it is, or none needed)."""
    if not case.needs:
        return ""
    from alara import discover_sources  # the producer's package, imported only when needed

    entry = next(e for e in discover_sources(environ={}) if e.kind == case.needs)
    return "" if entry.available else f"no {case.needs} source here: {entry.reason}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the batteries; print a summary; 0 when every case got its expected verdict."""
    parser = argparse.ArgumentParser(prog="randtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI size: rngtest on 10 MB and ent on 16 MiB per case, no dieharder")
    parser.add_argument("--raw", metavar="MODULE:CALLABLE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw:
        write_raw(args.raw)
        return 0
    needed = ["rngtest", "ent"] if args.quick else list(TOOLS)
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        packages = " ".join(TOOLS[tool] for tool in missing)
        print(f"randtest: missing {', '.join(missing)}; install with: "
              f"apt-get install -y {packages}", file=sys.stderr)
        return 2
    started = time.monotonic()
    failed = 0
    print(f"alara randtest ({'quick' if args.quick else 'full'})", flush=True)
    for case in CASES:
        if case.full_only and args.quick:
            continue
        expected = "pass" if case.expect_pass else "fail"
        print(f"\n{case.name} (must {expected})", flush=True)
        why_not = _missing_kind(case)
        if why_not:
            print(f"  skipped: {why_not}", flush=True)
            continue
        results = run_case(case, args.quick)
        for result in results:
            if case.expect_pass:
                mark = "pass" if result.passed else "FAIL"
            else:
                mark = "MISSED" if result.passed else "caught"
            print(f"  {mark:<6}  {result.battery:<30} {result.detail}", flush=True)
        if case.expect_pass:
            ok = all(result.passed for result in results)
        else:  # a control must be caught by every battery that ran
            ok = not any(result.passed for result in results)
        if not ok:
            failed += 1
            print(f"  => {case.name}: UNEXPECTED VERDICT", flush=True)
    verdict = "PASS" if not failed else f"FAIL ({failed} case(s))"
    print(f"\nrandtest: {verdict} in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
