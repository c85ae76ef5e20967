"""The frame of a command-line run, shared by the suite, the peer table and the Erlang table.

Every run must say the same things about where its figures came from (so two result files
can be compared), report progress the same way (stderr, so stdout carries only the tables),
repeat its sides the same way, and write its files the same way; keeping that here means the
runs cannot drift apart.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import alara
from benchmarks.measure import clock

__all__ = [
    "Progress",
    "cell",
    "compare",
    "comparison_arguments",
    "git",
    "heading",
    "interleaved",
    "provenance",
    "write_files",
]


class Progress:
    """Progress lines on stderr, stamped with the seconds since the run began."""

    def __init__(self) -> None:
        self.begin = clock()

    def __call__(self, message: str) -> None:
        print(f"[{(clock() - self.begin) / 1e9:6.1f}s] {message}", file=sys.stderr, flush=True)


def git(*args: str) -> str | None:
    """Output of a read-only git query, or ``None`` outside a checkout."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True,
                              timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def provenance() -> dict[str, Any]:
    """When the run was made and of which alara: the part of the metadata every run records."""
    return {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "alara": alara.__version__,
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "alara_tree_modified": bool(git("status", "--porcelain", "--", "alara")),
        "python": platform.python_version(),
        "load_before": os.getloadavg(),
    }


def write_files(json_path: Path, data: Any, markdown_path: Path | None,
                markdown: Callable[[], str]) -> None:
    """Write ``data`` as JSON and, if a path is given, the Markdown tables; say where."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nJSON: {json_path}")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(markdown(), encoding="utf-8")
        print(f"Markdown: {markdown_path}")


def comparison_arguments(prog: str, description: str | None, name: str,
                         repetitions: bool = True) -> argparse.ArgumentParser:
    """The options of a side-by-side comparison run (``peers``, ``erlang``, ``erlang_paired``);
    ``repetitions=False`` leaves out ``--repetitions`` for a run that counts its own rounds."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help="smoke run: few samples")
    if repetitions:
        parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path(f"benchmarks/results/{name}.json"))
    parser.add_argument("--markdown", type=Path, default=Path(f"benchmarks/results/{name}.md"))
    return parser


def interleaved(sides: dict[str, Callable[[], dict[str, float]]], repetitions: int,
                say: Callable[[str], None],
                runs: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Run every side ``repetitions`` times, in alternating order, keeping every run's figures
    in ``runs``; each figure's median.

    Alternating the order means a neighbour that slows the machine for a while slows every
    side alike instead of the one that happened to run then.
    """
    runs.update({name: [] for name in sides})
    for repetition in range(repetitions):
        for name in list(sides) if repetition % 2 == 0 else list(sides)[::-1]:
            say(f"repetition {repetition + 1}/{repetitions}: {name}")
            runs[name].append(sides[name]())
    return {name: {key: statistics.median(run[key] for run in done if key in run)
                   for key in dict.fromkeys(key for run in done for key in run)}
            for name, done in runs.items()}


def cell(value: float | None, unit: str) -> str:
    """A figure for a table cell: rates in thousands, three significant digits or so."""
    if value is None:
        return "n/a"
    if unit.endswith("/s") and unit != "MB/s":
        return f"{value / 1e3:,.0f}k/s"
    return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def heading(meta: dict[str, Any], how: str) -> str:
    """The line above a comparison table: when, on what, under which load (``load_after`` is
    recorded in ``meta`` now), and ``how`` its figures were taken."""
    meta["load_after"] = os.getloadavg()
    return (f"{meta['when']}, alara {meta['commit']}, Python {meta['python']}, load average "
            f"{meta['load_before'][0]:.1f} before / {meta['load_after'][0]:.1f} after, "
            f"{how}\n\n")


Table = Callable[[dict[str, dict[str, float]]], str]


def compare(sides: dict[str, Callable[[], dict[str, float]]], args: argparse.Namespace,
            meta: dict[str, Any], skipped: list[str], table: Table,
            say: Callable[[str], None]) -> None:
    """Run the sides interleaved; print the table of their medians under a line saying when,
    on what and under which load; write it (Markdown), and the medians with every run (JSON)."""
    runs: dict[str, list[dict[str, float]]] = {}
    medians = interleaved(sides, args.repetitions, say, runs)
    text = (heading(meta, f"median of {args.repetitions} repetitions") + table(medians)
            + "".join(f"\n- skipped: {reason}" for reason in skipped))
    print("\n" + text)
    write_files(args.json, {"meta": meta, "medians": medians, "runs": runs, "skipped": skipped},
                args.markdown, lambda: text + "\n")
