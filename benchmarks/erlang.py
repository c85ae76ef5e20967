"""``python -m benchmarks.erlang``: alara next to the Erlang original (ALARA), in one command.

Builds ALARA from its source (a copy, with the two hex plugin lines removed from its
``rebar.config`` so that ``rebar3`` builds offline), runs our driver ``benchmarks/erlang/
alara_bench.erl`` on it with the default schedulers and with ``erl +S 1`` (one scheduler: the
fair match for one event loop), then measures the same rows on alara on the default loop and on
uvloop, in interleaved repetitions. The driver calls only ALARA's public API; none of ALARA's
code is copied into this project. Skipped with a message where ``erl``/``erlc``/``rebar3`` or
the source are missing (Debian: ``apt-get install erlang-nox rebar3``).

Each side here is a whole process, run minutes apart from the others; where the machine's slow
and fast phases make that unfair (the sequential and restart rows), ``benchmarks.erlang_paired``
measures the two sides in alternating bursts on one long-lived ``erl`` instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.large import measure_large
from benchmarks.latency import bare_sequential, measure_latency
from benchmarks.measure import LoopKind, loop_available, run_on
from benchmarks.restart import bare_restart, measure_restart
from benchmarks.runs import Progress, cell, compare, comparison_arguments, provenance
from benchmarks.scale import start_once
from benchmarks.throughput import measure_throughput

__all__ = ["ERLANG", "ROWS", "build", "erl_command", "main", "missing"]

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "benchmarks" / "erlang" / "alara_bench.erl"
BUILD = ROOT / "benchmarks" / "results" / "erlang-build"
MIB = 1 << 20

ROWS: dict[str, tuple[str, str, bool]] = {  # driver key: (label, unit, higher is better)
    "seq_p50_us": ("sequential 32 B p50, 3 workers", "µs", False),
    "seq_floor_us": ("the same in hand-written bare asyncio (its floor), p50", "µs", False),
    "callers_per_s": ("500-caller throughput, 32 B, 3 workers", "calls/s", True),
    "mib_mb_per_s": ("1 MiB throughput, 3 workers", "MB/s", True),
    "start_ms": ("1,000-worker start to first reply", "ms", False),
    "restart_us": ("kill → new live child in the registry, p50", "µs", False),
    "restart_floor_us": ("the same in hand-written bare asyncio (its floor), p50", "µs", False),
}
ERLANG = {"Erlang": [], "Erlang +S 1": ["+S", "1"]}


def _sources() -> list[Path]:
    named = os.environ.get("ALARA_ERLANG_SRC")
    if named:
        return [Path(named)]
    return [ROOT.parent / "shared" / "alara-erlang", ROOT.parents[1] / "shared" / "alara-erlang"]


def missing() -> str | None:
    """Why the Erlang side cannot run here, or ``None``."""
    tools = [tool for tool in ("erl", "erlc", "rebar3") if shutil.which(tool) is None]
    if tools:
        return (f"{', '.join(tools)} not found (Debian: apt-get install erlang-nox rebar3): "
                "Erlang side skipped")
    if not any(path.is_dir() for path in _sources()):
        places = " or ".join(str(path) for path in _sources())
        return f"ALARA's source not found at {places} (set ALARA_ERLANG_SRC): Erlang side skipped"
    return None


def build() -> list[Path]:
    """Copy ALARA's source, drop the hex plugins, compile it and our driver; the code paths."""
    source = next(path for path in _sources() if path.is_dir())
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.copytree(source, BUILD / "alara", ignore=shutil.ignore_patterns("_build"))
    config = BUILD / "alara" / "rebar.config"
    kept = [line for line in config.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.lstrip().startswith(("{plugins,", "{project_plugins,"))]
    config.write_text("".join(kept), encoding="utf-8")
    subprocess.run(["rebar3", "compile"], cwd=BUILD / "alara", check=True, timeout=600,
                   env={**os.environ, "REBAR_OFFLINE": "1"}, stdout=subprocess.DEVNULL)
    driver = BUILD / "driver"
    driver.mkdir()
    subprocess.run(["erlc", "-o", str(driver), str(DRIVER)], check=True, timeout=120)
    return [BUILD / "alara" / "_build" / "default" / "lib" / "alara" / "ebin", driver]


