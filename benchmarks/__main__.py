"""``python -m benchmarks``: alara's user-level rows, each next to a baseline of the same run.

Rows: a sequential 32-byte request and 500 concurrent callers (3 workers) against the direct
baseline (the same reads and mix with no actors), on the default loop and on uvloop when it is
installed; 1 MiB against SHAKE256 alone; a 1,000-worker start against bare tasks; the sync
``alara.secrets`` and ``alara.Random`` calls against ``secrets`` and ``SystemRandom``; the
default pool of discovered sources (sequential and 500 callers) against the OS-only pool.

``--quick`` (``make bench-quick``, in CI) takes few samples: its figures are for spotting a
crash, not for quoting. The exit status is 0 whatever the figures are; only a crash fails it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict

from benchmarks._harness import (
    LoopKind,
    Progress,
    Row,
    arguments,
    heading,
    loop_available,
    markdown_table,
    provenance,
    write_files,
)
from benchmarks.requests import FULL, QUICK, Settings, concurrent, large, sequential, start
from benchmarks.sources import source_rows
from benchmarks.sync_secrets import sync_rows

Scenario = Callable[[Settings, LoopKind], list[Row]]

SCENARIOS: dict[str, tuple[Scenario, bool]] = {  # name: (rows, also on uvloop)
    "sequential": (sequential, True),
    "concurrent": (concurrent, True),
    "mib": (large, False),
    "start": (start, False),
    "sources": (source_rows, False),
    "sync": (lambda s, _loop: sync_rows(s is QUICK), False),
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; print, and write as Markdown and JSON, one table."""
    parser = arguments("python -m benchmarks", __doc__, "latest")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--no-uvloop", action="store_true", help="skip the uvloop rows")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    say, meta, rows, skipped = Progress(), provenance(), [], []
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
