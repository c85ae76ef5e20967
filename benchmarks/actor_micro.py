"""Quick ratios for the actor framework alone, each against a baseline in the same run.

``python -m benchmarks.actor_micro [--uvloop] [--scale 1.0]``: one line per row, the alara
figure, its baseline and their ratio. The baselines are ``ask`` + ``await`` (for ``call``)
and a bare asyncio actor (one task draining an ``asyncio.Queue`` of (message, reply future)
pairs, restarted by a done-callback). Absolute figures move with the machine's load; the
ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

from alara.actors import Actor, ActorRef, ChildSpec, OneForOneSupervisor, spawn

__all__ = ["main"]

_STOP: Any = object()
_CRASH: Any = object()


class _Echo(Actor):
    async def handle_call(self, message: Any) -> Any:
        return message

    async def handle_cast(self, message: Any) -> None:
        raise RuntimeError("crash requested")


class _Bare:
    """The baseline actor: one task, one ``asyncio.Queue``, replies through futures."""

    __slots__ = ("loop", "queue", "task")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[Any, asyncio.Future[Any] | None]] = asyncio.Queue()
        self.task = self.loop.create_task(self._run())

    def ask(self, message: Any) -> asyncio.Future[Any]:
        reply = self.loop.create_future()
        self.queue.put_nowait((message, reply))
        return reply

    async def _run(self) -> None:
        while True:
            message, reply = await self.queue.get()
            if message is _STOP:
                return
            if message is _CRASH:
                raise RuntimeError("crash requested")
            if reply is not None and not reply.done():
                reply.set_result(message)


def _p50(samples: list[int]) -> float:
    return statistics.median(samples) / 1e3


async def _latency(operation: Callable[[], Awaitable[Any]], n: int) -> float:
    samples = []
    for _ in range(n):
        begin = time.perf_counter_ns()
        await operation()
        samples.append(time.perf_counter_ns() - begin)
    return _p50(samples[n // 10:])


async def _rate(operations: list[Callable[[], Awaitable[Any]]], calls: int) -> float:
    async def caller(operation: Callable[[], Awaitable[Any]]) -> None:
        for _ in range(calls):
            await operation()

    begin = time.perf_counter_ns()
    await asyncio.gather(*(caller(op) for op in operations))
    return len(operations) * calls / ((time.perf_counter_ns() - begin) / 1e9)


async def call_vs_ask(n: int) -> list[tuple[str, float, float]]:
    ref = spawn(_Echo())
    await ref.call(0)
    ask = await _latency(lambda: ref.ask(1), n)
    call = await _latency(lambda: ref.call(1), n)
    refs = [spawn(_Echo()) for _ in range(3)]
    callers = [refs[i % 3] for i in range(500)]
    rate_ask = await _rate([functools.partial(r.ask, 1) for r in callers], n // 50)
    rate_call = await _rate([functools.partial(r.call, 1) for r in callers], n // 50)
    await asyncio.gather(ref.stop(), *(r.stop() for r in refs))
    return [("call() p50 µs (vs ask)", call, ask),
            ("call() msg/s, 500 callers -> 3 (vs ask)", rate_call, rate_ask)]


async def stopping(n: int) -> list[tuple[str, float, float]]:
    bare = [_Bare() for _ in range(n)]
    await asyncio.sleep(0)
    begin = time.perf_counter_ns()
    for actor in bare:
        actor.queue.put_nowait((_STOP, None))
    await asyncio.gather(*(actor.task for actor in bare))
    bare_ms = (time.perf_counter_ns() - begin) / 1e6

    refs = [spawn(_Echo()) for _ in range(n)]
    await asyncio.sleep(0)
    begin = time.perf_counter_ns()
    await asyncio.gather(*(ref.stop() for ref in refs))
    refs_ms = (time.perf_counter_ns() - begin) / 1e6

    supervisor = OneForOneSupervisor([ChildSpec(f"c{i}", _Echo) for i in range(n)])
    await supervisor.start()
    await asyncio.sleep(0)
    begin = time.perf_counter_ns()
    await supervisor.stop()
    supervisor_ms = (time.perf_counter_ns() - begin) / 1e6
    return [(f"stop {n} refs ms (vs bare)", refs_ms, bare_ms),
            (f"Supervisor.stop() {n} children ms (vs bare)", supervisor_ms, bare_ms)]


async def _per_actor(make: Callable[[], object], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    made = [make() for _ in range(n)]
    for _ in range(3):
        await asyncio.sleep(0)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del made
    return (after - before) / n


async def memory(n: int) -> list[tuple[str, float, float]]:
    bare: list[_Bare] = []
    refs: list[ActorRef] = []
    bare_bytes = await _per_actor(lambda: bare.append(_Bare()), n)
    alara_bytes = await _per_actor(lambda: refs.append(spawn(_Echo())), n)
    for actor in bare:
        actor.queue.put_nowait((_STOP, None))
    await asyncio.gather(*(ref.stop() for ref in refs), *(actor.task for actor in bare))
    return [("bytes per idle actor (vs bare)", alara_bytes, bare_bytes)]


async def _replacement(supervisor: OneForOneSupervisor, old: ActorRef) -> ActorRef:
    while True:
        changed = supervisor.changed()
        ref = supervisor.child_ref("echo")
        if ref is not None and ref is not old and ref.is_alive():
            changed.cancel()
            return ref
        await changed


async def restarts(n: int) -> list[tuple[str, float, float]]:
    loop = asyncio.get_running_loop()
    replaced: asyncio.Future[_Bare] = loop.create_future()

    def restart(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            fresh = _Bare()
            fresh.task.add_done_callback(restart)
            replaced.set_result(fresh)

    actor = _Bare()
    actor.task.add_done_callback(restart)
    bare = []
    for _ in range(n):
        begin = time.perf_counter_ns()
        actor.queue.put_nowait((_CRASH, None))
        actor = await replaced
        replaced = loop.create_future()
        await actor.ask(1)
        bare.append(time.perf_counter_ns() - begin)
    actor.queue.put_nowait((_STOP, None))

    supervisor = OneForOneSupervisor([ChildSpec("echo", _Echo)], max_restarts=10**9, period=1.0)
    await supervisor.start()
    crashed: list[int] = []
    killed: list[int] = []
    for samples, end in ((crashed, "crash"), (killed, "kill")):
        for _ in range(n):
            old = supervisor.child_ref("echo")
            assert old is not None
            begin = time.perf_counter_ns()
            if end == "crash":
                old.cast("crash")
            else:
                old.kill("benchmark")
            new = await _replacement(supervisor, old)
            await new.ask(1)
            samples.append(time.perf_counter_ns() - begin)
    await supervisor.stop()
    return [("crash -> replacement answering p50 µs (vs hand-written)", _p50(crashed), _p50(bare)),
            ("kill -> new child answering p50 µs (vs hand-written crash)", _p50(killed),
             _p50(bare))]


async def start(n: int) -> list[tuple[str, float, float]]:
    begin = time.perf_counter_ns()
    bare = [_Bare() for _ in range(n)]
    await asyncio.gather(*(actor.ask(1) for actor in bare))
    bare_ms = (time.perf_counter_ns() - begin) / 1e6
    begin = time.perf_counter_ns()
    supervisor = OneForOneSupervisor([ChildSpec(f"w{i}", _Echo) for i in range(n)])
    await supervisor.start()
    await asyncio.gather(*(ref.ask(1) for ref in supervisor.live_refs()))
    alara_ms = (time.perf_counter_ns() - begin) / 1e6
    for actor in bare:
        actor.queue.put_nowait((_STOP, None))
    await supervisor.stop()
    return [(f"start {n} supervised -> all answered ms (vs bare)", alara_ms, bare_ms)]


async def _all(scale: float) -> None:
    rows = []
    rows += await call_vs_ask(int(20_000 * scale))
    rows += await stopping(int(10_000 * scale))
    rows += await memory(int(10_000 * scale))
    rows += await restarts(int(2_000 * scale))
    rows += await start(int(1_000 * scale))
    for label, value, baseline in rows:
        print(f"{label:58} {value:12.1f} {baseline:12.1f}   x{value / baseline:.2f}")


def main(argv: list[str] | None = None) -> None:
    """Run every row once and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    options = parser.parse_args(argv)
    if options.uvloop:
        import uvloop

        uvloop.run(_all(options.scale))
    else:
        asyncio.run(_all(options.scale))


if __name__ == "__main__":
    main()
