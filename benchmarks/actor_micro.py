"""The supervisor rows the peer table has no peer for, as ratios against bare asyncio.

``python -m benchmarks.actor_micro [--uvloop] [--repetitions 5] [--scale 1.0]``. The peer
table (``benchmarks.peers``, ``make bench-peers``; ``--only alara "bare asyncio"`` for the two
alone) covers ask, call, throughput, start, stop, memory and crash -> replacement for bare
actors. These rows are about supervisors:

* ``Supervisor.stop()`` of 10,000 children (one at a time, last started first, as OTP does)
  against the bare baseline stopping 10,000 tasks at once;
* starting 1,000 *supervised* children until every one has answered, against bare actors;
* ``kill()`` -> the supervisor's replacement answering, against the hand-written restart of a
  crashed bare actor (the peer table's baseline for restarts).

Each repetition runs both sides back to back; the line gives the median of each side and the
median of the per-repetition ratios (below 1: alara is faster). Absolute figures move with the
machine's load; compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable

from alara.actors import ChildSpec, OneForOneSupervisor
from benchmarks.measure import clock, percentile
from benchmarks.peers import Bare, _crash_bare, _Echo
from benchmarks.restart import replacement

__all__ = ["main"]

Side = Callable[[int], Awaitable[float]]


async def _bare_stop(n: int) -> float:
    peer = Bare()
    actors = await peer.start(n)
    await asyncio.sleep(0)
    begin = clock()
    await peer.stop(actors)
    return (clock() - begin) / 1e6


async def _supervisor_stop(n: int) -> float:
    supervisor = OneForOneSupervisor([ChildSpec(f"c{i}", _Echo) for i in range(n)])
    await supervisor.start()
    await asyncio.sleep(0)
    begin = clock()
    await supervisor.stop()
    return (clock() - begin) / 1e6


async def _bare_start(n: int) -> float:
    peer = Bare()
    begin = clock()
    actors = await peer.start(n)
    await asyncio.gather(*(actor.ask(1) for actor in actors))
    elapsed = (clock() - begin) / 1e6
    await peer.stop(actors)
    return elapsed


async def _supervised_start(n: int) -> float:
    begin = clock()
    supervisor = OneForOneSupervisor([ChildSpec(f"w{i}", _Echo) for i in range(n)])
    await supervisor.start()
    await asyncio.gather(*(ref.ask(1) for ref in supervisor.live_refs()))
    elapsed = (clock() - begin) / 1e6
    await supervisor.stop()
    return elapsed


async def _kill_to_answer(kills: int) -> float:
    supervisor = OneForOneSupervisor([ChildSpec("echo", _Echo)], max_restarts=10**9, period=1.0)
    await supervisor.start()
    samples: list[int] = []
    try:
        for _ in range(kills):
            old = supervisor.child_ref("echo")
            assert old is not None
            begin = clock()
            old.kill("benchmark")
            new = await replacement(supervisor, "echo", old)
            await new.ask(1)
            samples.append(clock() - begin)
    finally:
        await supervisor.stop()
    return percentile(sorted(samples), 0.5) / 1e3


ROWS: list[tuple[str, Side, Side, int]] = [
    ("Supervisor.stop(), 10,000 children, ms", _supervisor_stop, _bare_stop, 10_000),
    ("start 1,000 supervised children to all answering, ms", _supervised_start, _bare_start,
     1_000),
    ("kill -> replacement answering p50, µs (vs hand-written)", _kill_to_answer, _crash_bare,
     2_000),
]


async def _run(repetitions: int, scale: float) -> None:
    for label, alara, bare, size in ROWS:
        n = max(1, int(size * scale))
        ours: list[float] = []
        theirs: list[float] = []
        for repetition in range(repetitions):
            sides = [(alara, ours), (bare, theirs)]
            for side, figures in sides if repetition % 2 == 0 else reversed(sides):
                figures.append(await side(n))
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        print(f"{label:58} alara {statistics.median(ours):9.1f}  "
              f"bare {statistics.median(theirs):9.1f}  ratio x{ratio:.2f}")


def main(argv: list[str] | None = None) -> None:
    """Run every row and print one line each."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--repetitions", type=int, default=5, help="interleaved repetitions")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    options = parser.parse_args(argv)
    if options.uvloop:
        import uvloop

        uvloop.run(_run(options.repetitions, options.scale))
    else:
        asyncio.run(_run(options.repetitions, options.scale))


if __name__ == "__main__":
    main()
