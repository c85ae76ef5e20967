"""The entropy layer's size limits, each defined once.

Every module that checks a size imports it from here, so the façade, the mixer and the
workers cannot drift apart, and no module needs the façade's module for a constant.
"""

from __future__ import annotations

__all__ = ["MAX_BITS", "MAX_BYTES", "MAX_CONTRIBUTION", "MAX_INT_BITS", "MAX_WORKERS"]

MAX_BYTES = 1 << 30
"""Largest request in bytes (1 GiB): ``random_bytes``, the mixer's output, one worker read.

Bounded so that a mistaken size (a bit count passed as bytes, an unchecked user value) fails
at once with a clear error instead of exhausting the machine's memory."""
MAX_BITS = 1 << 24
"""Largest ``random_bits`` request: 16 Mi bits (the result is a list of ints, ~8 bytes each)."""
MAX_INT_BITS = 1 << 24
"""Largest ``random_int`` size, and largest bit length of ``random_below``'s bound."""
MAX_WORKERS = 100_000
"""Largest pool (``workers``), counting workers added later."""
MAX_CONTRIBUTION = 1 << 20
"""Largest ``contribution_size``: what one worker gives to one request."""
