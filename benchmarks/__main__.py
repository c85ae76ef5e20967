"""``python -m benchmarks``: alara's user-level rows, each next to a baseline of the same run.

Rows from ``benchmarks.requests``, ``.sources``, ``.native`` and ``.observed``. ``--quick`` (CI)
takes few samples: its figures spot a crash, not for quoting. Only a crash fails a run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict

from benchmarks._harness import (
    LoopKind,
    Row,
    arguments,
    heading,
    loop_available,
    markdown_table,
    progress,
    provenance,
    write_files,
)
from benchmarks.native import app_rows, micro_rows
from benchmarks.observed import observed_rows
from benchmarks.requests import FULL, QUICK, Settings, large, small, start
from benchmarks.sources import source_rows

Scenario = Callable[[Settings, LoopKind], list[Row]]

SCENARIOS: dict[str, tuple[Scenario, bool]] = {  # name: (rows, also on uvloop)
    "requests": (small, True),
    "mib": (large, False),
    "start": (start, False),
    "sources": (source_rows, False),
    "sync": (lambda s, _loop: micro_rows(*(1, 2_000) if s is QUICK else (3, 20_000)), False),
    "apps": (lambda s, _loop: app_rows(*(1, 400) if s is QUICK else (3, 4_000)), False),
    "observed": (lambda s, loop: observed_rows(2 if s is QUICK else 30, loop), False),
}
DEFAULT = ["requests", "mib", "start", "sources", "sync", "observed"]


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; print, and write as Markdown and JSON, one table."""
    parser = arguments("python -m benchmarks", __doc__, "latest")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=DEFAULT,
                        help="the scenarios to run (default: all but the real apps)")
    parser.add_argument("--no-uvloop", action="store_true", help="skip the uvloop rows")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    say, meta, rows, skipped = progress, provenance(), [], []
    loops: list[LoopKind] = ["default"]
    if args.no_uvloop or not loop_available("uvloop"):
        skipped.append("uvloop rows: " + ("--no-uvloop" if args.no_uvloop else
                                          "uvloop not installed (the `bench` extra)"))
    else:
        loops.append("uvloop")
    for name in args.only:
        scenario, both = SCENARIOS[name]
        for loop in loops if both else loops[:1]:
            say(f"{name}, {loop} loop")
            rows.extend(scenario(settings, loop))
    text = (heading(meta, f"{settings.name} run") + markdown_table(rows)
            + "".join(f"\n- skipped: {reason}" for reason in skipped))
    data = {"meta": meta, "skipped": skipped,
            "rows": [{**asdict(row), "ratio": row.ratio} for row in rows]}
    write_files(args, data, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
