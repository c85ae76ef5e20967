"""``alara.Random``: ``random.SystemRandom``'s behaviour, with the bits from an alara network.

Everything ``random.Random`` offers (``randrange``, ``uniform``, ``gauss``, ``choices``...)
is built on two methods, ``random()`` and ``getrandbits()``; overriding both (and
``randbytes``) the way ``SystemRandom`` does routes every one of them to the network. There
is no state to save: ``seed()`` is ignored and ``getstate``/``setstate`` raise
``NotImplementedError``, as in ``SystemRandom``.

**Keyed.** The bytes come from the network's keyed generator (as ``alara.secrets``' do): one
fast-key-erasure stream per thread, every key one full round, kept outside the generator
object; ``rekey="per-call"`` makes every draw a round of its own.

**Batching.** ``shuffle``, ``sample`` and ``choices`` draw many numbers in one call; they draw
the bytes they are expected to need in one network request (twice the expected need, more
if rejection sampling runs short) instead of one request per number. The bytes live only for
that call, in the calling thread, so the generator object holds no entropy between calls and
one instance may be shared by many threads.
"""

from __future__ import annotations

import math
import random  # only to subclass random.Random, as SystemRandom does: its generator is never used
import threading
from asyncio import _get_running_loop as _running_loop
from collections.abc import Iterable, Iterator, MutableSequence, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from alara.actors import check_int
from alara.entropy import MAX_BYTES, MAX_INT_BITS, SampleBatch, ThreadKeyed, resolve_rekey
from alara.sync._blocking import BlockingNetwork
from alara.sync._default import DropIn, blocking_network, drop_in
from alara.sync._loop_thread import refuse_in_loop

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = ["Random"]

_T = TypeVar("_T")
_RECIP_BPF = 2.0**-53  # random(): 53 random bits scaled into [0, 1)
_FLOAT_BYTES = 7  # 56 bits drawn for each float, the top 53 used
_TWO_PI = 2.0 * math.pi


