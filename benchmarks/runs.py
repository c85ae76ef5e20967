"""The frame of a command-line run, shared by ``python -m benchmarks`` and the ablation.

Both runs must say the same things about where their figures came from (so two result files
can be compared), report progress the same way (stderr, so stdout carries only the tables),
and write their files the same way; keeping that here means the two cannot drift apart.
"""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import alara
from benchmarks.measure import clock

__all__ = ["Progress", "git", "provenance", "write_files"]


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
