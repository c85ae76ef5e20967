"""``python -m benchmarks.erlang_paired``: the disputed Erlang rows, measured in pairs.

``python -m benchmarks.erlang`` runs each side as a whole process, one after the other. This
machine has slow and fast phases that last minutes and move a median by up to 2x, so two
medians taken minutes apart are not comparable: the same row gave alara ÷ Erlang 0.64x in one
run and 1.37x in another. Here both sides are alive at once: one long-lived ``erl`` runs
``alara_bench:serve/1`` and answers bursts on demand, and every round times one Erlang burst
and one alara burst seconds apart (Erlang first in even rounds, alara first in odd ones, so a
drift within a round favours neither). Each round gives one ratio taken in one machine phase;
the verdict is the distribution of those ratios, not a ratio of medians.

Rows: ``seq_p50_us`` (sequential 32-byte requests, 3 workers, p50), ``restart_us`` (kill →
new live child in the registry, p50) and ``answer_us`` (kill → the replacement's first reply,
p50), for alara on the default loop against ``erl`` with its
default schedulers, and alara on uvloop against ``erl +S 1``. Skipped with a message where the
Erlang side cannot run (see ``benchmarks.erlang.missing``).
"""

from __future__ import annotations

import argparse
import math
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from benchmarks.erlang import ERLANG, ROWS, build, erl_command, missing
from benchmarks.latency import measure_latency
from benchmarks.measure import LoopKind, loop_available
from benchmarks.restart import measure_restart
from benchmarks.runs import (
    Progress,
    cell,
    comparison_arguments,
    heading,
    interleaved,
    provenance,
    write_files,
)

__all__ = ["PairedSummary", "Pairing", "Plan", "main", "sign_test", "summarize_pairs"]

WORKERS = 3
REPLY_TIMEOUT = 300.0
"""Seconds to wait for one Erlang reply: far above a burst (well under a second here), so a
dead or stuck ``erl`` fails the run instead of hanging it."""


@dataclass(frozen=True, slots=True)
class Pairing:
    """One alara side and the Erlang side it is judged against."""

    alara: str
    loop: LoopKind
    erlang: str
    flags: tuple[str, ...]

    @property
    def name(self) -> str:
        """``alara uvloop vs Erlang +S 1``: the table's first column."""
        return f"{self.alara} vs {self.erlang}"


