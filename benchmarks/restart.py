"""Scenario 5: how long a killed worker is missing from the pool.

Timed from ``kill()`` to the moment the supervisor's live registry holds a new, running child
under the same id, waiting on ``supervisor.changed()`` futures (no polling). A second figure
runs on to the new child's first reply. The baseline is a bare ``start_worker()`` to its first
reply: what starting an actor costs with no death to process and no supervisor involved.
The restart intensity is raised for the run: thousands of kills are the point here.
"""

from __future__ import annotations

import asyncio

import alara
from alara import ActorRef, OneForOneSupervisor
from benchmarks.latency import REQUEST
from benchmarks.measure import LoopKind, Summary, clock, run_on, summarize
from benchmarks.results import Row

__all__ = ["bare_restart", "killable_network", "measure_restart", "replacement", "victim"]

WORKERS = 3
STEP_TIMEOUT = 10.0
"""Seconds one kill-and-replace may take before the run fails instead of hanging."""


async def replacement(supervisor: OneForOneSupervisor, child_id: str, old: ActorRef) -> ActorRef:
    """Wait, without polling, until ``child_id`` has a new running ref in the registry."""
    while True:
        current = supervisor.child_ref(child_id)
        if current is not None and current is not old and current.is_alive():
            return current
        await supervisor.changed()  # nothing runs between the look and this: no change slips by


def killable_network() -> alara.Network:
    """The 3-worker network the kill scenarios use, its restart intensity raised: thousands
    of kills are the point here."""
    return alara.create_network(WORKERS, max_restarts=1_000_000_000, period=1.0)


def victim(supervisor: OneForOneSupervisor, kill: int) -> tuple[str, ActorRef]:
    """The child kill number ``kill`` hits (round robin over the workers), and its ref now."""
    child_id = f"worker-{kill % WORKERS}"
    ref = supervisor.child_ref(child_id)
    assert ref is not None
    return child_id, ref


async def _sample(kills: int, warmup: int) -> tuple[Summary, Summary, Summary]:
    registry_ns: list[int] = []
    answer_ns: list[int] = []
    spawn_ns: list[int] = []
    async with killable_network() as net:
        supervisor = net.supervisor
        for i in range(warmup + kills):
            child_id, old = victim(supervisor, i)
            async with asyncio.timeout(STEP_TIMEOUT):  # a broken supervisor fails, not hangs
                start = clock()
                old.kill("benchmark")
                new = await replacement(supervisor, child_id, old)
                in_registry = clock()
                await new.ask(REQUEST)
                answered = clock()
            if i >= warmup:
                registry_ns.append(in_registry - start)
                answer_ns.append(answered - start)
    for i in range(warmup + kills):
        async with asyncio.timeout(STEP_TIMEOUT):
            start = clock()
            ref = alara.start_worker()
            await ref.ask(REQUEST)
            answered = clock()
            await ref.stop()
        if i >= warmup:
            spawn_ns.append(answered - start)
    return summarize(registry_ns), summarize(answer_ns), summarize(spawn_ns)


async def _bare_sample(kills: int, warmup: int) -> Summary:
    """The floor of the registry row in plain asyncio, done the way alara does it for an idle
    child: cancel the parked task, start its replacement task and put it in the dict, all in
    the kill, no loop turn. No framework, no supervisor policy, no worker to build: what the
    asyncio parts of a restart cost."""
    loop = asyncio.get_running_loop()
    registry: dict[str, asyncio.Task[None]] = {}

    async def child() -> None:
        await loop.create_future()

    def kill(name: str) -> None:
        registry[name].cancel()
        registry[name] = loop.create_task(child())

    registry["child"] = loop.create_task(child())
    await asyncio.sleep(0)
    samples: list[int] = []
    for i in range(warmup + kills):
        old = registry["child"]
        start = clock()
        kill("child")
        if registry["child"] is old or registry["child"].done():
            raise AssertionError("the bare restart did not replace the child")
        samples.append(clock() - start)
        await asyncio.sleep(0)  # the old task ends, the new one takes its first step
        if i < warmup:
            samples.pop()
    registry["child"].cancel()
    await asyncio.gather(registry["child"], return_exceptions=True)
    return summarize(samples)


def bare_restart(kills: int, warmup: int, loop: LoopKind = "default") -> float:
    """p50 in microseconds of the plain-asyncio floor of kill → new child in the registry."""
    return run_on(loop, lambda: _bare_sample(kills, warmup)).p50 / 1e3


def measure_restart(kills: int, warmup: int, loop: LoopKind = "default") -> list[Row]:
    """p50/p99 of kill-to-registry and kill-to-first-reply, in microseconds."""
    registry, answer, spawned = run_on(loop, lambda: _sample(kills, warmup))
    rows = []
    for name in ("p50", "p99"):
        rows.append(Row(key=f"restart.registry.{name}", scenario="5. restart",
                        case="kill() → new child in registry", metric=name, unit="µs",
                        value=getattr(registry, name) / 1e3, workers=WORKERS,
                        note=f"{registry.n} kills"))
    for name in ("p50", "p99"):
        rows.append(Row(key=f"restart.answer.{name}", scenario="5. restart",
                        case="kill() → new child's first reply", metric=name, unit="µs",
                        value=getattr(answer, name) / 1e3, baseline=getattr(spawned, name) / 1e3,
                        baseline_name="bare spawn → first reply", workers=WORKERS,
                        note=f"{answer.n} kills"))
    return rows
