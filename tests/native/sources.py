"""A source that counts its reads, to show how many network requests (rounds) a call made.

Every request takes exactly one read from every worker's source, so the reads of one
source after a warm-up count the rounds. The lock makes the count exact whichever thread
reads (the network's loop, or a worker thread for blocking sources).
"""

from __future__ import annotations

import os
import threading

import alara


class CountingSource:
    """Honest bytes from ``os.urandom``; ``reads`` counts the reads since ``reset()``.

    Read on the event loop like ``OsSource`` (``max_inline_read``), not in a worker thread.
    """

    max_inline_read = alara.OsSource.max_inline_read

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads = 0

    @property
    def reads(self) -> int:
        with self._lock:
            return self._reads

    def reset(self) -> None:
        with self._lock:
            self._reads = 0

    def read(self, n: int) -> bytes:
        with self._lock:
            self._reads += 1
        return os.urandom(n)
