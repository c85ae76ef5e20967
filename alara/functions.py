"""The module-level async API: ``await alara.token_hex()`` with no network to manage.

Every function awaits ``default_network()`` (the network chosen with ``use_network``, else
the running loop's default network) and calls the method of the same name, so names,
defaults and errors are exactly those of ``Network`` (see ``alara.Network``).
"""

from __future__ import annotations

import uuid
from collections.abc import MutableSequence, Sequence
from typing import Any, TypeVar

from alara.default import default_network

__all__ = [
    "choice",
    "randbelow",
    "randbits",
    "random_below",
    "random_bits",
    "random_bytes",
    "random_int",
    "sample",
    "shuffle",
    "token_bytes",
    "token_hex",
    "token_urlsafe",
    "uuid4",
]

_T = TypeVar("_T")


async def token_bytes(nbytes: int | None = None) -> bytes:
    """``Network.token_bytes`` on the default network (``secrets.token_bytes``)."""
    return await (await default_network()).token_bytes(nbytes)


async def token_hex(nbytes: int | None = None) -> str:
    """``Network.token_hex`` on the default network (``secrets.token_hex``)."""
    return await (await default_network()).token_hex(nbytes)


async def token_urlsafe(nbytes: int | None = None) -> str:
    """``Network.token_urlsafe`` on the default network (``secrets.token_urlsafe``)."""
    return await (await default_network()).token_urlsafe(nbytes)


async def randbelow(exclusive_upper_bound: int) -> int:
    """``Network.randbelow`` on the default network (``secrets.randbelow``)."""
    return await (await default_network()).randbelow(exclusive_upper_bound)


async def randbits(k: int) -> int:
    """``Network.randbits`` on the default network (``secrets.randbits``)."""
    return await (await default_network()).randbits(k)


async def choice(seq: Sequence[_T]) -> _T:
    """``Network.choice`` on the default network (``secrets.choice``)."""
    return await (await default_network()).choice(seq)


async def uuid4() -> uuid.UUID:
    """``Network.uuid4`` on the default network (a version 4 ``uuid.UUID``)."""
    return await (await default_network()).uuid4()


async def shuffle(x: MutableSequence[Any]) -> None:
    """``Network.shuffle`` on the default network (in place, like ``random.shuffle``)."""
    await (await default_network()).shuffle(x)


async def sample(population: Sequence[_T], k: int) -> list[_T]:
    """``Network.sample`` on the default network (like ``random.sample``)."""
    return await (await default_network()).sample(population, k)


async def random_bytes(n: int) -> bytes:
    """``Network.random_bytes`` on the default network (ALARA's name)."""
    return await (await default_network()).random_bytes(n)


async def random_bits(n: int) -> list[int]:
    """``Network.random_bits`` on the default network (ALARA's name)."""
    return await (await default_network()).random_bits(n)


async def random_int(bits: int) -> int:
    """``Network.random_int`` on the default network (ALARA's name)."""
    return await (await default_network()).random_int(bits)


async def random_below(upper: int) -> int:
    """``Network.random_below`` on the default network."""
    return await (await default_network()).random_below(upper)
