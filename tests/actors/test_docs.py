"""``docs/actors.md`` is executable: every Python example runs and prints what the guide says.

Each ```python block is a complete program; the ```text block right after it, if any, is its
exact output. A guide whose examples fail or whose printed output drifted fails here.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "actors.md"
_BLOCK = re.compile(r"```python\n(?P<code>.*?)```\n(?:\n```text\n(?P<output>.*?)```\n)?", re.S)


def _examples() -> list[tuple[str, str, str | None]]:
    text = GUIDE.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append((f"docs/actors.md:{line}", match["code"], match["output"]))
    return found


EXAMPLES = _examples()


def test_the_guide_has_examples_with_their_output() -> None:
    assert len(EXAMPLES) >= 6
    assert all(output is not None for _where, _code, output in EXAMPLES)


@pytest.mark.parametrize(("where", "code", "output"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_runs_and_prints_what_the_guide_shows(
    where: str, code: str, output: str | None
) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, where, "exec"), {"__name__": "__main__"})  # the guide's own code
    if output is not None:
        assert printed.getvalue() == output
