"""The keyed generator for sync callers: one stream per thread, keys from a network's rounds.

``alara.secrets`` and ``alara.Random`` are called from any number of threads. Each thread
gets its own ``KeyedStream`` (a ``threading.local``): no lock on the call path, and no two
threads can ever be served the same bytes, since each stream has its own key from a round of
its own (a round gives every caller disjoint contributions). A thread's stream is wiped when
the thread ends and in a forked child. The rounds run on the network's loop thread: a key
fetched ahead is a ``concurrent.futures.Future`` that nobody waits for until it is needed.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from alara.actors import check_int
from alara.entropy._conversions import int_inline
from alara.entropy._encoding import hex_text, urlsafe_text
from alara.entropy._keyed import KEY_SIZE, MAX_KEYED, KeyedStream, Rekey, failed, note_spent
from alara.entropy._limits import MAX_BYTES, MAX_INT_BITS
from alara.entropy._vocabulary import DEFAULT_ENTROPY
from alara.errors import AlaraError

__all__ = ["RoundSource", "ThreadKeyed"]

_T = TypeVar("_T")
Round = concurrent.futures.Future[bytes]


class RoundSource(Protocol):
    """Where a sync keyed generator gets full rounds (a ``BlockingNetwork``)."""

    def submit_bytes(self, n: int) -> Round:
        """Start a round for ``n`` bytes on the network's loop; do not wait for it."""

    def wait_bytes(self, future: Round) -> bytes:
        """Wait for a round started by ``submit_bytes`` (bounded); its errors are raised."""


class _PerThread(threading.local):
    """One thread's stream, made on the thread's first call (``threading.local``)."""

    def __init__(self, owner: ThreadKeyed) -> None:
        self.stream: KeyedStream[Round] = KeyedStream(
            owner._fetch, owner.rekey.rekey_bytes, owner.rekey.rekey_seconds,
            clock=owner._clock)


class ThreadKeyed:
    """``secrets``' functions, served by a keyed stream per thread, keyed by ``source``'s
    rounds. Requests larger than a block (or than ``rekey_bytes``) take a round of their own.

    Once a thread's key has spent its budget and no new key can be drawn, its calls raise
    the round's own error (``PoolDegradedError``...), with a note saying so.
    """

    def __init__(self, source: RoundSource, rekey: Rekey | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rekey = Rekey() if rekey is None else rekey
        self._source = source
        self._clock = clock
        self._largest = min(MAX_KEYED, self.rekey.rekey_bytes)
        self._local = _PerThread(self)

    def __repr__(self) -> str:
        return f"<ThreadKeyed {self.rekey!r}>"

    def token_bytes(self, nbytes: int | None = None) -> bytes:
        """``nbytes`` random bytes (default ``DEFAULT_ENTROPY``): ``secrets.token_bytes``.

        Raises:
            TypeError, ValueError: ``nbytes`` is not an int in ``[0, MAX_BYTES]``.
            AlaraError: a round's error, once this thread's key has spent its budget.
        """
        n = DEFAULT_ENTROPY if nbytes is None else nbytes
        if type(n) is int and 0 < n <= self._largest:
            data = self._local.stream.take(n)
            return bytes(data if data is not None else self._rekeyed(n))
        return bytes(self._bytes(check_int("nbytes", n, 0, MAX_BYTES)))

    def token_hex(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as hex: ``secrets.token_hex``.

        Raises:
            TypeError, ValueError, AlaraError: as ``token_bytes``.
        """
        n = DEFAULT_ENTROPY if nbytes is None else nbytes
        if type(n) is int and 0 < n <= self._largest:  # ``token_bytes``' usual case, inline
            data = self._local.stream.take(n)
            return (data if data is not None else self._rekeyed(n)).hex()
        return hex_text(self.token_bytes(nbytes))  # large: with the GIL released

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as URL-safe base64: ``secrets.token_urlsafe``."""
        return urlsafe_text(self.token_bytes(nbytes))

    def randbelow(self, exclusive_upper_bound: int) -> int:
        """A uniform int in ``[0, exclusive_upper_bound)``: ``secrets.randbelow``.

        Raises:
            TypeError, ValueError: the bound is not an int in ``[1, 2**MAX_INT_BITS]``.
        """
        upper = check_int("exclusive_upper_bound", exclusive_upper_bound, 1,
                          1 << MAX_INT_BITS)
        if upper == 1:
            return 0
        bits = (upper - 1).bit_length()
        while True:  # each draw is accepted with probability > 1/2
            value = int_inline(self._bytes((bits + 7) // 8), bits)
            if value < upper:
                return value

    def randbits(self, k: int) -> int:
        """An int of ``k`` random bits: ``secrets.randbits``.

        Raises:
            TypeError, ValueError: ``k`` is not an int in ``[0, MAX_INT_BITS]``.
        """
        bits = check_int("k", k, 0, MAX_INT_BITS)
        return int_inline(self._bytes((bits + 7) // 8), bits) if bits else 0

    def choice(self, seq: Sequence[_T]) -> _T:
        """A uniformly chosen element of the non-empty ``seq``: ``secrets.choice``.

        Raises:
            IndexError: ``seq`` is empty.
        """
        size = len(seq)
        if not size:
            raise IndexError("Cannot choose from an empty sequence")
        return seq[self.randbelow(size)]

    def _bytes(self, n: int) -> bytes | bytearray:
        """``n`` (checked) bytes: from the stream, or from a round of their own if large."""
        if not 0 < n <= self._largest:
            return self._source.wait_bytes(self._source.submit_bytes(n)) if n else b""
        data = self._local.stream.take(n)
        return data if data is not None else self._rekeyed(n)

    def _fetch(self) -> Round:
        return self._source.submit_bytes(KEY_SIZE)

    def _rekeyed(self, n: int) -> bytearray:
        """Install this thread's next key (fetched ahead, else drawn now), then serve."""
        stream = self._local.stream
        while True:
            future = stream.claim()
            if future is None or failed(future):
                future = self._fetch()
            try:
                key = self._source.wait_bytes(future)
            except AlaraError as error:
                note_spent(error)
                raise
            stream.install(key)
            data = stream.take(n)
            if data is not None:
                return data
