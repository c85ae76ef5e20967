"""README and docs describe alara as it is now; how it got there lives in git.

A reader has no use for the number of a development step or of a tracker entry: such
references go stale and point at nothing a user can open, so the pages that cite them fail
here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HISTORY = re.compile(r"\b(stop|issue)s? [0-9]+\b", re.IGNORECASE)


def pages() -> list[Path]:
    """README.md and every Markdown page of the docs."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_pages_are_found() -> None:
    names = {path.name for path in pages()}
    assert {"README.md", "index.md", "security.md", "benchmarks.md"} <= names


def test_readme_and_docs_cite_no_development_history() -> None:
    cited = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in pages()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if HISTORY.search(line)]
    assert cited == []


def test_the_check_finds_what_it_looks_for() -> None:
    assert HISTORY.search("the paired comparison after Stop 17")
    assert HISTORY.search("see issues 7 and 8")
    assert not HISTORY.search("10,000 actors stopped; the issue is closed")
