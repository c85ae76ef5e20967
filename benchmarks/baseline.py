"""The direct baselines: what a request costs with no actors at all.

Each baseline does exactly the entropy work alara does for one request, synchronously and in
the caller's own frame: one ``os.urandom(32)`` per worker and the same ``alara.mix``. The ratio
of an alara figure to its baseline is therefore the price of the actor machinery alone.
"""

from __future__ import annotations

import hashlib
import os

from alara import mix
from alara.entropy import MIN_CONTRIBUTION

__all__ = ["direct_request", "shake_alone", "urandom_alone"]

_urandom = os.urandom
_SHAKE_SEED = bytes(64)  # the expand step hashes a short key; the value does not change its speed


def direct_request(workers: int, n: int) -> bytes:
    """One alara request's entropy work, no actors: ``workers`` contributions, one mix."""
    return mix([_urandom(MIN_CONTRIBUTION) for _ in range(workers)], n)


def urandom_alone(n: int) -> bytes:
    """``n`` bytes straight from the OS CSPRNG: the ceiling for raw entropy."""
    return _urandom(n)


def shake_alone(n: int) -> bytes:
    """SHAKE256 squeezing ``n`` bytes from a short input: the ceiling for alara's expand step."""
    return hashlib.shake_256(_SHAKE_SEED).digest(n)
