"""Where a request's time goes: cProfile over the sequential and concurrent scenarios.

Not part of ``make bench`` (a profiler distorts every timing); run it by hand when working on
the hot path: ``python -m benchmarks.profile_hotpath [sequential|concurrent] --top 25``.
It prints the functions by own time and by cumulative time, and saves the raw profile to
``benchmarks/results/<scenario>.prof`` for ``python -m pstats`` or snakeviz.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from pathlib import Path

import alara
from benchmarks.latency import REQUEST

__all__ = ["main"]

WORKERS = 3


async def _sequential(calls: int) -> None:
    async with alara.create_network(WORKERS) as net:
        for _ in range(calls):
            await net.random_bytes(REQUEST)


async def _concurrent(callers: int, calls: int) -> None:
    async with alara.create_network(WORKERS) as net:

        async def caller() -> None:
            for _ in range(calls):
                await net.random_bytes(REQUEST)

        await asyncio.gather(*(caller() for _ in range(callers)))


def main(argv: list[str] | None = None) -> int:
    """Profile one scenario and print the top functions."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_hotpath",
                                     description=__doc__)
    parser.add_argument("scenario", choices=("sequential", "concurrent"), nargs="?",
                        default="sequential")
    parser.add_argument("--calls", type=int, default=20_000,
                        help="sequential: requests; concurrent: requests per caller / 200")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    profiler = cProfile.Profile()
    if args.scenario == "sequential":
        profiler.runcall(asyncio.run, _sequential(args.calls))
    else:
        profiler.runcall(asyncio.run, _concurrent(500, max(1, args.calls // 200)))
    output = Path("benchmarks/results") / f"{args.scenario}.prof"
    output.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(output)
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print(f"== {args.scenario}: by own time ==")
    stats.sort_stats("tottime").print_stats(args.top)
    print(f"== {args.scenario}: by cumulative time ==")
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"raw profile: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
