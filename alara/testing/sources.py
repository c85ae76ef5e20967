"""Entropy sources that lie, break or stall: for testing how code copes with bad sources.

An application that depends on alara must handle a network that refuses to serve (a source
crashed too often, hung, or returned too few bytes). These sources let its tests produce each
failure on demand, in the same shapes alara's own test suite uses:

============================  ==============================================================
failure                       source
============================  ==============================================================
constant output               ``ConstantSource`` (caught by the default health tests)
stuck / looping generator     ``PatternSource``
attacker-chosen bytes         ``AttackerSource``
biased bits                   ``BiasedSource``
crashing device               ``RaisingSource`` (after ``good_reads`` honest reads)
short read                    ``WrongLengthSource``
one transient fault           ``GlitchSource`` (raise or short read on chosen reads)
hanging device                ``HangingSource`` (never answers until cancelled)
slow device                   ``SlowSource`` (answers after ``delay`` seconds)
honest async device           ``AsyncSource`` (keeps every block it returned)
============================  ==============================================================

None of them is ever used unless passed explicitly (``create_network(sources=[...])``);
``import alara`` does not import this module. The honest bytes some of them return come from
``os.urandom``. ``python -m alara stream --sources-from alara.testing.sources:NAME`` loads the
list factories at the bottom.
"""

from __future__ import annotations

import asyncio
import itertools
import os

from alara import EntropySource, OsSource

__all__ = [
    "AsyncSource",
    "AttackerSource",
    "BiasedSource",
    "ConstantSource",
    "GlitchSource",
    "HangingSource",
    "PatternSource",
    "RaisingSource",
    "SlowSource",
    "WrongLengthSource",
    "one_honest_attacker",
    "one_honest_constant",
]


class ConstantSource:
    """Always the same byte: the simplest compromised source (counts its reads)."""

    def __init__(self, value: int = 0) -> None:
        self.value = value
        self.reads = 0

    def read(self, n: int) -> bytes:
        """``n`` copies of ``value``."""
        self.reads += 1
        return bytes([self.value]) * n


class PatternSource:
    """A short pattern repeated forever (a stuck or looping generator)."""

    def __init__(self, pattern: bytes = b"\x01\x02\x03\x04") -> None:
        self.pattern = pattern

    def read(self, n: int) -> bytes:
        """The pattern, repeated and cut to ``n`` bytes."""
        return (self.pattern * (n // len(self.pattern) + 1))[:n]


class AttackerSource:
    """Bytes chosen by an attacker who knows everything but the honest sources: a counter."""

    def __init__(self) -> None:
        self.counter = itertools.count()

    def read(self, n: int) -> bytes:
        """The next 8-byte counter value, repeated to ``n`` bytes."""
        block = next(self.counter).to_bytes(8, "big")
        return (block * (n // 8 + 1))[:n]


class BiasedSource:
    """Real randomness, but each byte is ANDed with another: ones are rare (p = 1/4 a bit)."""

    def read(self, n: int) -> bytes:
        """``n`` biased bytes."""
        a, b = os.urandom(n), os.urandom(n)
        return bytes(x & y for x, y in zip(a, b, strict=True))


class RaisingSource:
    """Raises ``OSError`` on every read after ``good_reads`` honest ones (a crashing device)."""

    def __init__(self, good_reads: int = 0) -> None:
        self.good_reads = good_reads
        self.reads = 0

    def read(self, n: int) -> bytes:
        """Honest bytes for the first ``good_reads`` reads.

        Raises:
            OSError: on every later read.
        """
        self.reads += 1
        if self.reads > self.good_reads:
            raise OSError("entropy device unplugged")
        return os.urandom(n)


class WrongLengthSource:
    """Returns one byte too few (a short read); its worker rejects the block and crashes."""

    def read(self, n: int) -> bytes:
        """``n - 1`` honest bytes."""
        return os.urandom(max(n - 1, 0))


class HangingSource:
    """An async source that never answers (until cancelled): a hung device.

    ``started`` is set at the first read, so a test can wait for the hang to begin instead of
    sleeping.
    """

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def read(self, n: int) -> bytes:
        """Wait forever; only cancellation ends it."""
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class SlowSource:
    """An async source that answers correctly, after ``delay`` seconds (a slow device)."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay

    async def read(self, n: int) -> bytes:
        """``n`` honest bytes, ``delay`` seconds late."""
        await asyncio.sleep(self.delay)
        return os.urandom(n)


class AsyncSource:
    """An honest async source (``async def read``) that keeps every block it gave."""

    def __init__(self) -> None:
        self.blocks: list[bytes] = []

    async def read(self, n: int) -> bytes:
        """``n`` honest bytes, after one real suspension point."""
        await asyncio.sleep(0)  # a real suspension point, like a device driver's
        data = os.urandom(n)
        self.blocks.append(data)
        return data


class GlitchSource:
    """Honest, except that each read numbered in ``bad_reads`` (from 1) misbehaves once.

    ``mode="raise"`` raises ``OSError``; ``mode="short"`` returns one byte too few. A transient
    fault: the worker should crash, restart, and go on serving.
    """

    def __init__(self, bad_reads: set[int], mode: str = "raise") -> None:
        if mode not in ("raise", "short"):
            raise ValueError(f"mode must be 'raise' or 'short', got {mode!r}")
        self.bad_reads = bad_reads
        self.mode = mode
        self.reads = 0

    def read(self, n: int) -> bytes:
        """Honest bytes, except on the reads numbered in ``bad_reads``.

        Raises:
            OSError: on a bad read in ``mode="raise"``.
        """
        self.reads += 1
        if self.reads in self.bad_reads:
            if self.mode == "raise":
                raise OSError("transient device error")
            return os.urandom(n - 1)
        return os.urandom(n)


def one_honest_constant() -> list[EntropySource]:
    """Four constant sources and one honest one (for ``alara stream --sources-from``)."""
    return [ConstantSource(0), ConstantSource(0xFF), ConstantSource(0x55), ConstantSource(0),
            OsSource()]


def one_honest_attacker() -> list[EntropySource]:
    """Four attacker-chosen sources and one honest one."""
    return [AttackerSource(), AttackerSource(), PatternSource(), AttackerSource(), OsSource()]
