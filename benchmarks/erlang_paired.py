"""``python -m benchmarks.erlang_paired``: alara next to the Erlang original, in paired rounds.

Builds ALARA from its source (offline: its hex plugins dropped) and our driver
``benchmarks/erlang/alara_bench.erl`` (ALARA's public API only). One long-lived ``erl`` answers
bursts on stdin while alara runs the same bursts in-process, alternating which goes first, so
each round's ratio is taken in one phase of a machine whose speed drifts. The verdict is the
median of the per-round ratios with an exact two-sided sign test (``tie`` unless p < 0.05).
alara on the default loop meets ``erl``; alara on uvloop meets ``erl +S 1`` (one scheduler, as
one loop is one thread). Skipped with a message without ``erl``/``erlc``/``rebar3`` (Debian:
``erlang-nox rebar3``) or ALARA's source (``ALARA_ERLANG_SRC``).
"""

from __future__ import annotations

import argparse
import math
import os
import queue
import shutil
import statistics
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks import requests
from benchmarks._harness import (
    LoopKind,
    Progress,
    arguments,
    cell,
    heading,
    interleaved,
    loop_available,
    provenance,
    run_on,
    write_files,
)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "benchmarks" / "results" / "erlang-build"
REPLY_TIMEOUT = 300.0  # seconds: far above a burst, so a stuck erl fails the run, never hangs
SIGNIFICANT = 0.05

ROWS: dict[str, tuple[str, str, bool]] = {  # key: (label, unit, higher is better)
    "seq_p50_us": ("sequential 32 B request p50, 3 workers", "µs", False),
    "callers_per_s": ("500 concurrent callers, 32 B, 3 workers", "calls/s", True),
    "mib_mb_per_s": ("1 MiB request, 3 workers", "MB/s", True),
    "start_ms": ("1,000-worker start to first reply", "ms", False),
}
COMMANDS = {"seq_p50_us": "seq", "callers_per_s": "callers", "mib_mb_per_s": "mib",
            "start_ms": "start"}
