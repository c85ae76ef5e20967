"""The ``secrets`` vocabulary on a network: the names Python programmers already know.

Code written for the standard ``secrets`` module (and ``random.SystemRandom``) ports to a
network by adding ``await``: same names, same defaults, same exceptions. The mixin uses only
a network's public primitives (``random_bytes``, ``random_below``, ``random_int``), so every
output still takes one fresh contribution from every worker and the network itself stays
the single place where entropy is collected and mixed.

Differences from ``secrets``, all on purpose: integers are accepted through ``__index__`` but
``bool`` is refused (``token_bytes(True)`` is a bug, not a one-byte token); sizes are capped
by the network's documented limits (``MAX_BYTES``, ``MAX_INT_BITS``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, MutableSequence, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from alara.actors import check_int
from alara.entropy._encoding import to_hex, to_urlsafe
from alara.entropy._limits import MAX_BYTES, MAX_INT_BITS
from alara.entropy._pausing import pause
from alara.entropy._sampler import SampleBatch, bytes_for, candidate_below

__all__ = ["DEFAULT_ENTROPY", "SecretsVocabulary"]

DEFAULT_ENTROPY = 32
"""Bytes in a token when no size is given: 256 bits, as in the standard ``secrets``."""

_T = TypeVar("_T")
SLICE = 1 << 8
"""Elements ``shuffle``/``sample`` handle between two pauses of the event loop (~0.5 ms)."""
BUCKETS = 1 << 12
"""Most dicts ``sample`` spreads its swapped indices over (one per ``BUCKET_SIZE`` elements
drawn): a dict's resize rehashes every entry in one step, so no one of them may grow with
the sample; and they are freed ``FREE_SLICE`` dicts per step, not all at once (freeing a
million entries is a 30 ms step)."""
BUCKET_SIZE = 1 << 8
FREE_SLICE = 1 << 6


class SecretsVocabulary:
    """``secrets``' functions (and ``uuid4``, ``shuffle``, ``sample``) as async methods.

    Mixed into ``Network``; a subclass provides the three primitives below.
    """

    if TYPE_CHECKING:

        async def random_bytes(self, n: int) -> bytes: ...

        async def random_int(self, bits: int) -> int: ...

        async def random_below(self, upper: int) -> int: ...

    async def token_bytes(self, nbytes: int | None = None) -> bytes:
        """``nbytes`` random bytes (default ``DEFAULT_ENTROPY``), like ``secrets.token_bytes``.

        Raises:
            TypeError: ``nbytes`` is not an int (or is a bool).
            ValueError: ``nbytes`` is outside ``[0, MAX_BYTES]``.
        """
        size = DEFAULT_ENTROPY if nbytes is None else nbytes
        return await self.random_bytes(check_int("nbytes", size, 0, MAX_BYTES))

    async def token_hex(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes as ``2 * nbytes`` hex digits, like ``secrets.token_hex``.

        Raises:
            TypeError, ValueError: as ``token_bytes``.
        """
        return await to_hex(await self.token_bytes(nbytes))

    async def token_urlsafe(self, nbytes: int | None = None) -> str:
        """``nbytes`` random bytes, URL-safe base64 without padding (``secrets.token_urlsafe``).

        Raises:
            TypeError, ValueError: as ``token_bytes``.
        """
        return await to_urlsafe(await self.token_bytes(nbytes))

    async def randbelow(self, exclusive_upper_bound: int) -> int:
        """A uniform int in ``[0, exclusive_upper_bound)``, like ``secrets.randbelow``.

        Raises:
            TypeError: the bound is not an int (or is a bool).
            ValueError: the bound is not in ``[1, 2**MAX_INT_BITS]`` (``secrets`` also refuses
                bounds <= 0).
        """
        bound = check_int("exclusive_upper_bound", exclusive_upper_bound, 1,
                          1 << MAX_INT_BITS)
        return await self.random_below(bound)

    async def randbits(self, k: int) -> int:
        """A uniform int with ``k`` random bits, ``[0, 2**k)``, like ``secrets.randbits``.

        Raises:
            TypeError: ``k`` is not an int (or is a bool).
            ValueError: ``k`` is outside ``[0, MAX_INT_BITS]``.
        """
        bits = check_int("k", k, 0, MAX_INT_BITS)
        return await self.random_int(bits) if bits else 0

    async def choice(self, seq: Sequence[_T]) -> _T:
        """A uniformly chosen element of the non-empty ``seq``, like ``secrets.choice``.

        Raises:
            IndexError: ``seq`` is empty (as ``secrets.choice`` does).
        """
        size = len(seq)
        if not size:
            raise IndexError("Cannot choose from an empty sequence")
        return seq[await self.random_below(size)]

    async def uuid4(self) -> uuid.UUID:
        """A random (version 4) UUID, like ``uuid.uuid4()`` but from the network."""
        return uuid.UUID(bytes=await self.random_bytes(16), version=4)

    async def shuffle(self, x: MutableSequence[Any]) -> None:
        """Shuffle ``x`` in place (Fisher-Yates), like ``random.SystemRandom().shuffle``.

        The random numbers come from as few network requests as possible (usually one),
        not one request per element; a long sequence is shuffled in slices of ``SLICE``
        elements, with a yield to the event loop between two, so that it never holds it.

        Raises:
            TypeError: ``x`` does not support item assignment (a tuple, a str).
        """
        size = len(x)
        stream = _UniformStream(self.random_bytes, size, size)
        for i in reversed(range(1, size)):
            j = stream.below_now(i + 1)
            if j is None:
                j = await stream.below(i + 1)
            x[i], x[j] = x[j], x[i]
            if not i % SLICE:
                await pause()

    async def sample(self, population: Sequence[_T], k: int) -> list[_T]:
        """``k`` distinct elements of ``population`` in random order, like ``random.sample``.

        Drawn like ``shuffle``'s: one request, in slices of ``SLICE`` elements.

        Raises:
            TypeError: ``population`` is not a sequence (sort a set or dict first, as
                ``random.sample`` asks), or ``k`` is not an int.
            ValueError: ``k`` is outside ``[0, len(population)]``.
        """
        if not isinstance(population, Sequence):
            raise TypeError("population must be a sequence; for a set or dict, use sorted(it)")
        size = len(population)
        count = check_int("k", k, 0, size)
        stream = _UniformStream(self.random_bytes, size, count)
        # A sparse Fisher-Yates: only the swapped indices, in the dict of their bucket.
        buckets = min(BUCKETS, count // BUCKET_SIZE + 1)
        width = -(-size // buckets)
        moved: list[dict[int, int]] = [{} for _ in range(buckets)]
        chosen: list[_T] = []
        for i in range(count):
            j = stream.below_now(size - i)
            if j is None:
                j = await stream.below(size - i)
            j += i
            at_j = moved[j // width]
            chosen.append(population[at_j.get(j, j)])
            at_j[j] = moved[i // width].get(i, i)
            if not (i + 1) % SLICE:
                await pause()
        while len(moved) > FREE_SLICE:  # freed a slice per step too
            del moved[:FREE_SLICE]
            await pause()
        return chosen


class _UniformStream:
    """Uniform ints below given bounds, cut from a ``SampleBatch`` the network refills.

    Each int takes the bytes its bound needs, rejected and redrawn when too large (accepted
    with probability > 1/2), so the result is exactly uniform.
    """

    __slots__ = ("_batch", "_draw")

    def __init__(self, draw: Callable[[int], Awaitable[bytes]], largest: int, count: int) -> None:
        self._draw = draw
        self._batch = SampleBatch(largest, count)

    def below_now(self, bound: int) -> int | None:
        """A uniform int below ``bound`` from the bytes in hand, or ``None`` when they ran out
        (then ``below``): the usual case makes no coroutine, whose allocations would drive the
        cyclic garbage collector through a long sample."""
        size = bytes_for(bound)
        batch = self._batch
        while not batch.missing(size):
            value = candidate_below(batch.take(size), bound)
            if value < bound:
                return value
        return None

    async def below(self, bound: int) -> int:
        """A uniform int below ``bound``, drawing more bytes when they run out."""
        while (value := self.below_now(bound)) is None:
            self._batch.refill(await self._draw(self._batch.missing(bytes_for(bound))))
        return value
