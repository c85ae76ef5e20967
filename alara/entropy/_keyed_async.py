"""``Network.keyed()``: the secrets vocabulary of a network, served by the keyed generator.

``Network``'s own methods take one full round per request. ``net.keyed()`` returns a view of
the same network whose methods (``token_hex``, ``randbelow``, ``random_bytes``...) serve from
one fast-key-erasure stream (``_keyed``) keyed by that network's rounds: the speed of a
user-space generator, with every key still depending on a fresh contribution of every worker.
The view belongs to the network's event loop, as the network does; requests larger than a
block (``MAX_KEYED``) or than ``rekey_bytes`` take a full round of their own.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from alara.entropy._conversions import int_inline
from alara.entropy._encoding import to_hex
from alara.entropy._keyed import (
    DEFAULT_REKEY_BYTES,
    DEFAULT_REKEY_SECONDS,
    KEY_SIZE,
    MAX_KEYED,
    KeyedStream,
    failed,
    note_spent,
)
from alara.entropy._vocabulary import DEFAULT_ENTROPY, SecretsVocabulary
from alara.errors import AlaraError

if TYPE_CHECKING:
    from alara.entropy._network import Network

__all__ = ["KeyedNetwork"]

_thread = threading.get_ident  # cheaper than asyncio's loop lookup (a getpid): see _served


class KeyedNetwork(SecretsVocabulary):
    """A ``Network``'s vocabulary in keyed mode (made by ``Network.keyed()``).

    Every key is one full round of ``network`` (every worker, health tests, the fail-closed
    floor); a key serves at most ``rekey_bytes`` of output for at most ``rekey_seconds``, and
    the next one is fetched ahead. Once a key's budget is spent and no new key can be drawn,
    calls raise the round's own error (``PoolDegradedError``...), with a note saying so.

    Raises:
        TypeError, ValueError: ``rekey_bytes``/``rekey_seconds`` out of range (named).
    """

    def __init__(self, network: Network, rekey_bytes: int = DEFAULT_REKEY_BYTES,
                 rekey_seconds: float = DEFAULT_REKEY_SECONDS, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.network = network
        """The network whose rounds make the keys."""
        self._stream: KeyedStream[asyncio.Task[bytes]] = KeyedStream(
            self._fetch, rekey_bytes, rekey_seconds, clock=clock)
        self._largest = min(MAX_KEYED, self._stream.rekey_bytes)
        self._rekeying: asyncio.Task[bytes] | None = None
        self._thread = 0  # the network's loop thread, known from the first rekey

    def __repr__(self) -> str:
        return (f"<KeyedNetwork rekey_bytes={self.rekey_bytes} "
                f"rekey_seconds={self.rekey_seconds:g} {self.network!r}>")

    @property
    def rekey_bytes(self) -> int:
        """Output one key may serve."""
        return self._stream.rekey_bytes

    @property
    def rekey_seconds(self) -> float:
        """Seconds one key may serve."""
        return self._stream.rekey_seconds

    async def token_bytes(self, nbytes: int | None = None) -> bytes:
        """``nbytes`` random bytes (default ``DEFAULT_ENTROPY``), like ``secrets.token_bytes``.

        Raises:
            TypeError, ValueError: ``nbytes`` is not an int in ``[0, MAX_BYTES]``.
            AlaraError: as ``Network.random_bytes`` once the key's budget is spent.
        """
        data = self._served(DEFAULT_ENTROPY if nbytes is None else nbytes)
        if data is not None:
            return bytes(data)
        return await super().token_bytes(nbytes)  # its checks, then random_bytes

    async def token_hex(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as hex, like ``secrets.token_hex``.

        Raises:
            TypeError, ValueError, AlaraError: as ``token_bytes``.
        """
        data = self._served(DEFAULT_ENTROPY if nbytes is None else nbytes)
        if data is not None:
            return data.hex()
        return await to_hex(await self.token_bytes(nbytes))  # large: off the loop

    async def random_bytes(self, n: int) -> bytes:
        """``n`` bytes (0..``MAX_BYTES``) from the keyed stream (larger: a round of their own).

        Raises:
            TypeError, ValueError: ``n`` is not an int in ``[0, MAX_BYTES]``.
            AlaraError: as ``Network.random_bytes`` once the key's budget is spent.
        """
        if type(n) is not int or not 0 < n <= self._largest:
            return await self.network.random_bytes(n)  # its checks, or a round of its own
        if self.network.closed or _thread() != self._thread:
            await self._check()
        data = self._stream.take(n)
        while data is None:
            await self._rekey()
            data = self._stream.take(n)
        return bytes(data)

    async def random_int(self, bits: int) -> int:
        """A uniform int in ``[0, 2**bits)``, ``bits`` in 1..``MAX_INT_BITS``.

        Raises:
            TypeError, ValueError: ``bits`` out of range. AlaraError: as ``random_bytes``.
        """
        if type(bits) is not int or not 0 < bits <= 8 * self._largest:
            return await self.network.random_int(bits)
        return int_inline(await self.random_bytes((bits + 7) // 8), bits)

    async def random_below(self, upper: int) -> int:
        """A uniform int in ``[0, upper)``, by rejection (each draw accepted with p > 1/2).

        Raises:
            TypeError, ValueError: ``upper`` out of ``[1, 2**MAX_INT_BITS]``.
            AlaraError: as ``random_bytes``.
        """
        if type(upper) is not int or not 1 < upper <= 1 << (8 * self._largest):
            return await self.network.random_below(upper)
        bits = (upper - 1).bit_length()
        while True:
            value = int_inline(await self.random_bytes((bits + 7) // 8), bits)
            if value < upper:
                return value

    def _served(self, n: object) -> bytearray | None:
        """The usual case, with no coroutine: ``n`` bytes from the current key, or ``None``
        when ``random_bytes`` must decide (a size to check or too large for a block, a
        closed network, a caller not on the network's thread, a key to install)."""
        if type(n) is int and 0 < n <= self._largest and not self.network.closed \
                and _thread() == self._thread:
            return self._stream.take(n)
        return None

    async def _check(self) -> None:
        """The network is closed or this is not (yet) its loop: let it raise if so."""
        if self.network.closed:
            self._stream.wipe()
        await self.network.random_bytes(0)

    def _fetch(self) -> asyncio.Task[bytes]:
        """Start a round for the next key, on this loop; its failure is read by ``_rekey``."""
        task = asyncio.get_running_loop().create_task(self.network.random_bytes(KEY_SIZE),
                                                      name="alara.keyed.rekey")
        task.add_done_callback(_retrieve)
        return task

    async def _rekey(self) -> None:
        """Install the next key: the one fetched ahead, or a new round's. Concurrent callers
        wait for the same round, and only the first to wake installs its key."""
        task = self._rekeying
        if task is None or failed(task):  # a failure nobody was left to see is not news
            task = self._stream.claim()
            if task is None or failed(task):
                task = self._fetch()
            self._rekeying = task
        try:
            key = await asyncio.shield(task)
        except AlaraError as error:
            if self._rekeying is task:
                self._rekeying = None
            note_spent(error)
            raise
        if self._rekeying is task:
            self._rekeying = None
            self._stream.install(key)
            self._thread = _thread()


def _retrieve(task: asyncio.Task[bytes]) -> None:
    """Mark a rekey's error as seen: a key fetched ahead and then dropped (fork, close) must
    not log "exception was never retrieved"; ``_rekey`` raises it when it matters."""
    if not task.cancelled():
        task.exception()
