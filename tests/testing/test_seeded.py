"""``SeededSource``: reproducible, SHAKE256-derived, and refused wherever nobody allowed it."""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

import alara
import alara.testing.seeded
from alara.testing import (
    ENV_VAR,
    InsecureSeededSource,
    InsecureSourceError,
    SeededSource,
    seeded_sources,
)


def _expected_stream(seed_field: bytes, stream: int, n: int) -> bytes:
    """The documented construction, recomputed independently of the class."""
    prefix = (b"alara.testing.InsecureSeededSource\x00" + len(seed_field).to_bytes(8, "big")
              + seed_field + stream.to_bytes(4, "big"))
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.shake_256(prefix + counter.to_bytes(8, "big")).digest(4096)
        counter += 1
    return out[:n]


def test_output_is_shake256_over_seed_stream_and_counter() -> None:
    assert SeededSource(7).read(5000) == _expected_stream(b"i\x07", 0, 5000)
    assert SeededSource(b"k", 3).read(40) == _expected_stream(b"bk", 3, 40)
    assert SeededSource("k").read(40) == _expected_stream(b"sk", 0, 40)


def test_reads_split_one_stream_whatever_their_sizes() -> None:
    one, many = SeededSource(1), SeededSource(1)
    sizes = [0, 1, 31, 4096, 5000, 32, 7]
    assert b"".join(many.read(n) for n in sizes) == one.read(sum(sizes))


def test_seeds_and_streams_are_independent() -> None:
    blocks = {
        SeededSource(1).read(32), SeededSource(2).read(32), SeededSource(1, 1).read(32),
        SeededSource(b"\x01").read(32), SeededSource("1").read(32), SeededSource(0).read(32),
        SeededSource(b"").read(32),
    }
    assert len(blocks) == 7


def test_seeded_sources_are_one_stream_per_worker() -> None:
    sources = seeded_sources(9, 3)
    assert [s.stream for s in sources] == [0, 1, 2]
    assert [s.read(32) for s in sources] == [SeededSource(9, i).read(32) for i in range(3)]


def test_the_module_never_uses_the_random_module() -> None:
    tree = ast.parse(Path(alara.testing.seeded.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert "random" not in imported
    assert "hashlib" in imported


def test_loudly_insecure_by_name_repr_and_log(
        logs: list[MutableMapping[str, Any]]) -> None:
    source = SeededSource(123456789)
    assert SeededSource is InsecureSeededSource
    assert "Insecure" in type(source).__name__
    assert "INSECURE" in repr(source)
    assert "123456789" not in repr(source)  # the seed is the whole secret: not shown
    assert source.insecure is True
    events = [e for e in logs if e["event"] == "testing.insecure_source_created"]
    assert events == [{"event": "testing.insecure_source_created", "log_level": "warning",
                       "component": "testing", "source": "InsecureSeededSource",
                       "allowed_by": "pytest", "stream": 0}]


@pytest.mark.parametrize(
    ("seed", "error"),
    [(1.0, TypeError), (True, TypeError), (None, TypeError), ([1], TypeError),
     (-1, ValueError)],
)
def test_bad_seeds_are_refused_clearly(seed: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="seed"):
        SeededSource(seed)


def test_bad_stream_and_flag_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="stream"):
        SeededSource(1, -1)
    with pytest.raises(TypeError, match="allow_insecure"):
        SeededSource(1, allow_insecure=1)  # type: ignore[arg-type]


_OUTSIDE_PYTEST = """
import json
from alara.testing import InsecureSourceError, SeededSource, seeded_sources
result = {}
for name, make in [("plain", lambda: SeededSource(1)),
                   ("pool", lambda: seeded_sources(1, 2)),
                   ("argument", lambda: SeededSource(1, allow_insecure=True))]:
    try:
        make()
        result[name] = "created"
    except InsecureSourceError as error:
        result[name] = str(error)
print(json.dumps(result))
"""


def _outside_pytest(env_value: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if env_value is not None:
        env[ENV_VAR] = env_value
    out = subprocess.run([sys.executable, "-c", _OUTSIDE_PYTEST], capture_output=True,
                         text=True, check=True, env=env, timeout=60).stdout
    result: dict[str, str] = json.loads(out)
    return result


def test_outside_pytest_it_refuses_unless_allowed() -> None:
    refused = _outside_pytest(None)
    assert refused["argument"] == "created"
    for name in ("plain", "pool"):
        assert "for tests only" in refused[name]
        assert "allow_insecure=True" in refused[name]
        assert ENV_VAR in refused[name]
    assert _outside_pytest("0")["plain"] != "created"
    assert _outside_pytest("1") == {"plain": "created", "pool": "created",
                                    "argument": "created"}


def test_the_refusal_is_an_alara_error() -> None:
    assert issubclass(InsecureSourceError, alara.AlaraError)


async def _draws(seed: int) -> list[object]:
    async with alara.create_network(sources=seeded_sources(seed, 3)) as net:
        sequential = [await net.random_bytes(32), await net.random_bytes(100),
                      await net.random_int(64), await net.random_below(1000),
                      await net.random_bits(12)]
        concurrent = await asyncio.gather(*(net.random_bytes(16 + i) for i in range(8)))
        return [*sequential, *concurrent]


async def test_a_network_of_seeded_sources_is_reproducible() -> None:
    first, second, other = await _draws(2024), await _draws(2024), await _draws(2025)
    assert first == second
    assert all(a != b for a, b in zip(first[:2], other[:2], strict=True))
    assert len(set(first[5:])) == 8  # concurrent callers still get distinct bytes
