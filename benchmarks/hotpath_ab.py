"""Hot path, old tree against new tree: sequential and concurrent figures in one interleaved run.

Each measurement runs in a fresh subprocess with ``PYTHONPATH`` set to one tree, alternating
old, new, old, new, ... so machine load drifts over both alike; the ratios new/old of the
medians are the result. Only the public API is used, so any two versions can be compared:

    git archive <commit> | tar -x -C /tmp/base
    python -m benchmarks.hotpath_ab /tmp/base . --rounds 5

Sequential: p50 of one ``random_bytes(32)`` on a 3-worker network, one caller (best of 5
batches of 4,000 in each process). Concurrent: 500 callers x 40 requests of 32 bytes on a
3-worker network, requests per second (best of 5 waves). Interference from other processes
only ever adds time, so each process reports its best batch; the table gives the median of
those over the rounds. Both are
also given as the loop thread's CPU time per request (``time.thread_time``), which a loaded,
shared machine disturbs far less than wall-clock figures (preemption is not counted).

``--loop uvloop`` runs every probe on uvloop. ``--bare`` adds a third probe per round: the
same shape written in bare asyncio with no framework (three worker tasks, each draining a
mailbox of its own and reading ``os.urandom(32)`` through the new tree's health tests; the
caller asks each one with a future, ``asyncio.gather``s them and mixes with the new tree's
``mix``). It is the floor of the design's constraints: what any actor framework of that shape
costs on this loop, in the same run.
"""

from __future__ import annotations

import statistics

from benchmarks.ab import arguments, heading, interleave, probe

__all__ = ["main"]

_SEQUENTIAL = r"""
async def measure_sequential(draw):
    # p50 and loop CPU per request of draw(32): best of 5 batches (interference only adds)
    sequential = cpu = float("inf")
    for _ in range(5):
        samples = []
        used = time.thread_time_ns()
        for _ in range(4000):
            start = time.perf_counter_ns()
            await draw(32)
            samples.append(time.perf_counter_ns() - start)
        cpu = min(cpu, (time.thread_time_ns() - used) / 4000)
        samples.sort()
        sequential = min(sequential, samples[len(samples) // 2])
    return sequential, cpu
"""

_RUN = r"""
if sys.argv[1] == "uvloop":
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
"""

_PROBE = r"""
import asyncio, json, sys, time, alara
""" + _SEQUENTIAL + r"""

async def main():
    async with alara.create_network(3) as net:
        draw = net.random_bytes
        for _ in range(2000):
            await draw(32)
        sequential, cpu = await measure_sequential(draw)

        async def caller():
            for _ in range(40):
                await draw(32)

        await asyncio.gather(*(caller() for _ in range(500)))  # warm-up
        rate, concurrent_cpu = 0.0, float("inf")
        for _ in range(5):
            start = time.perf_counter()
            used = time.thread_time_ns()
            await asyncio.gather(*(caller() for _ in range(500)))
            rate = max(rate, 500 * 40 / (time.perf_counter() - start))
            concurrent_cpu = min(concurrent_cpu, (time.thread_time_ns() - used) / (500 * 40))
    print(json.dumps({"sequential_ns": sequential, "concurrent_per_s": rate,
                      "sequential_cpu_ns": cpu, "concurrent_cpu_ns": concurrent_cpu,
                      "file": alara.__file__}))
""" + _RUN

_BARE = r"""
import asyncio, json, os, sys, time
""" + _SEQUENTIAL + r"""
from alara.entropy import DEFAULT_HEALTH, mix


class Box:
    __slots__ = ("items", "waiter")

    def __init__(self):
        self.items, self.waiter = [], None


async def worker(box, health):
    loop = asyncio.get_running_loop()
    while True:
        while not box.items:
            waiter = box.waiter = loop.create_future()
            await waiter
        batch, box.items = box.items, []
        for n, reply in batch:
            data = os.urandom(n)
            health(data)
            if not reply.done():
                reply.set_result(data)


def ask(box, loop, n):
    reply = loop.create_future()
    box.items.append((n, reply))
    waiter = box.waiter
    if waiter is not None:
        box.waiter = None
        waiter.set_result(None)
    return reply


async def main():
    loop = asyncio.get_running_loop()
    boxes = [Box() for _ in range(3)]
    tasks = [loop.create_task(worker(box, DEFAULT_HEALTH())) for box in boxes]

    async def draw(n):
        return mix(await asyncio.gather(*[ask(box, loop, 32) for box in boxes]), n)

    for _ in range(2000):
        await draw(32)
    sequential, cpu = await measure_sequential(draw)
    for task in tasks:
        task.cancel()
    print(json.dumps({"sequential_ns": sequential, "sequential_cpu_ns": cpu}))
""" + _RUN


def main(argv: list[str] | None = None) -> None:
    """Run the interleaved comparison and print a markdown table."""
    parser = arguments("python -m benchmarks.hotpath_ab", __doc__)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="event loop of every probe (default asyncio)")
    parser.add_argument("--bare", action="store_true",
                        help="also run the bare asyncio probe of the same shape (the floor)")
    args = parser.parse_args(argv)
    runs = interleave(args.old, args.new, args.rounds, _PROBE, args.loop)
    bare = [probe(args.new, _BARE, args.loop) for _ in range(args.rounds if args.bare else 0)]
    print(heading(f"Hot path A/B on {args.loop}", args.rounds))
    print("| figure | old (median) | new (median) | new / old |")
    print("|---|---:|---:|---:|")
    for key, label, unit in [
        ("sequential_ns", "sequential p50 (wall), 32 B, 3 workers", "µs"),
        ("sequential_cpu_ns", "sequential, loop CPU per request", "µs"),
        ("concurrent_per_s", "concurrent (wall), 500 callers x 40", "req/s"),
        ("concurrent_cpu_ns", "concurrent, loop CPU per request", "µs"),
    ]:
        old = statistics.median(run[key] for run in runs["old"])
        new = statistics.median(run[key] for run in runs["new"])
        scale = 1000.0 if unit == "µs" else 1.0
        print(f"| {label} | {old / scale:,.1f} {unit} | {new / scale:,.1f} {unit} "
              f"| {new / old:.3f} |")
    for name in ("old", "new"):
        seq = ", ".join(f"{run['sequential_ns'] / 1000:.1f}" for run in runs[name])
        con = ", ".join(f"{run['concurrent_per_s']:,.0f}" for run in runs[name])
        print(f"\n{name} runs: sequential µs [{seq}]; concurrent req/s [{con}]")
    if bare:
        floor = statistics.median(run["sequential_ns"] for run in bare)
        floor_cpu = statistics.median(run["sequential_cpu_ns"] for run in bare)
        new = statistics.median(run["sequential_ns"] for run in runs["new"])
        each = ", ".join(f"{run['sequential_ns'] / 1000:.1f}" for run in bare)
        print(f"\nbare asyncio, same shape (floor): sequential p50 {floor / 1000:.1f} µs, "
              f"loop CPU {floor_cpu / 1000:.1f} µs per request; new / floor {new / floor:.3f}; "
              f"runs µs [{each}]")


if __name__ == "__main__":
    main()
