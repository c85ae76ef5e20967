"""Rendering: the stdout table and the Markdown block for ``docs/benchmarks.md``.

Pure functions from rows to text, so the table printed by a run and the one committed to the
docs are the same table.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from benchmarks.results import TARGETS, Row, TargetResult, evaluate

__all__ = ["format_ratio", "format_value", "markdown", "text_table"]


def format_value(value: float | None, unit: str) -> str:
    """A figure with its unit, at a precision that suits the unit."""
    if value is None or value != value:  # missing or NaN
        return "n/a"
    if unit == "µs":
        return f"{value:,.1f} µs"
    if unit == "calls/s":
        return f"{value:,.0f}/s"
    if unit == "MB/s":
        return f"{value:,.0f} MB/s"
    if unit == "s":
        return f"{value * 1e3:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if unit == "KiB":
        return f"{value:,.2f} KiB"
    if unit == "x request":
        return f"{value:.2f}x req"
    return f"{value:,.3g} {unit}"


def format_ratio(row: Row) -> str:
    """The ratio to the baseline, read the natural way: ``9.3x direct`` or ``13% of direct``."""
    ratio = row.ratio
    if ratio is None:
        return ""
    if row.higher_is_better:
        return f"{ratio:.0%} of {row.baseline_name}"
    return f"{ratio:.2f}x {row.baseline_name}"


def _cells(row: Row) -> list[str]:
    loop = "" if row.loop == "default" else f" [{row.loop}]"
    baseline = format_value(row.baseline, row.unit) if row.baseline is not None else ""
    return [row.case + loop, row.metric, format_value(row.value, row.unit), baseline,
            format_ratio(row), row.note]


def _groups(rows: Iterable[Row]) -> Iterable[tuple[str, list[Row]]]:
    ordered = sorted(rows, key=lambda row: row.scenario)
    for scenario, members in groupby(ordered, key=lambda row: row.scenario):
        yield scenario, list(members)


def _measured(result: TargetResult, rows: list[Row]) -> str:
    target = next(target for target in TARGETS if target.text == result.text)
    row = next((row for row in rows if row.key == result.key), None)
    if result.measured is None or row is None:
        return "not measured"
    if not target.on_ratio:
        return format_value(result.measured, row.unit)
    return f"{result.measured:.0%}" if row.higher_is_better else f"{result.measured:.2f}x"


def _verdict(result: TargetResult) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[result.met]


_HEADER = ["case", "metric", "alara", "baseline", "alara vs baseline", "note"]


def text_table(rows: list[Row], skipped: list[str]) -> str:
    """The fixed-width table printed at the end of a run."""
    lines: list[str] = []
    for scenario, members in _groups(rows):
        cells = [_HEADER, *(_cells(row) for row in members)]
        widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADER))]
        lines.append(f"\n== {scenario} ==")
        for line in cells:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths,
                                                                            strict=True)).rstrip())
    lines.append("\n== issue 3 targets (default loop) ==")
    for result in evaluate(rows):
        lines.append(f"  [{_verdict(result):>12}] {result.text}: {_measured(result, rows)}")
    for reason in skipped:
        lines.append(f"  skipped: {reason}")
    return "\n".join(lines)


def markdown(rows: list[Row], skipped: list[str]) -> str:
    """The same tables and targets as Markdown."""
    out: list[str] = []
    for scenario, members in _groups(rows):
        out.append(f"#### {scenario}\n")
        out.append("| " + " | ".join(_HEADER) + " |")
        out.append("|" + "---|" * len(_HEADER))
        for row in members:
            out.append("| " + " | ".join(_cells(row)) + " |")
        out.append("")
    out.append("#### Issue 3 targets (default loop)\n")
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")
    for result in evaluate(rows):
        out.append(f"| {result.text} | {_measured(result, rows)} | {_verdict(result)} |")
    if skipped:
        out.append("")
        out.extend(f"- skipped: {reason}" for reason in skipped)
    return "\n".join(out) + "\n"
