"""Restart and call rows, old tree against new tree, in one interleaved run.

Each measurement runs in a fresh subprocess with ``PYTHONPATH`` set to one tree, alternating
old, new, old, new, ... so machine load drifts over both alike; the table gives the median over
the rounds of each process's figure (each process reports the best of 3 runs of every row:
interference only ever adds time). Only the public API is used, and the waiting helper is this
file's own, so any two versions compare on their library code alone:

    git archive <commit> | tar -x -C /tmp/base
    python -m benchmarks.restart_ab /tmp/base . --rounds 5

Rows: kill → new live child in the registry, p50 (3-worker network, woken by
``supervisor.changed()``; the Erlang table's row), on the default loop and on uvloop; crash →
replacement answering p50 (one supervised echo actor; the peer table's row) next to the
hand-written bare asyncio restart of ``benchmarks.peers``; ``kill()`` → replacement answering;
and 500 callers → 3 actors throughput with ``ask`` and with ``call`` (5 s timeout), each
process giving the median of 12 alternating pairs of the ratio call / ask. On a machine whose
speed changes for seconds at a time, the ratios within one process (÷ the bare restart,
call / ask) are the figures to trust.
"""

from __future__ import annotations

import statistics

from benchmarks.ab import arguments, heading, interleave

__all__ = ["main"]

_PROBE = r"""
import asyncio, json, statistics, time
import alara
from alara.actors import ChildSpec, OneForOneSupervisor
from benchmarks import peers
from benchmarks.latency import REQUEST
clock = time.perf_counter_ns

async def replacement(supervisor, child_id, old):
    while True:
        current = supervisor.child_ref(child_id)
        if current is not None and current is not old and current.is_alive():
            return current
        await supervisor.changed()

async def registry(kills):
    samples = []
    async with alara.create_network(3, max_restarts=10**9, period=1.0) as net:
        supervisor = net.supervisor
        for i in range(kills + 20):
            child_id = f"worker-{i % 3}"
            old = supervisor.child_ref(child_id)
            begin = clock()
            old.kill("benchmark")
            new = await replacement(supervisor, child_id, old)
            samples.append(clock() - begin)
            await new.ask(REQUEST)
    return statistics.median(samples[20:]) / 1e3

async def crash(crashes, kill):
    supervisor = OneForOneSupervisor([ChildSpec("echo", peers._Echo)], max_restarts=10**9,
                                     period=1.0)
    await supervisor.start()
    samples = []
    for _ in range(crashes):
        old = supervisor.child_ref("echo")
        begin = clock()
        if kill:
            old.kill("benchmark")
        else:
            old.cast(peers._CRASH)
        new = await replacement(supervisor, "echo", old)
        await new.ask(peers.MESSAGE)
        samples.append(clock() - begin)
    await supervisor.stop()
    return statistics.median(samples) / 1e3

async def rates():
    alara_peer = peers.Alara()
    actors = await alara_peer.start(3)
    rate = lambda timed: peers._rate(alara_peer, actors, peers.FULL, timed)
    ask, call, ratios = [], [], []
    for i in range(12):
        first, second = (True, False) if i % 2 else (False, True)
        got = {first: await rate(first), second: await rate(second)}
        ask.append(got[False])
        call.append(got[True])
        ratios.append(got[True] / got[False])
    await alara_peer.stop(actors)
    return statistics.median(ask), statistics.median(call), statistics.median(ratios)

def run(loop, make):
    factory = asyncio.new_event_loop
    if loop == "uvloop":
        import uvloop
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(make())

best = lambda loop, make: min(run(loop, make) for _ in range(3))
ask, call, ratio = run("default", rates)
figures = {
    "registry": best("default", lambda: registry(300)),
    "registry_uvloop": best("uvloop", lambda: registry(300)),
    "crash": best("default", lambda: crash(1000, False)),
    "bare_crash": best("default", lambda: peers._crash_bare(1000)),
    "kill": best("default", lambda: crash(1000, True)),
    "ask": ask,
    "call": call,
    "call_over_ask": ratio,
}
# The same process's bare restart as the yardstick: a slow spell of the machine moves both.
for key in ("registry", "crash", "kill"):
    figures[key + "_over_bare"] = figures[key] / figures["bare_crash"]
print(json.dumps(figures))
"""

ROWS = [  # key, label, unit
    ("registry", "kill → new live child in registry p50, default loop", "µs"),
    ("registry_uvloop", "kill → new live child in registry p50, uvloop", "µs"),
    ("crash", "crash → replacement answering p50", "µs"),
    ("bare_crash", "  bare asyncio hand-written restart, same row", "µs"),
    ("kill", "kill() → replacement answering p50", "µs"),
    ("registry_over_bare", "kill → registry ÷ bare restart (same process)", "x"),
    ("crash_over_bare", "crash → answering ÷ bare restart (same process)", "x"),
    ("kill_over_bare", "kill() → answering ÷ bare restart (same process)", "x"),
    ("ask", "500 callers → 3 actors, ask", "msg/s"),
    ("call", "500 callers → 3 actors, call (5 s timeout)", "msg/s"),
    ("call_over_ask", "call / ask throughput (median of 12 pairs)", "x"),
]


def main(argv: list[str] | None = None) -> None:
    """Run the interleaved comparison and print a markdown table."""
    args = arguments("python -m benchmarks.restart_ab", __doc__).parse_args(argv)
    runs = interleave(args.old, args.new, args.rounds, _PROBE)
    print(heading("Restart A/B", args.rounds))
    print("| row | old (median) | new (median) | new / old | new runs |")
    print("|---|---:|---:|---:|---|")
    for key, label, unit in ROWS:
        old = statistics.median(run[key] for run in runs["old"])
        new = statistics.median(run[key] for run in runs["new"])
        each = ", ".join(f"{run[key]:,.3g}" for run in runs["new"])
        print(f"| {label} | {old:,.3g} {unit} | {new:,.3g} {unit} | {new / old:.3f} | {each} |")


if __name__ == "__main__":
    main()
