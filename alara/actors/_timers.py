"""Coarse deadlines: one asyncio timer per time bucket, shared by every deadline in it.

Every ``stop()`` has a shutdown deadline, every kill a grace, every ref with timed calls a
check of their deadlines. Almost none of them find work to do: the actor ends, the replies
come. An ``asyncio.timeout`` (or a ``loop.call_at`` handle) for each costs more than the work
it guards (stopping 10,000 actors made 10,000 timers), so deadlines are grouped instead: a
deadline ``timeout`` seconds ahead joins the bucket that ends at the next multiple of a grain
of about ``timeout / 64`` (a power of two, at least ~1 ms, the resolution of the loop's own
timers), and each bucket has one timer.

A deadline therefore fires at or after its due time, never before, and at most ``timeout / 64``
(or 1 ms) late. There is no cancelling: a callback whose work is done finds nothing to do.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any, Final
from weakref import WeakKeyDictionary

__all__ = ["Deadlines", "deadlines_of", "grain", "sweep_delay"]

_MIN_GRAIN_EXPONENT: Final = -10  # 2**-10 s, about 1 ms: asyncio's selector rounds to ms
_MAX_SWEEP_EXPONENT: Final = -7  # 2**-7 s, about 8 ms: how long answered calls are kept
_MARGIN: Final = 1e-6  # asyncio may run a timer up to its clock's resolution (1 ns) early


def grain(timeout: float) -> float:
    """The bucket width for ``timeout``: the power of two at or below ``timeout / 64``, >= 2**-10.

    A deadline lands in the bucket ending at the next multiple of it: never early, and late
    by at most ``timeout / 64`` (or about 1 ms).
    """
    return math.ldexp(1.0, max(math.frexp(timeout)[1] - 7, _MIN_GRAIN_EXPONENT))


def sweep_delay(timeout: float) -> float:
    """How soon after a timed call its ref sweeps: ``grain(timeout)``, at most about 8 ms.

    Short enough that answered calls are not kept long (about 8 ms of traffic), long enough
    that one sweep serves many calls.
    """
    return min(grain(timeout), math.ldexp(1.0, _MAX_SWEEP_EXPONENT))


_Bucket = list[Any]
"""The callbacks due at the same instant, each followed by its arguments (a tuple): flat, so
that adding one allocates nothing but the arguments."""


class Deadlines:
    """The deadlines of one event loop (get it with ``deadlines_of(loop)``).

    Methods take the loop from the caller rather than keeping it, so that the per-loop
    registry never keeps a finished loop alive.
    """

    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets: dict[float, _Bucket] = {}

    def _bucket(self, loop: asyncio.AbstractEventLoop, timeout: float) -> _Bucket:
        width = grain(timeout)
        due = math.ceil((loop.time() + timeout + _MARGIN) / width) * width
        bucket = self._buckets.get(due)
        if bucket is None:
            bucket = self._buckets[due] = []
            loop.call_at(due, self._fire, due)
        return bucket

    def call_after(self, loop: asyncio.AbstractEventLoop, timeout: float,
                   callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` about ``timeout`` seconds from now (never sooner).

        There is no cancelling: the callback checks whether it still has work to do.
        """
        bucket = self._bucket(loop, timeout)
        bucket.append(callback)
        bucket.append(args)

    def _fire(self, due: float) -> None:
        entries = iter(self._buckets.pop(due))
        for callback, args in zip(entries, entries, strict=True):
            try:
                callback(*args)
            except Exception as error:
                asyncio.get_running_loop().call_exception_handler({
                    "message": "deadline callback raised", "exception": error,
                })


_per_loop: WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = WeakKeyDictionary()


def deadlines_of(loop: asyncio.AbstractEventLoop) -> Deadlines:
    """The ``Deadlines`` of ``loop``, made on first use and forgotten with the loop."""
    deadlines = _per_loop.get(loop)
    if deadlines is None:
        deadlines = _per_loop[loop] = Deadlines()
    return deadlines
