"""``alara sources``: the kinds of source this machine offers, why any is missing, their rates.

The table is ``discover_sources()`` with a measured rate per available kind: each source is
read in 256-byte blocks for ``--seconds`` (the device itself for ``hwrng``, not its
reservoir), so an operator sees at a glance what the default pool is made of.
"""

from __future__ import annotations

import argparse
import inspect
import time
from typing import Any

from alara.entropy import ReservoirSource, SourceEntry, discover_sources

__all__ = ["add_parser", "measure_rate", "run"]

BLOCK = 256


def add_parser(commands: Any) -> None:
    """Add the ``sources`` command to the CLI's subparsers."""
    parser = commands.add_parser("sources", help="list this machine's sources and their rates")
    parser.add_argument("--seconds", type=float, default=0.5,
                        help="how long to read each available source (default 0.5)")
    parser.add_argument("--hwrng-path", default="/dev/hwrng",
                        help="the hardware RNG device (default /dev/hwrng)")


def measure_rate(source: object, seconds: float) -> float:
    """Bytes per second ``source`` gives in ``BLOCK``-byte reads over about ``seconds``."""
    if isinstance(source, ReservoirSource):
        source = source.source
    read = source.read  # type: ignore[attr-defined]
    if inspect.iscoroutinefunction(read):
        return float("nan")
    total, start = 0, time.perf_counter()
    while True:
        total += len(read(BLOCK))
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return total / elapsed


def _rate(entry: SourceEntry, seconds: float) -> str:
    if entry.source is None:
        return "-"
    try:
        rate = measure_rate(entry.source, seconds)
    except Exception as error:  # the table reports a failing source, it does not stop
        return f"read failed: {type(error).__name__}"
    if rate != rate:
        return "n/a"
    return f"{rate / 1e6:.2f} MB/s" if rate >= 1e6 else f"{rate / 1e3:.1f} KB/s"


def run(args: argparse.Namespace) -> None:
    """Print the table: kind, available, rate, reason."""
    if not args.seconds > 0:
        raise SystemExit("alara sources: --seconds must be > 0")
    try:
        entries = discover_sources(hwrng_path=args.hwrng_path)
    except ValueError as error:  # a malformed ALARA_SOURCES
        raise SystemExit(f"alara sources: {error}") from None
    print(f"{'kind':<6} {'available':<9} {'rate':<13} reason")
    for entry in entries:
        print(f"{entry.kind:<6} {'yes' if entry.available else 'no':<9} "
              f"{_rate(entry, args.seconds):<13} {entry.reason}".rstrip())
