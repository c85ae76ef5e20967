"""A deterministic entropy source, for tests that must see the same bytes on every run.

``InsecureSeededSource`` (also importable as ``SeededSource``) is a stream of SHAKE256 blocks
keyed by a seed: block ``i`` is ``SHAKE256(tag || len(seed) || seed || stream || i)``. The
framing is injective, so two different ``(seed, stream)`` pairs never share a block, and
reads split the stream in order: ``read(64)`` gives the same bytes as two ``read(32)``, which
keeps the output independent of how a worker batches its requests. It never touches the
``random`` module.

A network whose every source is seeded gives the same output for the same requests in the
same order. That is its use, and its danger: the bytes are as predictable as the seed. It is
gated by ``alara.testing.insecure`` and logs a warning every time one is created.
"""

from __future__ import annotations

import hashlib
import threading

from alara import MAX_BYTES
from alara.actors import check_int, get_logger
from alara.testing.insecure import allowed_by

__all__ = ["InsecureSeededSource", "SeededSource", "seeded_sources"]

_TAG = b"alara.testing.InsecureSeededSource\x00"
_BLOCK = 4096
_log = get_logger("testing")


def _seed_bytes(seed: object) -> bytes:
    if isinstance(seed, bool):
        raise TypeError("seed must be an int >= 0, bytes or str, got bool")
    if isinstance(seed, int):
        seed = check_int("seed", seed, 0, (1 << 4096) - 1)
        return b"i" + seed.to_bytes((seed.bit_length() + 7) // 8 or 1, "big")
    if isinstance(seed, (bytes, bytearray)):
        return b"b" + bytes(seed)
    if isinstance(seed, str):
        return b"s" + seed.encode()
    raise TypeError(f"seed must be an int >= 0, bytes or str, got {type(seed).__name__}")


class InsecureSeededSource:
    """INSECURE: the same bytes for the same seed, for reproducible tests only.

    ``stream`` (0..2**32-1) makes independent streams from one seed, one per worker.
    Thread-safe: reads take a lock, so a worker may read it from a thread.

    Raises:
        InsecureSourceError: at construction, unless allowed (see ``alara.testing.insecure``).
        TypeError, ValueError: ``seed`` or ``stream`` has the wrong type or range.
    """

    __slots__ = ("_buffer", "_counter", "_lock", "_prefix", "stream")

    insecure = True
    """Marks the class as predictable, for code that audits its sources."""
    max_inline_read = 1 << 16
    """Reads up to 64 KiB are pure computation (0.64 ms of SHAKE256 under load): loop-safe."""

    def __init__(self, seed: int | bytes | str, stream: int = 0, *,
                 allow_insecure: bool = False) -> None:
        name = type(self).__name__
        allowed = allowed_by(name, allow_insecure)
        encoded = _seed_bytes(seed)
        self.stream = check_int("stream", stream, 0, (1 << 32) - 1)
        self._prefix = (_TAG + len(encoded).to_bytes(8, "big") + encoded
                        + self.stream.to_bytes(4, "big"))
        self._counter = 0
        self._buffer = b""
        self._lock = threading.Lock()
        _log.warning("testing.insecure_source_created", source=name, allowed_by=allowed,
                     stream=self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} INSECURE, deterministic, tests only, stream={self.stream}>"

    def read(self, n: int) -> bytes:
        """The next ``n`` bytes of the stream."""
        n = check_int("n", n, 0, MAX_BYTES)
        with self._lock:
            buffer = self._buffer
            if len(buffer) < n:
                blocks = [buffer]
                have = len(buffer)
                while have < n:
                    block = hashlib.shake_256(
                        self._prefix + self._counter.to_bytes(8, "big")).digest(_BLOCK)
                    self._counter += 1
                    blocks.append(block)
                    have += _BLOCK
                buffer = b"".join(blocks)
            self._buffer = buffer[n:]
            return buffer[:n]


SeededSource = InsecureSeededSource
"""The short name the docs use; the class's own name says what it is."""


def seeded_sources(seed: int | bytes | str, count: int, *,
                   allow_insecure: bool = False) -> list[InsecureSeededSource]:
    """``count`` seeded sources, streams ``0..count-1`` of ``seed``: one per worker.

    Raises:
        InsecureSourceError: unless allowed (see ``alara.testing.insecure``).
    """
    count = check_int("count", count, 1, 100_000)
    return [InsecureSeededSource(seed, i, allow_insecure=allow_insecure) for i in range(count)]
