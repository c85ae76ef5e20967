"""Resident memory of an idle pool, measured in a fresh process.

In the suite's own process the allocator reuses memory freed by earlier scenarios, so an RSS
delta there says little. A fresh interpreter that imports alara, starts ``N`` workers and
serves one request shows what the pool really adds to a process.
Usage: ``python -m benchmarks.rss_probe N``; prints ``{"workers": N, "rss_delta": bytes}``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys

import alara
from benchmarks.measure import rss_bytes, settle

__all__ = ["main"]


async def _delta(workers: int) -> int | None:
    gc.collect()
    before = rss_bytes()
    async with alara.create_network(workers) as net:
        await net.random_bytes(32)
        await settle()
        gc.collect()
        after = rss_bytes()
    return None if before is None or after is None else after - before


def main(argv: list[str]) -> int:
    """Print the RSS growth of a started, idle pool of ``argv[0]`` workers as JSON."""
    workers = int(argv[0])
    print(json.dumps({"workers": workers, "rss_delta": asyncio.run(_delta(workers))}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
