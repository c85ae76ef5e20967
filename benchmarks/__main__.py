"""``python -m benchmarks``: run the suite, print the table, write JSON (and a plot, Markdown).

Exit status is 0 whatever the figures are: targets are reported, never enforced, so a slow CI
machine cannot fail the build. Only a crash (an exception in alara or in the suite) fails it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import alara
from benchmarks.large import measure_large
from benchmarks.latency import measure_latency, rows_for
from benchmarks.measure import LoopKind, clock, loop_available
from benchmarks.micro import run_micro
from benchmarks.plot import plot
from benchmarks.report import markdown, text_table
from benchmarks.restart import measure_restart
from benchmarks.results import Results
from benchmarks.runs import Progress, provenance, write_files
from benchmarks.scale import measure_scale
from benchmarks.settings import FULL, QUICK, Settings
from benchmarks.throughput import measure_throughput, row_for

SCENARIOS = ("latency", "pyperf", "throughput", "large", "scale", "restart")


def _loops(use_uvloop: bool, results: Results) -> list[LoopKind]:
    loops: list[LoopKind] = ["default"]
    if not use_uvloop:
        results.skipped.append("uvloop: disabled with --no-uvloop")
    elif loop_available("uvloop"):
        loops.append("uvloop")
    else:
        results.skipped.append("uvloop: not installed (pip install 'alara[uvloop]')")
    return loops


def _latency(settings: Settings, results: Results, loops: list[LoopKind],
             say: Callable[[str], None]) -> None:
    for loop in loops:
        pools = settings.latency_calls if loop == "default" else settings.uvloop_latency_workers
        for workers in pools:
            say(f"latency: {workers} workers, {loop} loop")
            alara_ns, direct_ns = measure_latency(loop, workers, settings.latency_calls[workers],
                                                  settings.latency_rounds, settings.latency_warmup)
            results.rows.extend(rows_for(loop, workers, alara_ns, direct_ns))


def _pyperf(settings: Settings, results: Results, say: Callable[[str], None]) -> None:
    quick = settings is QUICK
    say("pyperf cross-check" + (" (single value, smoke test)" if quick else " (--fast)"))
    keep = Path("benchmarks/results") / f"pyperf-{settings.name}.json"
    results.rows.extend(run_micro(quick, keep))


def _throughput(settings: Settings, results: Results, loops: list[LoopKind],
                say: Callable[[str], None]) -> None:
    callers, calls = settings.throughput_callers, settings.throughput_calls
    for loop in loops:
        say(f"throughput: 3 workers, {callers} callers x {calls} calls, {loop} loop")
        rates = measure_throughput(loop, 3, callers, calls, settings.throughput_rounds)
        results.rows.append(row_for(loop, 3, callers, calls, rates))
    callers = settings.sweep_callers
    for workers in settings.sweep_workers:
        calls = max(1, min(settings.throughput_calls, settings.sweep_asks // (callers * workers)))
        say(f"throughput: {workers} workers, {callers} callers x {calls} calls")
        rates = measure_throughput("default", workers, callers, calls, 1)
        results.rows.append(row_for("default", workers, callers, calls, rates))


def _large(settings: Settings, results: Results, say: Callable[[str], None]) -> None:
    for size in settings.large_sizes:
        say(f"large: {size:,} B")
        results.rows.extend(measure_large(size, settings.large_repeats[size]))


def _scale(settings: Settings, results: Results, say: Callable[[str], None]) -> None:
    for workers in settings.scale_pools:
        say(f"scale: {workers:,} workers")
        results.rows.extend(measure_scale(workers, settings.scale_repeats))


def _restart(settings: Settings, results: Results, say: Callable[[str], None]) -> None:
    say(f"restart: {settings.restart_kills} kills")
    results.rows.extend(measure_restart(settings.restart_kills, settings.restart_warmup))


def _meta(settings: Settings) -> dict[str, Any]:
    try:
        uvloop_version: str | None = importlib.metadata.version("uvloop")
    except importlib.metadata.PackageNotFoundError:
        uvloop_version = None
    return {
        "suite": settings.name,
        **provenance(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "uvloop": uvloop_version,
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke run: every scenario, few samples (< 60 s)")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS),
                        help="run only these scenarios")
    parser.add_argument("--no-uvloop", action="store_true", help="skip the uvloop runs")
    parser.add_argument("--json", type=Path, default=None,
                        help="JSON output (default benchmarks/results/<suite>.json)")
    parser.add_argument("--plot", type=Path, default=None, help="write the PNG plot here")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="write the Markdown tables here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; always 0 unless something crashed."""
    args = _arguments(argv)
    settings = QUICK if args.quick else FULL
    results = Results(_meta(settings))
    say = Progress()
    loops = _loops(not args.no_uvloop, results)
    if "latency" in args.only:
        _latency(settings, results, loops, say)
    if "pyperf" in args.only:
        _pyperf(settings, results, say)
    if "throughput" in args.only:
        _throughput(settings, results, loops, say)
    if "large" in args.only:
        _large(settings, results, say)
    if "scale" in args.only:
        _scale(settings, results, say)
    if "restart" in args.only:
        _restart(settings, results, say)
    results.meta["load_after"] = os.getloadavg()
    results.meta["seconds"] = round((clock() - say.begin) / 1e9, 1)
    say("done")
    print(text_table(results.rows, results.skipped))
    default_name = "latest.json" if settings is FULL else "quick.json"
    path = args.json or Path("benchmarks/results") / default_name
    write_files(path, results.to_json(), args.markdown,
                lambda: markdown(results.rows, results.skipped))
    if args.plot is not None:
        commit = results.meta["commit"] or "unknown commit"
        if results.meta["alara_tree_modified"]:
            commit += " + local changes"
        title = (f"alara {alara.__version__} ({commit}), Python {results.meta['python']}, "
                 f"{results.meta['cpus']} CPUs, {settings.name} run")
        plot(results.rows, args.plot, title)
        print(f"Plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