PAIRINGS: tuple[tuple[str, LoopKind, str, tuple[str, ...]], ...] = (
    ("alara", "default", "Erlang", ()),
    ("alara uvloop", "uvloop", "Erlang +S 1", ("+S", "1")),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Rounds per row and the burst size of each row, the same on both sides."""

    rounds: int
    seq: int
    callers: int
    mib: int
    starts: int
    rows: tuple[str, ...] = tuple(ROWS)

    def size(self, key: str) -> int:
        """Requests (seq, mib), calls per caller (callers) or starts (start) of a burst."""
        return {"seq_p50_us": self.seq, "callers_per_s": self.callers,
                "mib_mb_per_s": self.mib, "start_ms": self.starts}[key]


@dataclass(frozen=True, slots=True)
class PairedSummary:
    """What the rounds of one row say; ``led`` counts the rounds alara did better in."""

    rounds: int
    median_ratio: float
    min_ratio: float
    max_ratio: float
    led: int
    median_alara: float
    median_erlang: float
    higher_is_better: bool = False
    sign_p: float = 1.0

    @property
    def leads(self) -> bool:
        """Whether the median of the paired ratios is on alara's side."""
        return self.median_ratio > 1 if self.higher_is_better else self.median_ratio < 1

    @property
    def verdict(self) -> str:
        """``leads``/``trails`` when the sign test puts the split beyond chance, else ``tie``."""
        if self.sign_p >= SIGNIFICANT:
            return "tie"
        return "leads" if self.leads else "trails"


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
    return PairedSummary(len(pairs), statistics.median(ratios), min(ratios), max(ratios), led,
                         statistics.median(alara for _, alara in pairs),
                         statistics.median(erlang for erlang, _ in pairs),
                         higher_is_better, sign_test(led, led + lost))


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


class ErlangServer:
    """One ``alara_bench:serve([])``: a command line in, a ``key value`` line out. A reader
    thread queues stdout lines, so a reply is awaited with a timeout."""

    def __init__(self, paths: list[Path], flags: Sequence[str]) -> None:
        code = [arg for path in paths for arg in ("-pa", str(path))]
        self.process = subprocess.Popen(
            ["erl", "-noshell", *flags, *code, "-eval", "alara_bench:serve([])", "-s", "init",
             "stop"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("eof -1")

    def ask(self, command: str, key: str) -> float:
        """Send ``command``; the value of its ``key value`` reply."""
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        got, _, value = self.lines.get(timeout=REPLY_TIMEOUT).strip().partition(" ")
        if got != key:
            raise RuntimeError(f"erl answered {command!r} with {got} {value}")
        return float(value)

    def close(self) -> None:
        """``quit``, then wait; killed if it does not stop, so one BEAM at most is alive."""
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def alara_burst(key: str, loop: LoopKind, size: int) -> float:
    """The alara side of one burst of row ``key``."""
    if key == "seq_p50_us":
        ours, _ = run_on(loop, lambda: requests.sequential_samples(size, 1))
        return statistics.median(ours) / 1e3
    if key == "callers_per_s":
        return run_on(loop, lambda: requests.concurrent_rates(500, size, 1))[0]
    if key == "mib_mb_per_s":
        return run_on(loop, lambda: requests.mib_rates(size))[0]["alara"]
    return statistics.median(run_on(loop, lambda: requests.start_ms(1000)) for _ in range(size))


def run_row(erlang: ErlangServer, pairing: tuple[str, LoopKind, str, tuple[str, ...]],
            key: str, plan: Plan, say: Callable[[str], None]) -> dict[str, Any]:
    """``plan.rounds`` paired bursts of row ``key``: every pair and their summary."""
    ours, loop, theirs, _ = pairing
    size = plan.size(key)
    sides = {theirs: lambda: {key: erlang.ask(f"{COMMANDS[key]} {size}", key)},
             ours: lambda: {key: alara_burst(key, loop, size)}}
    runs = interleaved(sides, plan.rounds, lambda m: say(f"{ours} vs {theirs}, {key}: {m}"))
    pairs = [(e[key], a[key]) for e, a in zip(runs[theirs], runs[ours], strict=True)]
    summary = summarize_pairs(pairs, higher_is_better=ROWS[key][2])
    return {"size": size, "pairs": pairs, "summary": asdict(summary)}


def run_pairing(paths: list[Path], pairing: tuple[str, LoopKind, str, tuple[str, ...]],
                plan: Plan, say: Callable[[str], None]) -> dict[str, Any]:
    """Every row of one pairing on one ``erl``, stopped before the next pairing starts."""
    erlang = ErlangServer(paths, pairing[3])
    try:
        return {"alara": pairing[0], "erlang": pairing[2],
                "schedulers": erlang.ask("schedulers", "schedulers"),
                "rows": {key: run_row(erlang, pairing, key, plan, say) for key in plan.rows}}
    finally:
        erlang.close()


def markdown(results: list[dict[str, Any]]) -> str:
    """One line per pairing and row: each side's median, then the paired verdict."""
    lines = ["| pairing | row | alara | Erlang | alara ÷ Erlang (median of paired ratios) "
             "| lowest to highest | rounds alara led | sign test p | verdict |", "|---" * 9 + "|"]
    for result in results:
        for key, row in result["rows"].items():
            label, unit, _ = ROWS[key]
            s = PairedSummary(**row["summary"])
            lines.append(
                f"| {result['alara']} vs {result['erlang']} | {label} "
                f"| {cell(s.median_alara, unit)} | {cell(s.median_erlang, unit)} "
                f"| {s.median_ratio:.2f}x | {s.min_ratio:.2f}x to {s.max_ratio:.2f}x "
                f"| {s.led}/{s.rounds} | {s.sign_p:.2g} | {s.verdict} |")
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    """The options: rounds and burst sizes, and a subset of rows."""
    options = arguments("python -m benchmarks.erlang_paired", __doc__, "erlang-paired")
    options.add_argument("--rounds", type=int, help="paired rounds per row (15; --quick: 2)")
    options.add_argument("--seq", type=int, help="requests per seq burst (3,000; --quick: 500)")
    options.add_argument("--callers", type=int, help="calls per caller (20; --quick: 2)")
    options.add_argument("--mib", type=int, help="1 MiB requests per burst (10; --quick: 3)")
    options.add_argument("--starts", type=int, help="starts per burst (3; --quick: 1)")
    options.add_argument("--rows", nargs="+", choices=list(ROWS), help="only these rows")
    return options


def plan_of(args: argparse.Namespace) -> Plan:
    """The sizes asked for, the defaults (small ones under ``--quick``) for the rest."""
    default = Plan(2, 500, 2, 3, 1) if args.quick else Plan(15, 3_000, 20, 10, 3)
    return Plan(args.rounds or default.rounds, args.seq or default.seq,
                args.callers or default.callers, args.mib or default.mib,
                args.starts or default.starts, tuple(args.rows or ROWS))


def main(argv: list[str] | None = None) -> int:
    """Build ALARA, run every pairing on its own ``erl``, print and write the table."""
    args = parser().parse_args(argv)
    reason = missing()
    if reason is not None:
        print(f"benchmarks.erlang_paired: nothing measured: {reason}", file=sys.stderr)
        return 0
    say, meta, plan = Progress(), provenance(), plan_of(args)
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