class Random(random.Random):
    """A ``random.Random`` whose numbers come from an alara network (like ``SystemRandom``).

    ``network`` is the ``BlockingNetwork`` to draw from; by default the process-wide one
    that ``alara.secrets`` uses. Draws are served by the network's keyed generator (a
    fast-key-erasure stream per thread, every key one full round), as ``alara.secrets``'
    are; ``rekey``, ``rekey_bytes`` and ``rekey_seconds`` set it as ``use_blocking_network``
    does (``rekey="per-call"``: a round per draw), else the ``ALARA_REKEY*`` variables do.
    A draw may block its thread for a round (the first, or when a key is late), so from
    async code await the network's methods instead.

    Raises:
        TypeError: ``network`` is not a ``BlockingNetwork``.
        ValueError: a rekey setting is out of range (named).
    """

    def __init__(self, x: int | float | str | bytes | bytearray | None = None, *,
                 network: BlockingNetwork | None = None, rekey: str | None = None,
                 rekey_bytes: int | None = None, rekey_seconds: float | None = None) -> None:
        if network is not None and not isinstance(network, BlockingNetwork):
            raise TypeError(f"network must be a BlockingNetwork, got {type(network).__name__}")
        own = network is not None or (rekey, rekey_bytes, rekey_seconds) != (None,) * 3
        self._rekey = resolve_rekey(rekey, rekey_bytes, rekey_seconds) if own else None
        self._network = network
        self._own: tuple[BlockingNetwork, DropIn] | None = None  # made at the first draw
        self._local = _Local()
        super().__init__(x)

    # -- the two primitives everything else is built on ------------------------------------

    def random(self) -> float:
        """A float in ``[0.0, 1.0)`` with 53 random bits."""
        return (int.from_bytes(self._bytes(_FLOAT_BYTES), "big") >> 3) * _RECIP_BPF

    def getrandbits(self, k: int) -> int:
        """An int with ``k`` random bits, ``0 <= result < 2**k``.

        Raises:
            TypeError: ``k`` is not an int. ValueError: ``k`` is negative or above
                ``MAX_INT_BITS``.
        """
        k = check_int("k", k, 0, MAX_INT_BITS)
        if k == 0:
            return 0
        size = (k + 7) // 8
        return int.from_bytes(self._bytes(size), "big") >> (size * 8 - k)

    def randbytes(self, n: int) -> bytes:
        """``n`` random bytes.

        Raises:
            TypeError: ``n`` is not an int. ValueError: ``n`` is negative or above
                ``MAX_BYTES``.
        """
        return self._bytes(check_int("n", n, 0, MAX_BYTES))

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """``random.Random.gauss``, without keeping its second value for the next call.

        The inherited method makes two normal values per draw and keeps one in
        ``gauss_next``: a random value derived from the network, left in the object between
        calls (and shared by the threads using it). Here the same Box-Muller transform makes
        one value and never stores the other, so the generator holds nothing between calls
        and no thread can pick up a value another thread's draw made; each call draws afresh.
        """
        angle = self.random() * _TWO_PI
        radius = math.sqrt(-2.0 * math.log(1.0 - self.random()))
        return mu + math.cos(angle) * radius * sigma

    # -- no state ----------------------------------------------------------------------------

    def seed(self, *args: Any, **kwargs: Any) -> None:
        """Ignored: the network is not seedable (as ``SystemRandom.seed``)."""

    def getstate(self) -> NoReturn:
        """Raises ``NotImplementedError``: there is no state to save."""
        raise NotImplementedError("alara.Random draws from an entropy network; it has no state")

    def setstate(self, state: object) -> NoReturn:
        """Raises ``NotImplementedError``: there is no state to restore."""
        raise NotImplementedError("alara.Random draws from an entropy network; it has no state")

    # -- batched multi-draw methods ----------------------------------------------------------

    def shuffle(self, x: MutableSequence[Any]) -> None:
        """Shuffle ``x`` in place, its random numbers drawn in one network request."""
        with self._batched(len(x), len(x)):
            super().shuffle(x)

    def sample(self, population: Sequence[_T], k: int, *,
               counts: Iterable[int] | None = None) -> list[_T]:
        """``random.Random.sample``, its random numbers drawn in one network request."""
        size = len(population) if counts is None else 1 << 64
        with self._batched(size, k if isinstance(k, int) else 0):
            return super().sample(population, k, counts=counts)

    def choices(self, population: SupportsLenAndGetItem[_T],
                weights: Sequence[float | Fraction] | None = None, *,
                cum_weights: Sequence[float | Fraction] | None = None, k: int = 1) -> list[_T]:
        """``random.Random.choices``, its random numbers drawn in one network request."""
        draws = k if isinstance(k, int) and k > 0 else 0
        with self._batched(1 << (8 * _FLOAT_BYTES), draws):
            return super().choices(population, weights, cum_weights=cum_weights, k=k)

    # -- where the bytes come from -----------------------------------------------------------

    @contextmanager
    def _batched(self, largest: int, count: int) -> Iterator[None]:
        """Serve this thread's draws from one request sized for ``count`` numbers below
        ``largest``; nested calls and tiny batches just draw as usual."""
        if count < 2 or self._local.batch is not None:
            yield
            return
        self._local.batch = SampleBatch(largest, count)
        try:
            yield
        finally:
            self._local.batch = None

    def _bytes(self, n: int) -> bytes:
        batch = self._local.batch
        if batch is None:
            return self._source().token_bytes(n)
        if missing := batch.missing(n):
            batch.refill(self._source().token_bytes(missing))
        return batch.take(n)

    def _source(self) -> DropIn:
        """What to draw from: the drop-ins' own (no settings given), else this generator's
        view of its network, made once per network (the default one may be replaced)."""
        if _running_loop() is not None:
            refuse_in_loop("alara.Random", "await alara.randbelow(), alara.token_bytes() and "
                           "friends, or a Network's methods")
        if self._rekey is None:
            return drop_in()
        network = self._network if self._network is not None else blocking_network()
        own = self._own
        if own is None or own[0] is not network:
            own = self._own = (network, network if self._rekey.per_call
                               else ThreadKeyed(network, self._rekey))
        return own[1]


class _Local(threading.local):
    """One thread's batch for the multi-draw call it is running (``None``: none)."""

    batch: SampleBatch | None = None
