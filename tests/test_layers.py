"""The actor framework stands alone: nothing under ``alara.actors`` imports the entropy layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import alara.actors

FRAMEWORK = Path(alara.actors.__file__).parent


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_framework_sources_never_import_the_entropy_layer() -> None:
    files = sorted(FRAMEWORK.rglob("*.py"))
    assert files, "found no framework modules to check"
    offending = [
        f"{path.name}: {name}"
        for path in files
        for name in _imports(path)
        if name == "alara" or (name.startswith("alara.") and not name.startswith("alara.actors"))
    ]
    assert offending == []


def test_importing_the_framework_loads_no_entropy_module() -> None:
    # ``import alara.actors`` runs ``alara/__init__`` first; probe the framework modules'
    # own imports by loading them without the package initialiser.
    code = (
        "import importlib.util, sys, types\n"
        "root = types.ModuleType('alara')\n"
        f"root.__path__ = [{str(FRAMEWORK.parent)!r}]\n"
        "sys.modules['alara'] = root\n"
        "import alara.actors\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('alara.') "
        "and not m.startswith('alara.actors'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
