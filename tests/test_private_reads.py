"""Tests go through public surfaces: reads of another object's private attributes
(``obj._name``, not ``self``/``cls``, not the standard library's) stay few, and only in unit
tests of the module that owns them."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
LIMIT = 25
STDLIB = {"os", "sys", "asyncio", "threading", "gc", "socket", "signal", "subprocess",
          "multiprocessing", "logging", "types", "inspect", "functools", "collections",
          "concurrent", "time", "builtins", "http", "contextvars", "weakref", "atexit"}


def private_reads(tree: ast.AST) -> int:
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if not (isinstance(base, ast.Name) and base.id in {"self", "cls"} | STDLIB):
                count += 1
    return count


def test_the_counter_sees_a_private_read() -> None:
    assert private_reads(ast.parse("net._pool.missing\nself._x\nos._exit")) == 1


def test_tests_read_few_private_attributes() -> None:
    counts = {
        str(path.relative_to(TESTS)): private_reads(ast.parse(path.read_text(encoding="utf-8")))
        for path in TESTS.rglob("*.py")
        if "cpython" not in path.parts  # CPython's own tests, vendored as they are
    }
    total = sum(counts.values())
    worst = sorted(((n, p) for p, n in counts.items() if n), reverse=True)[:5]
    assert total <= LIMIT, f"{total} private reads in tests/ (limit {LIMIT}); most in {worst}"
