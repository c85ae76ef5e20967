"""The plot for ``docs/benchmarks.md``: latency and throughput against worker count.

Uses matplotlib's Agg backend, so it draws the same on a headless CI box as on a laptop.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from benchmarks.results import Row

__all__ = ["plot"]

_LOOPS = (("default", "o", "tab:blue", "default loop"), ("uvloop", "s", "tab:orange", "uvloop"))
"""(loop, marker, colour, label): one colour per event loop; p50 solid, p99 dotted."""


def _points(rows: Iterable[Row], baseline: bool = False) -> tuple[list[int], list[float]]:
    """(workers, figure) pairs sorted by pool size; ``baseline`` takes the direct figure."""
    pairs = sorted(
        (row.workers, row.baseline if baseline else row.value)
        for row in rows
        if row.workers is not None and (row.baseline is not None or not baseline)
    )
    return [int(workers) for workers, _ in pairs], [float(value or 0.0) for _, value in pairs]


def _draw(axes: Any, rows: list[Row], style: str, label: str, baseline: bool = False,
          **options: Any) -> None:
    x, y = _points(rows, baseline)
    if x:
        axes.plot(x, y, style, label=label, **options)


def _finish(axes: Any, ylabel: str, title: str) -> None:
    axes.set(xscale="log", yscale="log", xlabel="workers", ylabel=ylabel, title=title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")


def plot(rows: list[Row], path: Path, title: str) -> None:
    """Draw sequential latency (p50, p99) and concurrent throughput against pool size."""
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(12, 4.8))
    for metric, style in (("p50", "-"), ("p99", ":")):
        selected = [row for row in rows if row.key.startswith("latency.") and row.metric == metric]
        for loop, marker, colour, name in _LOOPS:
            _draw(latency, [row for row in selected if row.loop == loop], style,
                  f"alara {metric}, {name}", marker=marker, color=colour)
        _draw(latency, [row for row in selected if row.loop == "default"], style,
              f"direct {metric}", baseline=True, marker="^", color="grey")
    _finish(latency, "µs per request", "Sequential latency, 32 B")
    selected = [row for row in rows if row.key.startswith("throughput.")]
    for loop, marker, colour, name in _LOOPS:
        _draw(throughput, [row for row in selected if row.loop == loop], "-", f"alara, {name}",
              marker=marker, color=colour)
    _draw(throughput, [row for row in selected if row.loop == "default"], "-", "direct",
          baseline=True, marker="^", color="grey")
    _finish(throughput, "requests per second", "Concurrent throughput, 32 B (many callers)")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
