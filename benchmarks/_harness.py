"""What every benchmark shares, so every figure is computed the same way: integer nanoseconds,
interpolated percentiles, a fresh event loop per measurement, sides interleaved."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns
from typing import Any, Literal, TypeVar

import alara

T = TypeVar("T")
LoopKind = Literal["default", "uvloop"]
Side = Callable[[], dict[str, float]]
clock = perf_counter_ns  # the one clock of every benchmark: monotonic, integer nanoseconds


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0.01 to 0.99) of ``samples``, linearly interpolated."""
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q * 100) - 1]


def loop_available(kind: LoopKind) -> bool:
    """Whether the event loop ``kind`` can be used here (uvloop is the ``bench`` extra)."""
    return kind == "default" or importlib.util.find_spec("uvloop") is not None


def run_on(kind: LoopKind, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``main()`` on a fresh loop of ``kind`` after a full collection (nothing inherited)."""
    factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if kind == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    gc.collect()
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


async def settle(rounds: int = 3) -> None:
    """Let every ready callback run, so a pool is idle before timing starts."""
    for _ in range(rounds):
        await asyncio.sleep(0)


@dataclass(frozen=True, slots=True)
class Row:
    """One figure next to its baseline of the same run; ``key`` is stable across runs."""

    key: str
    label: str
    unit: str
    value: float
    baseline: float | None = None
    baseline_name: str = ""
    higher_is_better: bool = False
    note: str = ""
    paired: float | None = None
    """The median ratio of sides measured in adjacent pairs, if they were: the ratio shown,
    since a pair shares the machine's phase where two medians need not."""

    @property
    def ratio(self) -> float | None:
        """``value / baseline`` (or ``paired``): a time's multiple of the baseline, a rate's
        fraction of it."""
        if self.paired is not None:
            return self.paired
        return self.value / self.baseline if self.baseline else None


def cell(value: float | None, unit: str) -> str:
    """A figure for a table cell, at a precision that suits its unit."""
    if value is None or value != value:  # missing or NaN
        return "n/a"
    if unit.endswith("/s") and unit != "MB/s":
        return f"{value:,.0f}/s"
    return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as one Markdown table: ``7.84x direct`` for a time, ``58% of direct`` for a
    rate (the table a run prints is the one the docs quote)."""
    lines = ["| row | alara | baseline | alara vs baseline | note |", "|---|---|---|---|---|"]
    for row in rows:
        ratio = baseline = ""
        if row.ratio is not None and row.baseline is not None:
            ratio = (f"{row.ratio:.0%} of " if row.higher_is_better
                     else f"{row.ratio:.2f}x ") + row.baseline_name
            baseline = cell(row.baseline, row.unit)
        lines.append(f"| {row.label} | {cell(row.value, row.unit)} | {baseline} | {ratio} "
                     f"| {row.note} |")
    return "\n".join(lines) + "\n"


def provenance() -> dict[str, Any]:
    """When, of which alara, on what: recorded with every run's figures."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False, timeout=5).stdout.strip() or "unknown"
    return {"when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "alara": alara.__version__, "commit": commit, "python": platform.python_version(),
            "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}


def heading(meta: dict[str, Any], how: str) -> str:
    """The line above a table: on what, under which load, and ``how`` it was taken."""
    meta["load_after"] = os.getloadavg()[0]
    return (f"alara {meta['alara']} ({meta['commit']}), Python {meta['python']}, "
            f"{meta['cpus']} CPUs, load average {meta['load_before']:.1f} before / "
            f"{meta['load_after']:.1f} after; {how}\n\n")


def progress(message: str) -> None:
    """A progress line on stderr (stdout carries only the tables)."""
    print(f"[{clock() / 1e9:10.1f}] {message}", file=sys.stderr, flush=True)


def interleaved(sides: dict[str, Side], repetitions: int, say: Callable[[str], None]
                ) -> dict[str, list[dict[str, float]]]:
    """Every side's figures, ``repetitions`` times, in an order reversed every other time."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    for repetition in range(repetitions):
        for name in list(sides) if repetition % 2 == 0 else list(sides)[::-1]:
            say(f"repetition {repetition + 1}/{repetitions}: {name}")
            runs[name].append(sides[name]())
    return runs


def medians(runs: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Each side's median of each figure over its repetitions."""
    return {name: {key: statistics.median(run[key] for run in done if key in run)
                   for key in {key: None for run in done for key in run}}
            for name, done in runs.items()}


def arguments(prog: str, description: str | None, name: str) -> argparse.ArgumentParser:
    """The options every command shares: ``--quick`` and where its files go."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: few samples")
    parser.add_argument("--json", type=Path, default=Path(f"benchmarks/results/{name}.json"))
    parser.add_argument("--markdown", type=Path, default=Path(f"benchmarks/results/{name}.md"))
    return parser


def write_files(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``text``; write it as Markdown and ``data`` as JSON where ``args`` say."""
    print("\n" + text)
    for path, content in ((args.json, json.dumps(data, indent=2, ensure_ascii=False)),
                          (args.markdown, text)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content + "\n", encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
