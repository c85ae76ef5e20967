"""``alara check``: can this machine serve under the default policy? (a container health check)

Every source kind is discovered; each one that is available is read for ``STARTUP_BYTES``
bytes through the SP 800-90B start-up tests at its own min-entropy claim (what a worker runs
before its first contribution when start-up tests are on); then the default network is
started and asked for one output. The answer is a table on stdout and the exit status: 0 if
every available source passed and the default network served, 1 otherwise.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import alara

__all__ = ["STARTUP_BYTES", "Row", "run_check"]

STARTUP_BYTES = 1024
"""Bytes of each source's start-up test (NIST SP 800-90B 4.3: at least 1024 samples)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: a source kind and how it fared."""

    kind: str
    available: bool
    passed: bool | None  # ``None``: not tested (unavailable)
    detail: str


async def _startup_test(source: Any) -> str | None:
    """Why ``source`` fails its start-up tests, or ``None`` if it passes them."""
    claim = getattr(source, "min_entropy", None)
    policy = alara.HealthPolicy() if claim is None else alara.HealthPolicy(min_entropy=claim)
    check = policy()
    try:
        data = source.read(STARTUP_BYTES)
        if inspect.isawaitable(data):
            data = await data
        if len(data) != STARTUP_BYTES:
            return f"returned {len(data)} bytes, expected {STARTUP_BYTES}"
        check(bytes(data))
    except (alara.AlaraError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    finally:
        close: Callable[[], None] | None = getattr(source, "close", None)
        if callable(close):
            close()
    return None


async def _sources() -> list[Row]:
    rows = []
    for entry in alara.discover_sources():
        if not entry.available or entry.source is None:
            rows.append(Row(entry.kind, False, None, entry.reason))
            continue
        failure = await _startup_test(entry.source)
        claim = getattr(entry.source, "min_entropy", alara.HealthPolicy().min_entropy)
        rows.append(Row(entry.kind, True, failure is None,
                        failure or f"{STARTUP_BYTES} bytes at H = {claim} bits/byte"))
    return rows


async def _pool() -> tuple[bool, str]:
    """Whether the default network starts and serves one request, and what it says."""
    try:
        async with alara.Network(options=alara.NetworkOptions.from_environment()) as network:
            await network.random_bytes(32)
            status = network.status()
    except (alara.AlaraError, TypeError, ValueError) as error:  # incl. bad ALARA_* variables
        return False, f"not serving: {type(error).__name__}: {error}"
    kinds = ", ".join(status.sources.get(worker, "?") for worker in status.running)
    return status.serving, (f"serving, {len(status.running)} of {status.configured} workers "
                            f"running ({kinds}), {status.required} required")


async def run_check(say: Callable[[str], None] = print) -> int:
    """Print the table and the default pool's state; 0 if this machine can serve, else 1."""
    rows = await _sources()
    width = max(len(row.kind) for row in rows)
    say(f"{'kind':<{width}}  available  start-up tests  detail")
    for row in rows:
        tested = "-" if row.passed is None else "passed" if row.passed else "FAILED"
        say(f"{row.kind:<{width}}  {'yes' if row.available else 'no':<9}  {tested:<14}  "
            f"{row.detail}")
    serving, summary = await _pool()
    say(f"default pool: {summary}")
    healthy = serving and all(row.passed is not False for row in rows)
    say("ok: this machine can serve" if healthy else "FAILED: this machine cannot serve")
    return 0 if healthy else 1
