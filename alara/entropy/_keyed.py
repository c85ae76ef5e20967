"""The keyed generator: fast key erasure, every key the output of a full round.

A full round (a fresh contribution from every worker, health tests, the fail-closed floor, the
SHA3 mix) costs far more than the standard ``secrets`` module's one system call. The drop-ins
(``alara.secrets``, ``alara.Random``, ``await alara.token_hex()``) therefore serve from a
fast-key-erasure generator (Bernstein 2017; the design of Linux's CRNG and Go's runtime
generator) whose every key comes from a full round:

* a 32-byte key expands into one block, ``SHAKE256(domain tag || key)`` of ``BLOCK`` bytes;
  the block's first 32 bytes replace the key *before* any of the block is served (so a later
  compromise of the state cannot recompute output already served: backtracking resistance);
  the rest is served in order, and every byte served is overwritten in the block at once, so
  no byte is served twice and none stays behind;
* a key serves at most ``rekey_bytes`` of output and for at most ``rekey_seconds``; then it is
  wiped and never used again, and the next key, another full round's output, replaces it.
  The next key is fetched ahead, once three quarters of either budget is used, so in the usual
  case nobody waits for a round. If no new key can be had, calls fail with the round's own
  error (``PoolDegradedError``...) once the budget is spent: never a key past its budget.

SHAKE256 rather than ChaCha20: ``hashlib`` has it in the standard library (the core installs
with anyio and structlog only), and it is the mixer's own primitive. ChaCha20 from
``cryptography`` makes a block about twice as fast, which saves well under a tenth of a
microsecond per 32-byte token: not worth a dependency. See ``docs/security.md`` for what is
and is not erased in pure Python.

``KeyedStream`` is one stream's state, kept per thread (sync) or per network (async) by the
wrappers in ``_keyed_sync``/``_keyed_async``; it is not itself thread-safe. Every stream is
wiped in a forked child (``os.register_at_fork``), and checks the process id on every call
for forks that bypass the hook, so a child never serves its parent's bytes.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from alara.actors import check_int, check_positive_float

__all__ = [
    "BLOCK",
    "DEFAULT_REKEY_BYTES",
    "DEFAULT_REKEY_SECONDS",
    "KEY_SIZE",
    "MAX_KEYED",
    "MAX_REKEY_BYTES",
    "MAX_REKEY_SECONDS",
    "REKEY_MODES",
    "KeyedStream",
    "Outcome",
    "Rekey",
    "failed",
    "note_spent",
    "rekey_from_environment",
    "resolve_rekey",
]

KEY_SIZE = 32
"""Bytes in a key: one round's output, and the first bytes of every block."""
BLOCK = 2048
"""Bytes one key expands to: ``KEY_SIZE`` become the next key, the rest is served."""
MAX_KEYED = BLOCK - KEY_SIZE
"""Largest request served from a block; larger ones take a full round of their own."""
DEFAULT_REKEY_BYTES = 1 << 20
"""Output one key may serve by default (1 MiB): a round costs about what a hundred tokens
cost, so at 32,768 tokens of 32 bytes per key its share stays under half a percent (at
64 KiB it would be several percent; docs/benchmarks.md)."""
DEFAULT_REKEY_SECONDS = 30.0
"""How long one key may serve by default: half of Linux's CRNG reseed interval (60 s)."""
MAX_REKEY_BYTES = 1 << 40
"""Largest ``rekey_bytes``."""
MAX_REKEY_SECONDS = 86_400.0
"""Largest ``rekey_seconds`` (a day)."""
REKEY_MODES = ("keyed", "per-call")
"""Values of ``rekey``: the keyed generator, or one full round per call."""

_DOMAIN = b"alara/keyed/v1\x00"  # distinct from the mixer's tags: a key never meets them
_AHEAD = 0.25  # fetch the next key when this share of either budget is left

H = TypeVar("H")


@dataclass(frozen=True, slots=True)
class Rekey:
    """How the drop-ins draw: ``mode`` ``"keyed"`` (default) or ``"per-call"`` (a full round
    per call), and the keyed generator's budgets.

    Raises:
        TypeError, ValueError: a field has the wrong type or is out of range (the message
            names it and the range).
    """

    mode: str = "keyed"
    rekey_bytes: int = DEFAULT_REKEY_BYTES
    rekey_seconds: float = DEFAULT_REKEY_SECONDS

    def __post_init__(self) -> None:
        if self.mode not in REKEY_MODES:
            raise ValueError(f"rekey must be one of {', '.join(REKEY_MODES)}, got {self.mode!r}")
        check_int("rekey_bytes", self.rekey_bytes, KEY_SIZE, MAX_REKEY_BYTES)
        check_positive_float("rekey_seconds", self.rekey_seconds, MAX_REKEY_SECONDS)

    @property
    def per_call(self) -> bool:
        """True when every call takes a full round of its own."""
        return self.mode == "per-call"


