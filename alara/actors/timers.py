"""Coarse deadlines: one asyncio timer per time bucket, shared by every deadline in it.

Every ``call()`` has a timeout, every ``stop()`` a shutdown deadline and every kill a grace.
Almost none of them ever fire: the reply comes, the actor ends. An ``asyncio.timeout`` (or a
``loop.call_at`` handle) per deadline costs more than the message it guards, so deadlines are
grouped instead: a deadline ``timeout`` seconds ahead goes into the bucket that ends at the
next multiple of a grain of about ``timeout / 64`` (a power of two, at least ~1 ms, the
resolution of the loop's own timers), and each bucket has one timer.

A deadline therefore fires at or after its due time, never before, and at most ``timeout / 64``
(or 1 ms) late. Removing a deadline that is no longer needed is one ``set.discard``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any, Final
from weakref import WeakKeyDictionary, ref

__all__ = ["EXPIRED", "Deadlines", "deadlines_of"]

EXPIRED: Final = "alara: deadline expired"
"""The cancel message of a future whose deadline passed (``CancelledError.args[0]``)."""

_MIN_GRAIN_EXPONENT: Final = -10  # 2**-10 s, about 1 ms: asyncio's selector rounds to ms


class _Bucket:
    """Everything due at the same instant: futures to cancel and callbacks to run."""

    __slots__ = ("calls", "futures")

    def __init__(self) -> None:
        self.futures: set[asyncio.Future[Any]] = set()
        self.calls: list[tuple[Callable[..., object], tuple[Any, ...]]] = []


class Deadlines:
    """The deadlines of one event loop (get it with ``deadlines_of(loop)``)."""

    __slots__ = ("_buckets", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weakly: the registry below must not keep a finished loop alive through its value.
        self._loop = ref(loop)
        self._buckets: dict[float, _Bucket] = {}

    def _bucket(self, timeout: float) -> _Bucket:
        loop = self._loop()
        assert loop is not None, "deadlines used after their loop was collected"
        # grain: the power of two at or below timeout / 64, at least 2**-10 s
        exponent = math.frexp(timeout)[1] - 7
        if exponent < _MIN_GRAIN_EXPONENT:
            exponent = _MIN_GRAIN_EXPONENT
        grain = math.ldexp(1.0, exponent)
        due = math.ceil((loop.time() + timeout) / grain) * grain
        bucket = self._buckets.get(due)
        if bucket is None:
            bucket = self._buckets[due] = _Bucket()
            loop.call_at(due, self._fire, due)
        return bucket

    def cancel_after(self, future: asyncio.Future[Any], timeout: float) -> set[asyncio.Future[Any]]:
        """Cancel ``future`` with the message ``EXPIRED`` if it is not done ``timeout`` s from now.

        Returns the set that holds it: ``discard`` the future from it once it is done, so
        that a finished future is not kept alive until its bucket's time comes.
        """
        futures = self._bucket(timeout).futures
        futures.add(future)
        return futures

    def call_after(self, timeout: float, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` about ``timeout`` seconds from now (never sooner).

        There is no cancelling: the callback checks whether it still has work to do.
        """
        self._bucket(timeout).calls.append((callback, args))

    def _fire(self, due: float) -> None:
        bucket = self._buckets.pop(due)
        for future in bucket.futures:
            if not future.done():
                future.cancel(EXPIRED)
        for callback, args in bucket.calls:
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
        deadlines = _per_loop[loop] = Deadlines(loop)
    return deadlines
