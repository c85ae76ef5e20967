"""What each make target installs: ``make demo`` the core alone, the heavy extras only for
the targets that use them (a 0.5 s demo must not pull in Ray or the benchmark packages)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def installs(target: str) -> list[str]:
    """The pip install lines ``make`` would run for ``target`` from scratch."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    return [line for line in dry.stdout.splitlines() if "pip install" in line]


def test_make_demo_installs_the_core_only() -> None:
    lines = installs("demo")
    assert any(line.rstrip().endswith("install -q -e .") for line in lines)
    assert not any("[" in line for line in lines)  # no extras at all


def test_the_extras_come_with_the_targets_that_use_them() -> None:
    assert any("ray" in line for line in installs("test"))
    assert any("docs" in line for line in installs("docs"))
    assert not any("ray" in line or "dev" in line for line in installs("docs"))
