"""A slow source behind a reservoir, so it never sets the rate of requests.

A hardware RNG device gives some kilobytes per second; a pool asks each worker for 32 bytes
per request, thousands of times a second. Reading the device per request would make every
request wait for it. ``ReservoirSource`` instead reads the device in a background thread into
a bounded reservoir, health-tests every raw byte there, and answers each read at once from a
fast-key-erasure generator whose key absorbs 32 fresh device bytes per read while any are
available:

* every raw byte is used at most once (taken from the reservoir, absorbed, dropped);
* each read draws the next key and its output from one call,
  ``SHAKE256(tag, key, fresh)``, and replaces the key before the output is returned, so the
  key that made an output is gone by the time anyone sees it;
* when the reservoir is empty (more reads than the device can feed), a read depends on the
  newest key, i.e. on every device byte absorbed so far, at most ``stale_after`` seconds old:
  a device that has given nothing new for that long fails the read (``SourceError``), so a
  stuck or blocked device is quarantined like any failing source instead of being stretched.

What a request then depends on is written down in ``docs/security.md`` ("Slow sources").

The state (reservoir and key) is secret, unlike a plain worker's: it is kept in ``bytearray``
buffers that are overwritten when dropped, started afresh after a failure, and never shared
with a forked child (a read in a new process starts a new generation).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from alara.actors import check_callable, check_int, check_positive_float
from alara.entropy._health import DEFAULT_HEALTH, STARTUP_SAMPLES, HealthCheck
from alara.entropy._kinds import claimed_min_entropy, health_for, source_kind
from alara.entropy._pausing import pause
from alara.entropy._sources import EntropySource, check_source
from alara.errors import SourceError

__all__ = ["DEFAULT_CAPACITY", "DEFAULT_STALE_AFTER", "ReservoirSource"]

DEFAULT_CAPACITY = 4096
"""Bytes the reservoir holds at most (a few hundred milliseconds of a virtio-rng device)."""
DEFAULT_STALE_AFTER = 5.0
"""Seconds without a fresh device byte after which a read fails."""
KEY = 32
"""Bytes of key, and fresh device bytes absorbed per read."""
BLOCK = 1 << 16
"""Largest output drawn from one key (64 KiB); larger reads rekey and yield between blocks."""
_DRAW = b"alara/v1/reservoir/draw"


def _draw(key: bytearray, fresh: bytes, n: int) -> bytes:
    """``n`` output bytes from ``key`` and ``fresh`` device bytes (0 or 32 of them).

    One SHAKE256 call gives the next key and the output; the next key replaces ``key`` in
    place before the output is returned. Key and fresh bytes have fixed lengths, so the input
    encoding is injective.
    """
    block = bytearray(hashlib.shake_256(_DRAW + bytes(key) + fresh).digest(KEY + n))
    key[:] = block[:KEY]
    out = bytes(block[KEY:])
    block[:] = bytes(len(block))
    return out


class _Generation:
    """One run of the reservoir: its filler thread, buffer, key and first failure."""

    def __init__(self, now: float) -> None:
        self.pid = os.getpid()
        self.cond = threading.Condition()
        self.buffer = bytearray()
        self.key = bytearray(KEY)
        self.primed: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.error: BaseException | None = None
        self.live = True
        self.fresh_at = now

    def drop(self) -> None:
        """End this generation: the filler stops at its next look, the secrets are wiped."""
        with self.cond:  # re-entrant: a Condition's default lock is an RLock
            self.live = False
            self.buffer[:] = bytes(len(self.buffer))
            self.buffer.clear()
            self.key[:] = bytes(KEY)
            self.cond.notify_all()


class ReservoirSource:
    """``source`` read in the background into a reservoir; reads are answered at once.

    Arguments: ``capacity`` bytes of reservoir (64..1 MiB); ``chunk`` bytes per device read
    (1..capacity, default 256); ``stale_after`` seconds without a fresh byte before reads fail;
    ``startup`` raw bytes tested and discarded before the first byte is used (NIST SP 800-90B
    4.3; default 1024). The raw bytes are health-tested at ``source``'s own claim. ``clock``
    gives monotonic seconds; tests pass one they move themselves.

    ``kind`` and ``min_entropy`` are ``source``'s, so the pool and ``status()`` name the device,
    not the wrapper. ``level`` is the number of unread fresh bytes now.

    Raises:
        TypeError: ``source`` has no ``read(n)``, or an argument has the wrong type.
        ValueError: an argument is outside its range (the message names it).
    """

    def __init__(
        self,
        source: EntropySource,
        *,
        capacity: int = DEFAULT_CAPACITY,
        chunk: int = 256,
        stale_after: float = DEFAULT_STALE_AFTER,
        startup: int = STARTUP_SAMPLES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = check_callable("clock", clock, "seconds")
        self.source = check_source("source", source)
        self.capacity = check_int("capacity", capacity, 64, 1 << 20)
        self.chunk = check_int("chunk", chunk, 1, self.capacity)
        self.stale_after = check_positive_float("stale_after", stale_after, 3600.0)
        self.startup = check_int("startup", startup, 0, 1 << 20)
        self.kind = source_kind(source)
        self.min_entropy = claimed_min_entropy(source) or DEFAULT_HEALTH.min_entropy
        self._filler = _Filler(self.source, health_for(DEFAULT_HEALTH, source), self.startup,
                               self.capacity, self.chunk, self.kind)
        self._lock = threading.Lock()
        self._generation: _Generation | None = None

    def __repr__(self) -> str:
        return f"ReservoirSource({self.source!r}, capacity={self.capacity})"

    @property
    def level(self) -> int:
        """Fresh device bytes waiting to be used."""
        generation = self._generation
        return 0 if generation is None or not generation.live else len(generation.buffer)

    async def read(self, n: int) -> bytes:
        """``n`` bytes at once (after the first fill), each read keyed by fresh device bytes.

        Raises:
            SourceError: the device failed, its raw bytes failed a health test, or it gave
                nothing new for ``stale_after`` seconds. The next read starts afresh.
        """
        n = check_int("n", n, 0, 1 << 30)
        generation = self._current()
        if not generation.primed.done():
            try:
                await asyncio.wrap_future(generation.primed)
            except SourceError:
                generation.drop()
                raise
        if n <= BLOCK:
            return self._next(generation, n)
        parts = []
        for start in range(0, n, BLOCK):
            parts.append(self._next(generation, min(BLOCK, n - start)))
            await pause()
        return b"".join(parts)

    def start(self) -> None:
        """Start filling now (the first read would): the device's start-up bytes are then
        read while the application starts, not during its first request."""
        self._current()

    def __del__(self) -> None:
        generation = getattr(self, "_generation", None)  # None too if __init__ raised
        if generation is not None:
            generation.drop()

    def close(self) -> None:
        """Stop the filler (at its next look) and wipe the reservoir and the key."""
        with self._lock:
            generation, self._generation = self._generation, None
        if generation is not None:
            generation.drop()

    def _current(self) -> _Generation:
        """The live generation, or a new one (first read, after a failure, in a forked child)."""
        with self._lock:
            generation = self._generation
            if generation is not None and generation.pid == os.getpid() and generation.live:
                return generation
            if generation is not None and generation.pid == os.getpid():
                generation.drop()
            generation = self._generation = _Generation(self._clock())
        # The thread holds the filler and the generation, never this object: a reservoir
        # nobody holds any more is collected, and its ``__del__`` ends the thread.
        threading.Thread(target=self._filler.run, args=(generation,), daemon=True,
                         name=f"alara-reservoir-{self.kind}").start()
        return generation

    def _next(self, generation: _Generation, n: int) -> bytes:
        """``n`` bytes (at most ``BLOCK``) from a key that absorbed up to 32 fresh bytes first.

        Raises the generation's failure, or a stall, and drops the generation.
        """
        with generation.cond:
            if generation.error is not None or not generation.live:
                error = generation.error or SourceError(f"{self.kind}: reservoir closed")
                generation.drop()
                raise error
            now = self._clock()
            if len(generation.buffer) >= KEY:
                fresh = bytes(generation.buffer[:KEY])
                del generation.buffer[:KEY]
                generation.cond.notify_all()
                generation.fresh_at = now
            elif now - generation.fresh_at > self.stale_after:
                generation.drop()
                raise SourceError(f"{self.kind}: no fresh bytes for more than "
                                  f"{self.stale_after:g} s (device stalled)")
            else:
                fresh = b""
            return _draw(generation.key, fresh, n)


class _Filler:
    """What a filler thread does: start-up test, then keep the reservoir topped up."""

    __slots__ = ("capacity", "chunk", "kind", "source", "startup", "tests")

    def __init__(self, source: EntropySource, tests: Callable[[], HealthCheck], startup: int,
                 capacity: int, chunk: int, kind: str) -> None:
        self.source, self.tests, self.startup = source, tests, startup
        self.capacity, self.chunk, self.kind = capacity, chunk, kind

    def run(self, generation: _Generation) -> None:
        """Fill ``generation`` until it ends; its first failure is recorded, not raised."""
        tests = self.tests()
        try:
            self._raw(self.startup, tests)
            while True:
                with generation.cond:
                    while generation.live and len(generation.buffer) > self.capacity - KEY:
                        generation.cond.wait()
                    if not generation.live:
                        return
                    want = min(self.chunk, self.capacity - len(generation.buffer))
                data = self._raw(want, tests)
                with generation.cond:
                    if not generation.live:
                        return
                    generation.buffer += data
                    if len(generation.buffer) >= KEY and not generation.primed.done():
                        generation.primed.set_result(None)
        except BaseException as error:  # the device's failure, whatever it is, is the source's
            failure = error if isinstance(error, SourceError) else SourceError(
                f"{self.kind}: {type(error).__name__}: {error}")
            with generation.cond:
                generation.error = failure
                if not generation.primed.done():
                    generation.primed.set_exception(failure)

    def _raw(self, n: int, tests: HealthCheck) -> bytes:
        """``n`` raw bytes from the device, checked and health-tested."""
        if n == 0:
            return b""
        data: Any = self.source.read(n)
        if not isinstance(data, (bytes, bytearray)):
            raise SourceError(f"{self.kind}: source returned {type(data).__name__}, "
                              f"expected bytes (a reservoir needs a synchronous source)")
        if len(data) != n:
            raise SourceError(f"{self.kind}: source returned {len(data)} bytes, expected {n}")
        tests(bytes(data))
        return bytes(data)