def rekey_from_environment(environ: Mapping[str, str] | None = None) -> Rekey:
    """The drop-ins' ``Rekey`` from ``ALARA_REKEY``, ``ALARA_REKEY_BYTES`` and
    ``ALARA_REKEY_SECONDS`` (unset or blank: the defaults).

    Raises:
        ValueError: a variable is malformed or out of range; the message names it.
    """
    environ = os.environ if environ is None else environ
    mode = environ.get("ALARA_REKEY", "").strip() or "keyed"
    if mode not in REKEY_MODES:
        raise ValueError(f"ALARA_REKEY must be one of {', '.join(REKEY_MODES)}, got {mode!r}")
    count = _number(environ, "ALARA_REKEY_BYTES", int)
    seconds = _number(environ, "ALARA_REKEY_SECONDS", float)
    return Rekey(
        mode,
        DEFAULT_REKEY_BYTES if count is None
        else check_int("ALARA_REKEY_BYTES", count, KEY_SIZE, MAX_REKEY_BYTES),
        DEFAULT_REKEY_SECONDS if seconds is None
        else check_positive_float("ALARA_REKEY_SECONDS", seconds, MAX_REKEY_SECONDS),
    )


def resolve_rekey(rekey: str | None = None, rekey_bytes: int | None = None,
                  rekey_seconds: float | None = None) -> Rekey:
    """The environment's ``Rekey`` (``rekey_from_environment``), with the arguments given
    (not ``None``) in place of the variables: the drop-ins' matching arguments.

    Raises:
        TypeError, ValueError: an argument or a variable is out of range (named).
    """
    settings = rekey_from_environment()
    return Rekey(settings.mode if rekey is None else rekey,
                 settings.rekey_bytes if rekey_bytes is None else rekey_bytes,
                 settings.rekey_seconds if rekey_seconds is None else rekey_seconds)


def _number(environ: Mapping[str, str], variable: str,
            kind: type[int] | type[float]) -> int | float | None:
    """``environ[variable]`` as a ``kind``, ``None`` if unset or blank."""
    text = environ.get(variable, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{variable} must be {'an int' if kind is int else 'a number'}, "
                         f"got {text!r}") from None


class Outcome(Protocol):
    """What a key fetched ahead is: a ``concurrent.futures.Future`` or an ``asyncio.Task``."""

    def done(self) -> bool: ...

    def cancelled(self) -> bool: ...

    def exception(self) -> BaseException | None: ...


def failed(pending: Outcome) -> bool:
    """True if the round that ``pending`` stands for ended without a key (then draw again:
    a failure ahead of need is not the pool's state when the key is needed)."""
    return pending.done() and (pending.cancelled() or pending.exception() is not None)


def note_spent(error: BaseException) -> None:
    """Add to ``error`` (a failed rekey's) that the key's budget is spent (PEP 678 note)."""
    note = ("alara keyed mode: no key with budget left (the last one is spent and wiped) "
            "and no new key could be drawn from a full round, so nothing is served")
    if note not in getattr(error, "__notes__", ()):
        error.add_note(note)


