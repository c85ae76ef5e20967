"""The micro cases under pyperf: one request at a time, calibrated, in several processes.

The hand-written loops of the suite report p50/p99 per call, which pyperf cannot (it times
batches of calls and reports their mean). This script is their cross-check with a well-kept
harness: pyperf calibrates the loop count, spreads the runs over fresh worker processes and
reports mean ± standard deviation. ``python -m benchmarks`` runs it in full mode and puts
its figures in the table; run it alone with ``python -m benchmarks.micro --fast -o out.json``
and compare two runs with ``python -m pyperf compare_to before.json after.json``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

import pyperf

import alara
from benchmarks.baseline import direct_request
from benchmarks.latency import REQUEST
from benchmarks.results import Row

__all__ = ["MICRO_WORKERS", "main", "run_micro"]

ROOT = Path(__file__).resolve().parents[1]

MICRO_WORKERS = (1, 3, 10)


def _direct(loops: int, workers: int) -> float:
    """Seconds for ``loops`` direct requests."""
    clock = pyperf.perf_counter
    start = clock()
    for _ in range(loops):
        direct_request(workers, REQUEST)
    return float(clock() - start)


async def _sequential(loops: int, workers: int) -> float:
    clock = pyperf.perf_counter
    async with alara.create_network(workers) as net:
        random_bytes = net.random_bytes
        for _ in range(min(loops, 100)):
            await random_bytes(REQUEST)
        start = clock()
        for _ in range(loops):
            await random_bytes(REQUEST)
        return float(clock() - start)


def _alara(loops: int, workers: int) -> float:
    """Seconds for ``loops`` sequential alara requests (network set up outside the timing)."""
    return asyncio.run(_sequential(loops, workers))


def main() -> None:
    """Register the micro benchmarks with a pyperf runner (which parses ``sys.argv``)."""
    runner = pyperf.Runner(program_args=("-m", "benchmarks.micro"))
    runner.metadata["description"] = "alara sequential 32-byte requests vs the direct baseline"
    for workers in MICRO_WORKERS:
        runner.bench_time_func(f"direct_w{workers}", _direct, workers)
        runner.bench_time_func(f"alara_w{workers}", _alara, workers)


def run_micro(quick: bool, keep: Path | None = None) -> list[Row]:
    """Run this script under pyperf in subprocesses and turn its medians into rows.

    ``quick`` uses pyperf's ``--debug-single-value`` (one call per benchmark: a smoke test of
    the plumbing, not a measurement); otherwise ``--fast``. ``keep`` saves pyperf's own JSON,
    for ``pyperf compare_to``.
    """
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "pyperf.json"
        mode = "--debug-single-value" if quick else "--fast"
        subprocess.run([sys.executable, "-m", "benchmarks.micro", mode, "--quiet", "-o",
                        str(output)], cwd=ROOT, check=True, capture_output=True, timeout=600)
        suite = pyperf.BenchmarkSuite.load(str(output))
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_text(output.read_text(encoding="utf-8"), encoding="utf-8")
    rows = []
    for workers in MICRO_WORKERS:
        measured = suite.get_benchmark(f"alara_w{workers}")
        direct = suite.get_benchmark(f"direct_w{workers}")
        values = measured.get_nvalue()
        spread = f" ± {measured.stdev() * 1e6:.1f}" if values > 1 else ""
        rows.append(Row(
            key=f"pyperf.w{workers}.median",
            scenario="1. sequential latency (pyperf cross-check)",
            case=f"{workers} worker{'s' if workers > 1 else ''}, {REQUEST} B",
            metric="median",
            unit="µs",
            value=measured.median() * 1e6,
            baseline=direct.median() * 1e6,
            baseline_name="direct",
            workers=workers,
            note=f"mean {measured.mean() * 1e6:.1f}{spread} µs, {values} values"
            + (" (smoke test only)" if quick else ""),
        ))
    return rows


if __name__ == "__main__":
    main()
