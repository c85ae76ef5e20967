"""Entropy sources that lie, break or stall, to prove the network copes with them.

They live in the test suite, not in the package: nothing a user imports can produce bad
entropy by mistake. ``python -m alara stream --sources-from tests.doubles.sources:NAME``
loads the list factories at the bottom.
"""

from __future__ import annotations

import asyncio
import itertools
import os

from alara import EntropySource, OsSource


class ConstantSource:
    """Always the same byte: the simplest compromised source."""

    def __init__(self, value: int = 0) -> None:
        self.value = value
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        return bytes([self.value]) * n


class PatternSource:
    """A short pattern repeated forever (a stuck or looping generator)."""

    def __init__(self, pattern: bytes = b"\x01\x02\x03\x04") -> None:
        self.pattern = pattern

    def read(self, n: int) -> bytes:
        return (self.pattern * (n // len(self.pattern) + 1))[:n]


class AttackerSource:
    """Bytes chosen by an attacker who knows everything but the honest sources: a counter."""

    def __init__(self) -> None:
        self.counter = itertools.count()

    def read(self, n: int) -> bytes:
        block = next(self.counter).to_bytes(8, "big")
        return (block * (n // 8 + 1))[:n]


class BiasedSource:
    """Real randomness, but each byte is ANDed with another: ones are rare (p = 1/4 a bit)."""

    def read(self, n: int) -> bytes:
        a, b = os.urandom(n), os.urandom(n)
        return bytes(x & y for x, y in zip(a, b, strict=True))


class RaisingSource:
    """Raises on every read (after ``good_reads`` honest ones)."""

    def __init__(self, good_reads: int = 0) -> None:
        self.good_reads = good_reads
        self.reads = 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        if self.reads > self.good_reads:
            raise OSError("entropy device unplugged")
        return os.urandom(n)


class WrongLengthSource:
    """Returns one byte too few."""

    def read(self, n: int) -> bytes:
        return os.urandom(max(n - 1, 0))


class HangingSource:
    """An async source that never answers (until cancelled)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def read(self, n: int) -> bytes:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class SlowSource:
    """An async source that answers correctly, after ``delay`` seconds."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay

    async def read(self, n: int) -> bytes:
        await asyncio.sleep(self.delay)
        return os.urandom(n)


def one_honest_constant() -> list[EntropySource]:
    """Four constant sources and one honest one (for ``alara stream --sources-from``)."""
    return [ConstantSource(0), ConstantSource(0xFF), ConstantSource(0x55), ConstantSource(0),
            OsSource()]


def one_honest_attacker() -> list[EntropySource]:
    """Four attacker-chosen sources and one honest one."""
    return [AttackerSource(), AttackerSource(), PatternSource(), AttackerSource(), OsSource()]


class AsyncSource:
    """An honest async source (``async def read``) that keeps every block it gave."""

    def __init__(self) -> None:
        self.blocks: list[bytes] = []

    async def read(self, n: int) -> bytes:
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
        self.reads += 1
        if self.reads in self.bad_reads:
            if self.mode == "raise":
                raise OSError("transient device error")
            return os.urandom(n - 1)
        return os.urandom(n)
