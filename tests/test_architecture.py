"""docs/architecture.md's layout tree is the map of alara/: every module, with its one job.

A module added to alara/ without its line in the map, or a line left for a module that is
gone, fails here, so the map a newcomer reads is the code that runs.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "docs" / "architecture.md"
_ENTRY = re.compile(r"^(?P<indent> *)(?P<names>\S.*?)(?: {2,}(?P<job>\S.*))?$")


def layout_block() -> list[str]:
    """The lines of the map's first code block: the layout tree."""
    return MAP.read_text(encoding="utf-8").split("```", 2)[1].splitlines()[1:]


def mapped() -> dict[str, str]:
    """Every path the tree names (``alara/actors/_actor.py``) with the job written next to it.

    Two spaces of indentation per level; a name ending in ``/`` is a package that the lines
    below it, indented further, belong to; a line may name several files (``a.py, b.py``).
    Lines that only continue the previous job are indented past the names' column.
    """
    entries: dict[str, str] = {}
    parents: list[tuple[int, str]] = []
    last_job_column = None
    for line in layout_block():
        match = _ENTRY.match(line)
        if match is None or not line.strip():
            continue
        indent = len(match["indent"])
        if last_job_column is not None and indent >= last_job_column:
            continue  # a job written over two lines
        while parents and parents[-1][0] >= indent:
            parents.pop()
        prefix = "".join(name for _, name in parents)
        for name in (part.strip() for part in match["names"].split(",")):
            entries[prefix + name] = match["job"] or ""
        if match["names"].endswith("/"):
            parents.append((indent, match["names"]))
        last_job_column = line.index(match["job"]) if match["job"] else None
    return entries


def modules() -> set[str]:
    """Every Python module and C source of the package, as a path from the repository root
    (a package's ``__init__.py`` is its line in the map, ``actors/`` say)."""
    return {str(path.relative_to(ROOT)) for pattern in ("*.py", "*.c")
            for path in (ROOT / "alara").rglob(pattern)
            if "__pycache__" not in path.parts and path.name != "__init__.py"}


def test_every_module_of_alara_is_on_the_map() -> None:
    assert sorted(modules() - set(mapped())) == []


def test_the_map_names_no_module_that_is_gone() -> None:
    listed = {path for path in mapped() if not path.endswith(("/", "__init__.py"))}
    assert sorted(listed - modules()) == []


def test_every_module_says_its_job() -> None:
    assert [path for path, job in mapped().items() if not job and not path.endswith("/")] == []


def test_the_removal_note_is_kept() -> None:
    assert "## What was removed, and why" in MAP.read_text(encoding="utf-8")
