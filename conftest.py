"""Every Python block of README.md and docs/*.md runs as a test, in a namespace per file.

A block that cannot run offline or needs an extra is preceded by ``<!-- skip: next "why" -->``
(invisible on the rendered page, reported as a skip). Blocks that show part of a test module
find the names such a module imports (``alara``, ``pytest``, ...) already there.
docs/actors.md is left to tests/actors/test_docs.py, which also checks each block's printed
output.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

import alara

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["README.md", "docs/*.md"],
    excludes=["docs/actors.md"],
    setup=lambda namespace: namespace.update(
        alara=alara, pytest=pytest, pytest_asyncio=pytest_asyncio, asyncio=asyncio, Any=Any,
        AsyncIterator=AsyncIterator),
).pytest()