PAIRINGS = (
    Pairing("alara", "default", "Erlang", tuple(ERLANG["Erlang"])),
    Pairing("alara uvloop", "uvloop", "Erlang +S 1", tuple(ERLANG["Erlang +S 1"])),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """How much each round measures: the same burst sizes on both sides."""

    rounds: int
    seq: int
    kills: int
    settle: float = 0.0
    rows: tuple[str, ...] = ("seq_p50_us", "restart_us", "answer_us")

    def size(self, key: str) -> int:
        """The burst size of row ``key``: requests for ``seq_p50_us``, kills for the other."""
        return self.seq if key == "seq_p50_us" else self.kills


@dataclass(frozen=True, slots=True)
class PairedSummary:
    """What the rounds of one pairing and row say. ``led`` counts the rounds alara did better
    in (ratio below 1 for a time, above 1 for a rate); the medians of each side are there to
    read the ratios against, not to be divided."""

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
        """``leads``/``trails`` when the sign test puts it beyond chance (p < 0.05), else
        ``tie``: a median a hair's breadth on one side, over rounds split nearly evenly, is
        noise on this machine, not a result."""
        if self.sign_p >= SIGNIFICANT:
            return "tie"
        return "leads" if self.leads else "trails"


SIGNIFICANT = 0.05
"""Sign-test p-value below which the rounds' split is called a lead or a loss."""


def sign_test(wins: int, rounds: int) -> float:
    """Exact two-sided sign test: the chance of a split at least this uneven if each round
    were a coin toss. ``wins`` of ``rounds`` (ties already left out)."""
    if rounds == 0:
        return 1.0
    fewer = min(wins, rounds - wins)
    tail: float = sum(math.comb(rounds, k) for k in range(fewer + 1)) / (1 << rounds)
    return min(1.0, 2 * tail)


def summarize_pairs(pairs: Sequence[tuple[float, float]],
                    higher_is_better: bool = False) -> PairedSummary:
    """The summary of ``(erlang, alara)`` figures, one pair per round; ratios are alara ÷ Erlang.

    Pure, so that the arithmetic behind a verdict is tested apart from any timing.
    """
    if not pairs:
        raise ValueError("no rounds to summarize")
    if any(erlang <= 0 or alara <= 0 for erlang, alara in pairs):
        raise ValueError(f"a figure is not positive: {list(pairs)}")
    ratios = [alara / erlang for erlang, alara in pairs]
    led = sum(1 for ratio in ratios if (ratio > 1 if higher_is_better else ratio < 1))
    lost = sum(1 for ratio in ratios if (ratio < 1 if higher_is_better else ratio > 1))
    return PairedSummary(
        rounds=len(pairs),
        median_ratio=statistics.median(ratios),
        min_ratio=min(ratios),
        max_ratio=max(ratios),
        led=led,
        median_alara=statistics.median(alara for _, alara in pairs),
        median_erlang=statistics.median(erlang for erlang, _ in pairs),
        higher_is_better=higher_is_better,
        sign_p=sign_test(led, led + lost),
    )


class ErlangServer:
    """One long-lived ``alara_bench:serve([])``: a command line in, a ``key value`` line out.

    A reader thread moves stdout lines into a queue, so that a reply can be awaited with a
    timeout (a blocking ``readline`` would hang on a stuck BEAM). Its stderr is ours.
    """

    def __init__(self, paths: list[Path], flags: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            erl_command(paths, list(flags), "alara_bench:serve([])"),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)  # end of file: erl is gone

    def ask(self, command: str, key: str) -> float:
        """Send ``command``; the value of the ``key value`` reply."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            line = self.lines.get(timeout=REPLY_TIMEOUT)
        except (BrokenPipeError, queue.Empty) as error:
            raise RuntimeError(f"erl did not answer {command!r}: {error!r}") from error
        if line is None:
            raise RuntimeError(f"erl exited ({self.process.poll()}) before answering {command!r}")
        got, _, value = line.strip().partition(" ")
        if got != key:
            raise RuntimeError(f"erl answered {command!r} with {line.strip()!r}")
        return float(value)

    def close(self) -> None:
        """``quit``, then wait; killed if it does not stop, so only one BEAM is ever alive."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ErlangServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def alara_seq(loop: LoopKind, calls: int) -> float:
    """alara's p50 in µs over ``calls`` sequential 32-byte requests (one round, 200 warm-up)."""
    latency, _ = measure_latency(loop, WORKERS, calls, 1, 200)
    return latency.p50 / 1e3


def alara_restart(loop: LoopKind, kills: int, key: str = "restart.registry.p50") -> float:
    """alara's p50 in µs of kill → new live child in the registry over ``kills`` kills (or of
    the restart scenario's other row ``key``)."""
    rows = measure_restart(kills, 10, loop)
    return next(row.value for row in rows if row.key == key)


def alara_answer(loop: LoopKind, kills: int) -> float:
    """alara's p50 in µs of kill → the replacement's first reply (the worker asked directly,
    as the Erlang side asks ``alara_node:get_random_bytes(New, 32)``)."""
    return alara_restart(loop, kills, "restart.answer.p50")


LABELS = {**ROWS, "answer_us": ("kill → the replacement's first reply, p50", "µs", False)}
"""The Erlang comparison's rows, and one only the paired run has: where a restart is really
over for a caller, whatever part of it runs before or after the registry shows the child."""

BURSTS: dict[str, tuple[str, Callable[[LoopKind, int], float]]] = {
    "seq_p50_us": ("seq", alara_seq),  # row key: (driver command, the alara burst)
    "restart_us": ("restart", alara_restart),
    "answer_us": ("answer", alara_answer),
}


def run_row(erlang: ErlangServer, pairing: Pairing, key: str, plan: Plan,
            say: Callable[[str], None]) -> dict[str, Any]:
    """``plan.rounds`` paired bursts of row ``key``: every round's figures and their summary."""
    command, burst = BURSTS[key]
    size = plan.size(key)

    def settled(side: Callable[[], float]) -> Callable[[], dict[str, float]]:
        # The BEAM's schedulers spin for a while after their work runs out (busy wait, on
        # by default, part of Erlang's speed): a burst started at once would share the
        # cores with that spin. Both sides wait the same, so neither is measured in it.
        def run() -> dict[str, float]:
            time.sleep(plan.settle)
            return {key: side()}
        return run

    sides = {
        pairing.erlang: settled(lambda: erlang.ask(f"{command} {size}", key)),
        pairing.alara: settled(lambda: burst(pairing.loop, size)),
    }  # Erlang first: interleaved() runs it first in even rounds, alara first in odd ones
    runs: dict[str, list[dict[str, float]]] = {}
    interleaved(sides, plan.rounds, lambda message: say(f"{pairing.name}, {key}: {message}"),
                runs)
    pairs = [(theirs[key], ours[key])
             for theirs, ours in zip(runs[pairing.erlang], runs[pairing.alara], strict=True)]
    summary = summarize_pairs(pairs, higher_is_better=LABELS[key][2])
    rounds = [{"erlang": theirs, "alara": ours, "ratio": ours / theirs,
               "first": "Erlang" if index % 2 == 0 else "alara"}
              for index, (theirs, ours) in enumerate(pairs)]
    return {"size": size, "rounds": rounds, "summary": asdict(summary)}


def run_pairing(paths: list[Path], pairing: Pairing, plan: Plan,
                say: Callable[[str], None]) -> dict[str, Any]:
    """Every row of one pairing on one ``erl``, stopped before the next pairing starts."""
    say(f"{pairing.name}: starting erl {' '.join(pairing.flags)}".rstrip())
    with ErlangServer(paths, pairing.flags) as erlang:
        schedulers = erlang.ask("schedulers", "schedulers")
        rows = {key: run_row(erlang, pairing, key, plan, say) for key in plan.rows}
    return {"alara": pairing.alara, "loop": pairing.loop, "erlang": pairing.erlang,
            "flags": list(pairing.flags), "schedulers": schedulers, "rows": rows}


def markdown(results: list[dict[str, Any]]) -> str:
    """One line per pairing and row: the medians of each side, then the paired verdict."""
    lines = ["| pairing | row | alara (median) | Erlang (median) | alara ÷ Erlang, median of "
             "paired ratios | lowest to highest ratio | rounds alara led | sign test p | verdict |",
             "|---" * 9 + "|"]
    for result in results:
        for key, row in result["rows"].items():
            label, unit, _ = LABELS[key]
            summary = PairedSummary(**row["summary"])
            lines.append(
                f"| {result['alara']} vs {result['erlang']} | {label} "
                f"| {cell(summary.median_alara, unit)} | {cell(summary.median_erlang, unit)} "
                f"| {summary.median_ratio:.2f}x "
                f"| {summary.min_ratio:.2f}x to {summary.max_ratio:.2f}x "
                f"| {summary.led}/{summary.rounds} | {summary.sign_p:.2g} | {summary.verdict} |")
    return "\n".join(lines) + "\n"


def arguments() -> argparse.ArgumentParser:
    """The comparison options, with rounds and burst sizes in place of ``--repetitions``."""
    parser = comparison_arguments("python -m benchmarks.erlang_paired", __doc__, "erlang-paired",
                                  repetitions=False)
    parser.add_argument("--rounds", type=int, help="paired rounds per row (15; --quick: 2)")
    parser.add_argument("--seq", type=int, help="requests per seq burst (3,000; --quick: 500)")
    parser.add_argument("--kills", type=int, help="kills per restart burst (200; --quick: 40)")
    parser.add_argument("--rows", nargs="+", choices=list(BURSTS),
                        help="only these rows (default: all three)")
    parser.add_argument("--settle", type=float,
                        help="seconds of rest before every burst, either side (0.2; --quick: 0)")
    return parser


def plan_of(args: argparse.Namespace) -> Plan:
    """The sizes asked for, the defaults (small ones under ``--quick``) for the rest."""
    rounds, seq, kills = (2, 500, 40) if args.quick else (15, 3_000, 200)
    settle = 0.0 if args.quick else 0.2
    return Plan(args.rounds or rounds, args.seq or seq, args.kills or kills,
                settle if args.settle is None else args.settle,
                tuple(args.rows) if args.rows else tuple(BURSTS))


def main(argv: list[str] | None = None) -> int:
    """Build ALARA, run every pairing on its own ``erl``, print and write the table."""
    args = arguments().parse_args(argv)
    reason = missing()
    if reason is not None:
        print(f"benchmarks.erlang_paired: nothing measured: {reason}", file=sys.stderr)
        return 0
    say, meta, plan = Progress(), provenance(), plan_of(args)
    meta["plan"] = asdict(plan)
    say("building ALARA and the driver")
    paths = build()
    skipped: list[str] = []
    results: list[dict[str, Any]] = []
    for pairing in PAIRINGS:
        if not loop_available(pairing.loop):
            skipped.append(f"{pairing.name}: {pairing.loop} not installed "
                           "(pip install 'alara[uvloop]')")
            print(f"skipped: {skipped[-1]}", file=sys.stderr)
            continue
        results.append(run_pairing(paths, pairing, plan, say))
    how = (f"{plan.rounds} paired rounds per row (bursts of {plan.seq:,} requests / "
           f"{plan.kills:,} kills on each side, alternating which side goes first)")
    text = (heading(meta, how) + markdown(results)
            + "".join(f"\n- skipped: {reason}" for reason in skipped))
    print("\n" + text)
    write_files(args.json, {"meta": meta, "pairings": results, "skipped": skipped},
                args.markdown, lambda: text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
