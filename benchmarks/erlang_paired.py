"""``python -m benchmarks.erlang_paired``: alara next to the Erlang original, in paired rounds.

A long-lived ``erl`` running our driver (``benchmarks/erlang/alara_bench.erl``, ALARA's public
API only) answers bursts while alara runs the same bursts in-process, the two taking turns, so
each round's ratio is taken in one phase of a machine whose speed drifts; the verdict is the
median ratio with an exact sign test. Default loop against ``erl``, uvloop against ``erl +S 1``.
Skipped with a message without ``erl``/``erlc``/``rebar3`` or ALARA's source.
"""

from __future__ import annotations

import argparse
import math
import os
import select
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks import requests
from benchmarks._harness import (
    LoopKind,
    arguments,
    cell,
    heading,
    interleaved,
    loop_available,
    progress,
    provenance,
    run_on,
    write_files,
)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "benchmarks" / "results" / "erlang-build"
REPLY_TIMEOUT, SIGNIFICANT = 300.0, 0.05  # seconds (a stuck erl fails the run); sign test p

ROWS: dict[str, tuple[str, str, bool, str, int, int]] = {
    # key: (label, unit, higher is better, driver command, burst size, --quick burst size)
    "seq_p50_us": ("sequential 32 B request p50, 3 workers", "µs", False, "seq", 3_000, 500),
    "callers_per_s": ("500 concurrent callers, 32 B, 3 workers", "calls/s", True, "callers",
                      20, 2),
    "start_ms": ("1,000-worker start to first reply", "ms", False, "start", 3, 1),
}
PAIRINGS: tuple[tuple[str, LoopKind, str, tuple[str, ...]], ...] = (
    ("alara", "default", "Erlang", ()),
    ("alara uvloop", "uvloop", "Erlang +S 1", ("+S", "1")),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Rounds per row, and which rows; a burst's size is the same on both sides."""

    rounds: int
    quick: bool = False
    rows: tuple[str, ...] = tuple(ROWS)

    def size(self, key: str) -> int:
        """Requests (seq), calls per caller (callers) or starts (start) of a burst."""
        return ROWS[key][5] if self.quick else ROWS[key][4]


@dataclass(frozen=True, slots=True)
class PairedSummary:
    """What the rounds of one row say. ``led``: the rounds alara did better in; ``leads``:
    the median ratio is on alara's side; ``verdict``: ``leads``/``trails`` only when the sign
    test puts the split beyond chance (p < 0.05), else ``tie``."""

    rounds: int
    median_ratio: float
    min_ratio: float
    max_ratio: float
    led: int
    median_alara: float
    median_erlang: float
    sign_p: float
    leads: bool
    verdict: str


def sign_test(wins: int, rounds: int) -> float:
    """Exact two-sided sign test: the chance of a split at least this uneven if each round
    were a coin toss (ties already left out)."""
    if rounds == 0:
        return 1.0
    fewer = min(wins, rounds - wins)
    return min(1.0, 2 * sum(math.comb(rounds, k) for k in range(fewer + 1)) / (1 << rounds))


def summarize_pairs(pairs: Sequence[tuple[float, float]],
                    higher_is_better: bool = False) -> PairedSummary:
    """The summary of ``(erlang, alara)`` figures, one pair per round; ratios alara ÷ Erlang."""
    if not pairs:
        raise ValueError("no rounds to summarize")
    if any(erlang <= 0 or alara <= 0 for erlang, alara in pairs):
        raise ValueError(f"a figure is not positive: {list(pairs)}")
    ratios = [alara / erlang for erlang, alara in pairs]
    led = sum(1 for ratio in ratios if (ratio > 1 if higher_is_better else ratio < 1))
    lost = sum(1 for ratio in ratios if (ratio < 1 if higher_is_better else ratio > 1))
    median, p = statistics.median(ratios), sign_test(led, led + lost)
    leads = median > 1 if higher_is_better else median < 1
    return PairedSummary(len(pairs), median, min(ratios), max(ratios), led,
                         statistics.median(alara for _, alara in pairs),
                         statistics.median(erlang for erlang, _ in pairs), p, leads,
                         "tie" if p >= SIGNIFICANT else "leads" if leads else "trails")


def _source() -> Path | None:
    named = os.environ.get("ALARA_ERLANG_SRC")
    places = [Path(named)] if named else [ROOT.parent / "shared" / "alara-erlang",
                                          ROOT.parents[1] / "shared" / "alara-erlang"]
    return next((path for path in places if path.is_dir()), None)


def missing() -> str | None:
    """Why the Erlang side cannot run here, or ``None``."""
    tools = [tool for tool in ("erl", "erlc", "rebar3") if shutil.which(tool) is None]
    if tools:
        return f"{', '.join(tools)} not found (Debian: apt-get install erlang-nox rebar3)"
    return None if _source() else "ALARA's source not found (set ALARA_ERLANG_SRC)"


def build() -> list[Path]:
    """Copy ALARA's source, drop the hex plugins, compile it and our driver; the code paths."""
    source = _source()
    assert source is not None
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.copytree(source, BUILD / "alara", ignore=shutil.ignore_patterns("_build"))
    config = BUILD / "alara" / "rebar.config"
    kept = [line for line in config.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.lstrip().startswith(("{plugins,", "{project_plugins,"))]
    config.write_text("".join(kept), encoding="utf-8")
    subprocess.run(["rebar3", "compile"], cwd=BUILD / "alara", check=True, timeout=600,
                   env={**os.environ, "REBAR_OFFLINE": "1"}, stdout=subprocess.DEVNULL)
    (BUILD / "driver").mkdir()
    subprocess.run(["erlc", "-o", str(BUILD / "driver"),
                    str(ROOT / "benchmarks" / "erlang" / "alara_bench.erl")],
                   check=True, timeout=120)
    return [BUILD / "alara" / "_build" / "default" / "lib" / "alara" / "ebin", BUILD / "driver"]


def ask(erl: subprocess.Popen[str], command: str, key: str) -> float:
    """Send ``command`` to ``alara_bench:serve``; the value of its one ``key value`` reply,
    awaited with a timeout so that a stuck ``erl`` fails the run instead of hanging it."""
    assert erl.stdin is not None
    assert erl.stdout is not None
    erl.stdin.write(command + "\n")
    erl.stdin.flush()
    if not select.select([erl.stdout], [], [], REPLY_TIMEOUT)[0]:
        raise RuntimeError(f"erl did not answer {command!r}")
    got, _, value = erl.stdout.readline().strip().partition(" ")
    if got != key:
        raise RuntimeError(f"erl answered {command!r} with {got!r} {value}")
    return float(value)


async def alara_burst(key: str, size: int) -> float:
    """The alara side of one burst of row ``key``."""
    if key == "start_ms":
        return statistics.median([await requests.start_ms(1000) for _ in range(size)])
    async with requests.os_pool() as net:
        side = {"alara": lambda: net.random_bytes(requests.REQUEST)}
        if key == "seq_p50_us":
            return statistics.median((await requests.alternating(side, size, 1))["alara"]) / 1e3
        return (await requests.rates(side, 500, size, 1))["alara"]


def run_row(erl: subprocess.Popen[str], pairing: tuple[str, LoopKind, str, tuple[str, ...]],
            key: str, plan: Plan, say: Callable[[str], None]) -> dict[str, Any]:
    """``plan.rounds`` paired bursts of row ``key``: every pair and their summary."""
    ours, loop, theirs, _ = pairing
    size = plan.size(key)
    sides = {theirs: lambda: {key: ask(erl, f"{ROWS[key][3]} {size}", key)},
             ours: lambda: {key: run_on(loop, lambda: alara_burst(key, size))}}
    runs = interleaved(sides, plan.rounds, lambda m: say(f"{ours} vs {theirs}, {key}: {m}"))
    pairs = [(e[key], a[key]) for e, a in zip(runs[theirs], runs[ours], strict=True)]
    summary = summarize_pairs(pairs, higher_is_better=ROWS[key][2])
    return {"size": size, "pairs": pairs, "summary": asdict(summary)}


def run_pairing(paths: list[Path], pairing: tuple[str, LoopKind, str, tuple[str, ...]],
                plan: Plan, say: Callable[[str], None]) -> dict[str, Any]:
    """Every row of one pairing on one ``erl``, which quits before the next pairing starts."""
    code = [arg for path in paths for arg in ("-pa", str(path))]
    with subprocess.Popen(["erl", "-noshell", *pairing[3], *code, "-eval",
                           "alara_bench:serve([])", "-s", "init", "stop"], text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1) as erl:
        rows = {key: run_row(erl, pairing, key, plan, say) for key in plan.rows}
        erl.communicate("quit\n", timeout=30)
    return {"alara": pairing[0], "erlang": pairing[2], "rows": rows}


def markdown(results: list[dict[str, Any]]) -> str:
    """One line per pairing and row: each side's median, then the paired verdict."""
    lines = ["| pairing | row | alara | Erlang | alara ÷ Erlang (median of paired ratios) "
             "| lowest to highest | rounds alara led | sign test p | verdict |", "|---" * 9 + "|"]
    for result in results:
        for key, row in result["rows"].items():
            label, unit = ROWS[key][:2]
            s = PairedSummary(**row["summary"])
            lines.append(
                f"| {result['alara']} vs {result['erlang']} | {label} "
                f"| {cell(s.median_alara, unit)} | {cell(s.median_erlang, unit)} "
                f"| {s.median_ratio:.2f}x | {s.min_ratio:.2f}x to {s.max_ratio:.2f}x "
                f"| {s.led}/{s.rounds} | {s.sign_p:.2g} | {s.verdict} |")
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    """The options: rounds per row and a subset of rows."""
    options = arguments("python -m benchmarks.erlang_paired", __doc__, "erlang-paired")
    options.add_argument("--rounds", type=int, help="paired rounds per row (15; --quick: 2)")
    options.add_argument("--rows", nargs="+", choices=list(ROWS), help="only these rows")
    return options


def plan_of(args: argparse.Namespace) -> Plan:
    """The rounds asked for, else 15 (2 under ``--quick``), and the rows asked for."""
    return Plan(args.rounds or (2 if args.quick else 15), args.quick,
                tuple(args.rows or ROWS))


def main(argv: list[str] | None = None) -> int:
    """Build ALARA, run every pairing on its own ``erl``, print and write the table."""
    args = parser().parse_args(argv)
    reason = missing()
    if reason is not None:
        print(f"benchmarks.erlang_paired: nothing measured: {reason}", file=sys.stderr)
        return 0
    say, meta, plan = progress, provenance(), plan_of(args)
    say("building ALARA and the driver")
    paths = build()
    results = [run_pairing(paths, pairing, plan, say) for pairing in PAIRINGS
               if loop_available(pairing[1])]
    how = f"{plan.rounds} paired rounds per row, alternating which side goes first"
    write_files(args, {"meta": meta, "plan": asdict(plan), "pairings": results},
                heading(meta, how) + markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
