"""The batched sampler shared by the async vocabulary and the sync ``alara.Random``.

Calls that draw many numbers at once (``shuffle``, ``sample``, ``choices``) take the bytes
they are expected to need in one network request instead of one request per number. The
bytes are cut in order and each is used once, so the numbers are exactly as uniform as with
one request each; they live only for the one call that drew them, so nothing random is kept
between calls.

``SampleBatch`` does no I/O: its user draws each refill itself, by ``await`` (the
vocabulary) or by a blocking call (``alara.Random``). That is what lets both façades share
this one implementation.
"""

from __future__ import annotations

from alara.entropy._conversions import int_inline

__all__ = ["MAX_BATCH", "SampleBatch", "bytes_for", "candidate_below"]

MAX_BATCH = 1 << 20
"""Most bytes one refill draws; a call that needs more draws again as it goes."""
_MIN_BATCH = 32  # one request's worth even for a handful of tiny numbers


class SampleBatch:
    """Bytes drawn ahead for ``count`` numbers below ``largest``, served in order.

    A refill draws twice the expected need (rejection sampling may discard up to half), at
    least what the current cut needs; bytes left over when a refill is due are dropped.
    """

    __slots__ = ("_buffer", "_chunk", "_position")

    def __init__(self, largest: int, count: int) -> None:
        self._chunk = min(MAX_BATCH, max(_MIN_BATCH, 2 * count * bytes_for(largest)))
        self._buffer = b""
        self._position = 0

    def missing(self, n: int) -> int:
        """``0`` if ``n`` more bytes are in hand, else how many bytes to draw for ``refill``."""
        if self._position + n <= len(self._buffer):
            return 0
        return max(self._chunk, n)

    def refill(self, data: bytes) -> None:
        """Replace what is left with freshly drawn ``data`` (of ``missing(n)`` bytes)."""
        self._buffer, self._position = data, 0

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes; ``missing(n)`` must be ``0`` (refill first otherwise)."""
        end = self._position + n
        data = self._buffer[self._position:end]
        self._position = end
        return data


def bytes_for(bound: int) -> int:
    """Bytes needed for one int below ``bound``."""
    return ((bound - 1).bit_length() + 7) // 8


def candidate_below(data: bytes, bound: int) -> int:
    """The int that ``data`` (``bytes_for(bound)`` bytes) proposes for ``[0, bound)``.

    Uniform over ``[0, 2**bits)`` for the bound's bit length: the caller keeps it if it is
    below ``bound`` (probability > 1/2) and draws again otherwise.
    """
    return int_inline(data, (bound - 1).bit_length())