class KeyedStream(Generic[H]):
    """One fast-key-erasure stream: a key, its unserved block, its budget.

    ``take(n)`` serves ``n`` bytes, or returns ``None`` when the stream needs a new key
    first (none yet, budget spent, or a forked child): the caller then gets one from a full
    round (``claim()`` the one fetched ahead, else draw one) and ``install()``-s it.
    ``fetch`` starts that round ahead of need and returns a handle (a future, a task) that
    the stream only keeps; it is called once per key, when a quarter of a budget is left.
    ``clock`` (seconds, monotonic) may be injected by tests.

    Not thread-safe: one stream serves one thread (or one event loop).
    """

    __slots__ = ("__weakref__", "_ahead_at", "_ahead_left", "_block", "_clock", "_deadline",
                 "_fetch", "_key", "_left", "_pending", "_pid", "_position",
                 "rekey_bytes", "rekey_seconds")

    def __init__(self, fetch: Callable[[], H], rekey_bytes: int = DEFAULT_REKEY_BYTES,
                 rekey_seconds: float = DEFAULT_REKEY_SECONDS, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._key = bytearray(KEY_SIZE)
        self._block = bytearray(MAX_KEYED)
        self.rekey_bytes = check_int("rekey_bytes", rekey_bytes, KEY_SIZE, MAX_REKEY_BYTES)
        self.rekey_seconds = check_positive_float("rekey_seconds", rekey_seconds,
                                                  MAX_REKEY_SECONDS)
        self._fetch = fetch
        self._clock = clock
        self._position = MAX_KEYED  # nothing unserved
        self._left = 0  # output this key may still serve: 0, no key
        self._deadline = -math.inf
        self._ahead_left = 0
        self._ahead_at = math.inf
        self._pending: H | None = None
        self._pid = 0
        _track(self)

    def __repr__(self) -> str:
        return (f"<KeyedStream keyed={self._left > 0} rekey_bytes={self.rekey_bytes} "
                f"rekey_seconds={self.rekey_seconds:g}>")

    def take(self, n: int) -> bytearray | None:
        """``n`` bytes (``1 <= n <= min(MAX_KEYED, rekey_bytes)``, not checked), or ``None``
        when a new key must be installed first (the old one is then already wiped).

        A new ``bytearray`` the caller owns: ``.hex()`` and ``int.from_bytes`` read it as it
        is, ``bytes()`` makes the ``token_bytes`` result.
        """
        if n > self._left or self._clock() >= self._deadline or os.getpid() != self._pid:
            self._expire()
            return None
        position = self._position
        end = position + n
        if end > MAX_KEYED:
            self._refill()
            position, end = 0, n
        self._left -= n
        self._position = end
        block = self._block
        data = block[position:end]
        block[position:end] = bytes(n)  # served: overwritten at once
        return data

    def install(self, key: bytes | bytearray) -> None:
        """Make ``key`` (a full round's ``KEY_SIZE`` bytes) the key, with a fresh budget.

        Raises:
            ValueError: ``key`` is not ``KEY_SIZE`` bytes long.
        """
        if len(key) != KEY_SIZE:
            raise ValueError(f"key must be {KEY_SIZE} bytes, got {len(key)}")
        self._wipe_state()
        self._key[:] = key
        now = self._clock()
        self._left = self.rekey_bytes
        self._deadline = now + self.rekey_seconds
        self._ahead_left = int(self.rekey_bytes * _AHEAD)
        self._ahead_at = now + self.rekey_seconds * (1 - _AHEAD)
        self._pid = os.getpid()

    def claim(self) -> H | None:
        """The handle of the key fetched ahead, if any; the stream forgets it."""
        pending, self._pending = self._pending, None
        return pending

    def wipe(self) -> None:
        """Overwrite the key and the unserved block, and forget the key fetched ahead."""
        self._wipe_state()
        self._pending = None

    def __del__(self) -> None:
        self._wipe_state()  # a thread's stream is dropped when the thread ends

    def _expire(self) -> None:
        """The key may serve no more: wipe it; a parent's key fetched ahead goes too."""
        self._wipe_state()
        if self._pid != os.getpid():
            self._pending = None

    def _wipe_state(self) -> None:
        self._key[:] = bytes(KEY_SIZE)
        self._block[:] = bytes(MAX_KEYED)
        self._position = MAX_KEYED
        self._left = 0
        self._deadline = -math.inf

    def _refill(self) -> None:
        """Expand the key into the next block; its first bytes replace the key at once."""
        shake = hashlib.shake_256(_DOMAIN)
        shake.update(self._key)
        block = memoryview(shake.digest(BLOCK))
        self._key[:] = block[:KEY_SIZE]  # key erasure, before any of the block is served
        self._block[:] = block[KEY_SIZE:]
        block.release()
        # The mark may be passed within this block: fetch now (at most a block early).
        if self._pending is None and (self._left <= self._ahead_left + MAX_KEYED
                                      or self._clock() >= self._ahead_at):
            self._ahead_left, self._ahead_at = -MAX_KEYED - 1, math.inf  # once per key
            self._pending = self._fetch()


_streams: weakref.WeakSet[KeyedStream[Any]] = weakref.WeakSet()
_hooked = False


def _track(stream: KeyedStream[Any]) -> None:
    """Remember ``stream`` for the fork hook, registered with the first stream (not at
    import: ``import alara`` leaves a process as it found it)."""
    global _hooked
    if not _hooked:
        os.register_at_fork(after_in_child=_wipe_after_fork)
        _hooked = True
    _streams.add(stream)


def _wipe_after_fork() -> None:
    """In a forked child, wipe every stream: its parent (and siblings) hold the same state."""
    for stream in list(_streams):
        stream.wipe()
