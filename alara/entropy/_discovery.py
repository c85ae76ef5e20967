"""Which independent sources this machine offers, and the default pool made of them.

``discover_sources()`` tries each known kind (``os``, ``hwrng``, ``cpu``) and returns one entry
per kind: whether it can be used here, and why not. The default pool (``create_network()``
without ``sources``) is one worker per available kind, in that order, topped up with the OS
source to the pool size; a pool smaller than the number of kinds takes the first ones.

``ALARA_SOURCES`` (a comma-separated list of kinds, e.g. ``os`` or ``os,cpu``) limits the
kinds discovery may use, for a deployment that wants a known pool; the OS source is always
used for the top-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alara.actors import get_logger
from alara.entropy._hardware import DEFAULT_HWRNG_PATH, CpuSource, HwrngSource
from alara.entropy._reservoir import ReservoirSource
from alara.entropy._sources import EntropySource, OsSource
from alara.errors import SourceUnavailableError

__all__ = ["KINDS", "SOURCES_VARIABLE", "SourceEntry", "default_sources", "discover_sources"]

KINDS = ("os", "hwrng", "cpu")
"""The kinds discovery knows, in the order the default pool uses them."""
SOURCES_VARIABLE = "ALARA_SOURCES"
"""Environment variable limiting the kinds discovery may use (comma-separated)."""

_log = get_logger("network")
_EXCLUDED = f"not in {SOURCES_VARIABLE}"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One kind of source on this machine.

    ``available``: whether it can be read here. ``reason``: why not (empty when available).
    ``source``: a ready instance when available, else ``None``. The ``hwrng`` entry's source is
    a ``ReservoirSource`` around the device, so the device's rate never caps the pool.
    """

    kind: str
    available: bool
    reason: str
    source: EntropySource | None


def _hwrng(path: str) -> EntropySource:
    return ReservoirSource(HwrngSource(path))


def _makers(hwrng_path: str) -> dict[str, Callable[[], EntropySource]]:
    return {"os": OsSource, "hwrng": lambda: _hwrng(hwrng_path), "cpu": CpuSource}


def _allowed(environ: Mapping[str, str]) -> set[str] | None:
    text = environ.get(SOURCES_VARIABLE, "").strip()
    if not text:
        return None
    kinds = {kind.strip() for kind in text.split(",") if kind.strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise ValueError(f"{SOURCES_VARIABLE} must be a comma-separated list of "
                         f"{', '.join(KINDS)}; got unknown {', '.join(unknown)}")
    return kinds


def discover_sources(
    *, hwrng_path: str = DEFAULT_HWRNG_PATH, environ: Mapping[str, str] | None = None
) -> list[SourceEntry]:
    """One entry per known kind (``KINDS`` order): available or not, and why not.

    Nothing is read from any source: each is made, which checks that its device or
    instruction is there and readable. ``environ`` defaults to ``os.environ``.

    Raises:
        ValueError: ``ALARA_SOURCES`` names an unknown kind.
    """
    allowed = _allowed(os.environ if environ is None else environ)
    entries = []
    for kind, make in _makers(hwrng_path).items():
        if allowed is not None and kind not in allowed:
            entries.append(SourceEntry(kind, False, _EXCLUDED, None))
            continue
        try:
            source = make()
        except SourceUnavailableError as error:
            entries.append(SourceEntry(kind, False, str(error), None))
        else:
            entries.append(SourceEntry(kind, True, "", source))
    return entries


def default_sources(
    workers: int = 3, entries: list[SourceEntry] | None = None
) -> list[EntropySource]:
    """The default pool of ``workers`` sources: one per available kind, topped up with ``os``.

    ``entries`` defaults to ``discover_sources()``; a network made without ``sources`` uses
    exactly this list.

    Logs ``network.source_unavailable`` (with ``kind`` and ``reason``) for each kind this
    machine lacks (not for the kinds ``ALARA_SOURCES`` leaves out: that was asked for).
    """
    pool: list[EntropySource] = []
    for entry in discover_sources() if entries is None else entries:
        if entry.source is None and entry.reason != _EXCLUDED:
            _log.warning("network.source_unavailable", kind=entry.kind, reason=entry.reason)
        elif entry.source is not None and len(pool) < workers:
            pool.append(entry.source)
    shared = OsSource()
    return pool + [shared] * (workers - len(pool))