def erl_command(paths: list[Path], flags: list[str], expression: str) -> list[str]:
    """The ``erl`` command line that evaluates ``expression`` on the built code, then stops;
    one place, so the whole runs and the paired runs start the same BEAM."""
    command = ["erl", "-noshell", *flags]
    for path in paths:
        command += ["-pa", str(path)]
    return [*command, "-eval", expression, "-s", "init", "stop"]


def run_erlang(paths: list[Path], flags: list[str], quick: bool) -> dict[str, float]:
    """One run of the driver: its ``key value`` lines."""
    command = erl_command(paths, flags, f"alara_bench:main([{str(quick).lower()}])")
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
    figures = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key in ROWS or key == "schedulers":
            figures[key] = float(value)
    return figures


def run_alara(loop: LoopKind, quick: bool) -> dict[str, float]:
    """The same rows on alara, on ``loop``."""
    calls, callers_calls, mibs, starts, kills = (
        (2_000, 10, 3, 1, 40) if quick else (20_000, 100, 12, 3, 400))
    latency, _ = measure_latency(loop, 3, calls, 4, 500)
    rates = measure_throughput(loop, 3, 500, callers_calls, 1 if quick else 5)
    large = {row.key: row.value for row in measure_large(MIB, mibs, loop)}
    restart = {row.key: row.value for row in measure_restart(kills, 10, loop)}
    start = statistics.median(run_on(loop, lambda: start_once(1000)).ready
                              for _ in range(starts))
    return {
        "seq_p50_us": latency.p50 / 1e3,
        "seq_floor_us": bare_sequential(loop, 3, calls, 500),
        "callers_per_s": rates.alara,
        "mib_mb_per_s": large["large.1MiB.vs_direct"],
        "start_ms": start * 1e3,
        "restart_us": restart["restart.registry.p50"],
        "restart_floor_us": bare_restart(kills, 10, loop),
    }


def markdown(medians: dict[str, dict[str, float]]) -> str:
    """One row per measure; the verdicts compare alara with ALARA (default loop against the
    default schedulers, uvloop against ``+S 1``)."""
    names = list(medians)
    lines = ["| row | " + " | ".join(names) + " | alara ÷ Erlang | alara uvloop ÷ Erlang +S 1 |",
             "|---" * (len(names) + 3) + "|"]
    for key, (label, unit, higher) in ROWS.items():
        values = {name: medians[name].get(key) for name in names}

        def versus(ours: str, theirs: str, values: dict[str, float | None] = values,
                   higher: bool = higher) -> str:
            mine, other = values.get(ours), values.get(theirs)
            if not mine or not other:
                return ""
            leads = (mine > other) == higher
            return f"{mine / other:.2f}x ({'leads' if leads else 'trails'})"

        lines.append(f"| {label} | " + " | ".join(cell(values[n], unit) for n in names)
                     + f" | {versus('alara', 'Erlang')} | "
                     + f"{versus('alara uvloop', 'Erlang +S 1')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build ALARA, run both sides in interleaved repetitions, print and write the table."""
    args = comparison_arguments("python -m benchmarks.erlang", __doc__, "erlang").parse_args(argv)
    say = Progress()
    meta = provenance()
    skipped: list[str] = []
    sides: dict[str, Callable[[], dict[str, float]]] = {}
    reason = missing()
    if reason is None:
        say("building ALARA and the driver")
        paths = build()
        for name, flags in ERLANG.items():
            sides[name] = functools.partial(run_erlang, paths, flags, args.quick)
    else:
        skipped.append(reason)
        print(reason, file=sys.stderr)
    sides["alara"] = functools.partial(run_alara, "default", args.quick)
    if loop_available("uvloop"):
        sides["alara uvloop"] = functools.partial(run_alara, "uvloop", args.quick)
    else:
        skipped.append("uvloop: not installed (pip install 'alara[uvloop]')")
    compare(sides, args, meta, skipped, markdown, say)
    return 0


if __name__ == "__main__":
    sys.exit(main())
