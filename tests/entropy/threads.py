"""Draws from many threads at once, for the tests that no two threads share output."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["draw_in_threads"]

_T = TypeVar("_T")


def draw_in_threads(draw: Callable[[], _T], threads: int = 8, calls: int = 2000,
                    timeout: float = 60.0) -> list[_T]:
    """``calls`` results of ``draw()`` in each of ``threads`` threads released together (a
    barrier), every result in one list; a thread that has not ended within ``timeout``
    fails the caller's count."""
    barrier = threading.Barrier(threads)
    served: list[list[_T]] = [[] for _ in range(threads)]

    def run(index: int) -> None:
        barrier.wait(timeout=timeout)
        served[index] = [draw() for _ in range(calls)]

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=timeout)
    return [result for per_thread in served for result in per_thread]
