"""Rounds: many callers served by few gathers, each still mixed from its own fresh contributions.

The collector batches the callers that arrive while a round is in flight into the next round
and asks every worker once for ``k x size`` bytes. That is only as safe as DESIGN.md requires
if every caller gets its own disjoint ``size``-byte slice of every worker's reply (so its
output depends on a fresh contribution from every live worker that nobody else saw), and if
nobody is left hanging when a caller, the leader or a worker goes away mid-round.

``HeldSource`` holds every read until the test lets it through, so a round stays in flight
exactly as long as the test needs, and records every block it gave, so each output can be
traced back to the very slices it was mixed from (``trace``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import types
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

import alara
from alara import Network, NoWorkersError, SupervisorGaveUpError, mix
from alara.entropy import MIN_CONTRIBUTION
from alara.entropy._collect import Collector, CollectPolicy, _Lead
from tests.entropy.recording import RecordingSource
from tests.helpers import until

BOUND = 2.0
"""Every wait in this module is bounded by this; nothing should take more than milliseconds."""

Slot = tuple[int, int]
"""(read index, slice index): where in every worker's record one caller's contributions are."""


class HeldSource:
    """Honest bytes from ``os.urandom``; while ``holding``, every read waits for ``release``.

    ``blocks`` keeps every block given, in order. A read that is killed while held is
    cancelled before it reads anything, so it leaves no block: the record holds exactly the
    bytes that reached a worker's reply.
    """

    def __init__(self) -> None:
        self.blocks: list[bytes] = []
        self.gates: list[asyncio.Future[None]] = []
        self.holding = False

    async def read(self, n: int) -> bytes:
        if self.holding:
            gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.gates.append(gate)
            await gate
        data = os.urandom(n)
        self.blocks.append(data)
        return data

    def waiting(self) -> bool:
        """True while a read is held at the gate."""
        return any(not gate.done() for gate in self.gates)

    def release(self, *, hold: bool) -> None:
        """Let every held read through; later reads are held again if ``hold``."""
        self.holding = hold
        gates, self.gates = self.gates, []
        for gate in gates:
            if not gate.done():
                gate.set_result(None)


def hold(sources: Sequence[HeldSource]) -> None:
    for source in sources:
        source.holding = True


def release(sources: Sequence[HeldSource], *, hold: bool = False) -> None:
    for source in sources:
        source.release(hold=hold)


async def round_in_flight(sources: Sequence[HeldSource]) -> None:
    """Wait until every worker is inside a held read."""
    await until(lambda: all(source.waiting() for source in sources))


async def parked(collector: Collector, count: int) -> None:
    """Wait until ``count`` callers are parked in ``collector``, waiting for the next round."""
    await until(lambda: collector.waiting == count)


async def draw(collector: Collector, n: int) -> bytes:
    """What ``Network.random_bytes`` does with a collector: mix one caller's contributions."""
    return mix(await collector.collect(asyncio.get_running_loop().time()), n)


def start(collector: Collector, count: int, n: int = 32) -> list[asyncio.Task[bytes]]:
    return [asyncio.ensure_future(draw(collector, n)) for _ in range(count)]


async def followers_behind_a_round(
    collector: Collector,
    sources: Sequence[HeldSource],
    count: int,
    *,
    first_n: int = 32,
    n: int = 32,
) -> tuple[asyncio.Task[bytes], list[asyncio.Task[bytes]]]:
    """The scene most tests start from: one caller's round held in flight, ``count`` parked.

    Returns the first caller (the leader of the held round) and its followers, which are all
    waiting in ``collector`` for the next round when this returns.
    """
    hold(sources)
    first = start(collector, 1, first_n)[0]
    await round_in_flight(sources)
    followers = start(collector, count, n)
    await parked(collector, count)
    return first, followers


async def hold_the_next_round(first: asyncio.Task[bytes], sources: Sequence[HeldSource]) -> None:
    """End ``first``'s round and wait until the followers' round is held in its turn."""
    release(sources, hold=True)
    await until(lambda: first.done() and all(source.waiting() for source in sources))


def trace(
    sources: Sequence[HeldSource],
    outputs: Sequence[tuple[int, bytes]],
    size: int = MIN_CONTRIBUTION,
) -> list[Slot]:
    """Where each ``(n, output)`` came from; fails unless every caller had slices of its own.

    Every worker must have made the same reads (one per round, ``k x size`` bytes each). The
    candidates are slice ``i`` of read ``r`` of every worker; each output must be the mix of
    exactly one candidate (in worker order), must not be the mix of that candidate without any
    one worker, and no candidate may serve two callers.
    """
    records = [source.blocks for source in sources]
    shape = [len(block) for block in records[0]]
    assert all([len(block) for block in blocks] == shape for blocks in records), (
        "the workers were not asked for the same rounds"
    )
    assert all(length % size == 0 for length in shape), f"a read is not a multiple of {size}"
    candidates = {
        (r, i): [blocks[r][i * size : (i + 1) * size] for blocks in records]
        for r, length in enumerate(shape)
        for i in range(length // size)
    }
    used: list[Slot] = []
    for n, output in outputs:
        assert len(output) == n
        hits = [slot for slot, parts in candidates.items() if mix(parts, n) == output]
        assert len(hits) == 1, f"an output of {n} bytes matches {len(hits)} sets of slices"
        parts = candidates[hits[0]]
        for left_out in range(len(parts)):
            assert mix(parts[:left_out] + parts[left_out + 1 :], n) != output
        used.append(hits[0])
    assert len(set(used)) == len(used), "two callers were served from the same slices"
    return used


def _other_tasks() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current}


@pytest.fixture(autouse=True)
async def no_leaks(no_loop_errors: None) -> AsyncIterator[None]:
    """Fail a test that leaves a task behind or an error nobody retrieved (``no_loop_errors``).

    A cancelled caller must not leave a parked future or a round running for nobody, and a
    round error set on a follower's future must reach that follower.
    """
    before = _other_tasks()
    yield
    try:
        await until(lambda: _other_tasks() <= before)
    except TimeoutError:
        pytest.fail(f"tasks left behind: {_other_tasks() - before}")


@asynccontextmanager
async def pool(
    workers: int = 3,
    *,
    size: int = MIN_CONTRIBUTION,
    min_sources: int = 1,
    contribution_timeout: float = 1.0,
    max_restarts: int = 10,
) -> AsyncIterator[tuple[Network, Collector, list[HeldSource]]]:
    """A network of held sources, and a collector of the test's own on its supervisor.

    The test drives the collector directly so that it can look at who is waiting and act in
    the very step in which a round is handed over.
    """
    sources = [HeldSource() for _ in range(workers)]
    async with alara.create_network(
        sources=sources, health=None, max_restarts=max_restarts, contribution_size=size
    ) as net:
        collector = Collector(
            net.supervisor,
            CollectPolicy(size=size, timeout=BOUND, contribution_timeout=contribution_timeout,
                          min_sources=min_sources),
            configured=workers,
            busy_since=net._pool._busy_since,
            missing=net._pool.missing,
        )
        try:
            yield net, collector, sources
        finally:
            release(sources)  # held reads must end, or the workers' graceful stop waits on them
            collector.close()


# -- many callers, few rounds, a slice each ----------------------------------------------------


async def test_fifty_concurrent_callers_share_two_reads_per_worker_each_with_its_own_slices(
) -> None:
    sources = [HeldSource() for _ in range(3)]
    sizes = [16, 31, 32, 33, 64, 100, 1000, 4096]  # different n in the same round
    wanted = [sizes[i % len(sizes)] for i in range(50)]
    async with alara.create_network(sources=sources, health=None) as net:
        hold(sources)
        first = asyncio.ensure_future(net.random_bytes(32))
        await round_in_flight(sources)
        crowd = asyncio.gather(*(net.random_bytes(n) for n in wanted))  # all park behind `first`
        release(sources)
        async with asyncio.timeout(BOUND):
            outputs = [await first, *await crowd]
    assert [len(block) for block in sources[0].blocks] == [32, 50 * 32]
    assert all(len(source.blocks) == 2 for source in sources)  # 51 callers, 2 reads per worker
    slots = trace(sources, list(zip([32, *wanted], outputs, strict=True)))
    assert sorted(slots) == [(0, 0)] + [(1, i) for i in range(50)]  # nothing read was wasted
    assert len(set(outputs)) == len(outputs)


async def test_every_caller_gets_fresh_contributions_from_every_worker_in_every_round() -> None:
    size = 48  # not a multiple of 32: slicing must follow the policy's size
    async with pool(size=size) as (_net, collector, sources):
        outputs: list[tuple[int, bytes]] = []
        for wave in range(3):
            async with asyncio.timeout(BOUND):
                outputs.append((40, await draw(collector, 40)))  # a lone caller: one read each
            first, crowd = await followers_behind_a_round(
                collector, sources, 5 + wave, first_n=8 + wave, n=64
            )
            release(sources)
            async with asyncio.timeout(BOUND):
                results = await asyncio.gather(first, *crowd)
            outputs += [(len(result), result) for result in results]
        slots = trace(sources, outputs, size)
    reads = [len(block) // size for block in sources[0].blocks]
    assert reads == [1, 1, 5, 1, 1, 6, 1, 1, 7]  # lone, round leader, round of followers
    assert len(slots) == sum(reads)  # every slice read went to exactly one caller
    assert not collector.in_round


def reachable_bytes(root: object, *, skip: Sequence[object]) -> set[bytes]:
    """Every ``bytes`` object reachable from ``root`` through its state (not through code,
    types, modules or the objects in ``skip``)."""
    opaque = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
              types.CodeType, asyncio.AbstractEventLoop)
    seen = {id(thing) for thing in skip}
    found: set[bytes] = set()
    stack = [root]
    while stack:
        thing = stack.pop()
        if id(thing) in seen or isinstance(thing, opaque):
            continue
        seen.add(id(thing))
        if type(thing) is bytes:
            found.add(thing)
        else:
            stack += gc.get_referents(thing)
    return found


async def test_the_collector_keeps_no_contribution_once_its_callers_are_served() -> None:
    """The façade holds no entropy between requests: not in a round record, not in a timer."""
    async with pool() as (net, collector, sources):
        async with asyncio.timeout(BOUND):
            await draw(collector, 32)  # a lone caller
        first, crowd = await followers_behind_a_round(collector, sources, 4)
        release(sources)
        async with asyncio.timeout(BOUND):
            await asyncio.gather(first, *crowd)
        contributions = {
            block[i : i + 32] for source in sources for block in source.blocks
            for i in range(0, len(block), 32)
        } | {block for source in sources for block in source.blocks}
        assert len(contributions) == 2 * 3 + 4 * 3 + 3  # lone, round 1, round 2 (+3 whole reads)
        kept = reachable_bytes(collector, skip=[net.supervisor, *sources])  # they log blocks
        assert not kept & contributions


# -- cancellation ------------------------------------------------------------------------------


@pytest.mark.parametrize("victim", [0, 3], ids=["next-in-line", "further-back"])
async def test_a_follower_cancelled_while_waiting_leaves_the_others_served(victim: int) -> None:
    async with pool() as (_net, collector, sources):
        first, followers = await followers_behind_a_round(collector, sources, 6)
        followers[victim].cancel()
        release(sources)
        served = [first] + [task for task in followers if task is not followers[victim]]
        async with asyncio.timeout(BOUND):
            outputs = await asyncio.gather(*served)
            with pytest.raises(asyncio.CancelledError):
                await followers[victim]
        trace(sources, [(32, output) for output in outputs])
    assert [len(block) for block in sources[0].blocks] == [32, 5 * 32]  # no slice for the victim
    assert not collector.in_round
    assert collector.waiting == 0


@pytest.mark.parametrize("promoted", [False, True], ids=["first-leader", "promoted-leader"])
async def test_a_leader_cancelled_mid_round_hands_the_round_to_its_followers(
    promoted: bool,
) -> None:
    async with pool() as (_net, collector, sources):
        first, followers = await followers_behind_a_round(collector, sources, 5)
        served: list[asyncio.Task[bytes]] = []
        if promoted:  # end round 1; the followers' round is then held in its turn
            await hold_the_next_round(first, sources)
            served.append(first)
            leader, rest = followers[0], followers[1:]
        else:
            leader, rest = first, followers
        leader.cancel()
        late = start(collector, 2)  # arrive after the cancellation, while a round is in flight
        release(sources)
        async with asyncio.timeout(BOUND):
            outputs = await asyncio.gather(*served, *rest, *late)
            with pytest.raises(asyncio.CancelledError):
                await leader
        slots = trace(sources, [(32, output) for output in outputs])
    abandoned = 1 if promoted else 0  # the cancelled leader's read: finished, given to nobody
    assert len(sources[0].blocks) >= abandoned + 2
    assert all(read != abandoned for read, _ in slots[len(served) :])
    assert not collector.in_round


@pytest.mark.parametrize(
    ("waiting", "cancelled"),
    [(1, 1), (5, 1), (5, 2)],
    ids=["alone", "with-followers", "next-in-line-cancelled-too"],
)
async def test_a_caller_promoted_then_cancelled_before_it_runs_passes_the_lead_on(
    waiting: int, cancelled: int
) -> None:
    async with pool() as (_net, collector, sources):
        victims: list[asyncio.Task[bytes]] = []

        async def lead_then_cancel() -> bytes:
            output = await draw(collector, 32)
            # Same step as the hand-over: the promoted caller has not run since it was chosen.
            for victim in victims:
                victim.cancel()
            return output

        hold(sources)
        first = asyncio.ensure_future(lead_then_cancel())
        await round_in_flight(sources)
        followers = start(collector, waiting)
        await parked(collector, waiting)
        promotion, _ = collector._waiting[0]
        victims += followers[:cancelled]
        release(sources)
        async with asyncio.timeout(BOUND):
            outputs = await asyncio.gather(first, *followers[cancelled:])
            for victim in victims:
                with pytest.raises(asyncio.CancelledError):
                    await victim
            assert type(promotion.result()) is _Lead  # the victim had been handed the round
            assert not collector.in_round
            outputs.append(await draw(collector, 32))  # a later caller leads a round of its own
        trace(sources, [(32, output) for output in outputs])
    reads = [len(block) // 32 for block in sources[0].blocks]
    assert reads == ([1, waiting - cancelled, 1] if waiting > cancelled else [1, 1])


# -- the lone caller's remembered refs follow the registry --------------------------------------


async def test_a_lone_caller_asks_every_worker_of_the_registry_as_it_is_now() -> None:
    """The refs of the last round are reused only while the registry is unchanged: a
    restarted worker, an added one and a removed one are all seen by the next lone caller."""
    sources = [RecordingSource() for _ in range(3)]
    async with alara.create_network(sources=sources, min_sources=2) as net:
        assert len(await net.random_bytes(32)) == 32  # every worker has started
        victim = net.supervisor.child_ref("worker-1")
        assert victim is not None
        victim.kill("chaos")
        await until(lambda: net.supervisor.child_ref("worker-1") not in (None, victim))
        for source in sources:
            source.reset()
        assert len(await net.random_bytes(32)) == 32
        assert [source.sizes for source in sources] == [[32], [32], [32]]  # the new worker-1

        added = RecordingSource()
        await net.add_worker(added)
        assert len(await net.random_bytes(32)) == 32
        assert added.sizes == [32]

        await net.supervisor.terminate_child("worker-0")
        for source in (*sources, added):
            source.reset()
        assert len(await net.random_bytes(32)) == 32  # min_sources=2: served by the three left
        assert [source.sizes for source in (*sources, added)] == [[], [32], [32], [32]]


class FloorCluster:
    """A cluster without machines; the test moves its count of remote workers itself."""

    remote_timeout = 1.0

    def __init__(self) -> None:
        self.pool: alara.ClusterPool | None = None

    async def start(self, pool: alara.ClusterPool) -> None:
        self.pool = pool

    async def stop(self) -> None:
        pass

    def nodes(self) -> list[alara.ClusterNode]:
        return []

    def on_child_exit(self, child_id: str, exit: alara.Exit) -> bool | None:
        return None

    def describe(self) -> dict[str, Any] | None:
        return {"kind": "floor"}


async def test_a_raised_floor_is_seen_by_the_next_lone_caller() -> None:
    """The configured count (moved by a cluster) changes the fail-closed floor without a
    registry change: the next caller must be refused, not served from the remembered refs."""
    cluster = FloorCluster()
    async with alara.create_network(3, cluster=cluster) as net:
        assert len(await net.random_bytes(32)) == 32
        assert cluster.pool is not None
        cluster.pool.set_remote(1)
        with pytest.raises(NoWorkersError, match="at least 4 required"):
            await net.random_bytes(32)
        cluster.pool.set_remote(0)
        assert len(await net.random_bytes(32)) == 32


# -- failing rounds ----------------------------------------------------------------------------


async def test_a_round_short_of_workers_fails_all_its_callers_with_one_error_then_recovers(
) -> None:
    async with pool(min_sources=3) as (net, collector, sources):
        first, followers = await followers_behind_a_round(collector, sources, 5)
        stopping = asyncio.ensure_future(net.supervisor.terminate_child("worker-2"))
        await until(lambda: net.supervisor.size == 2)
        release(sources)
        async with asyncio.timeout(BOUND):
            assert len(await first) == 32  # round 1 was asked of all three workers
            errors = await asyncio.gather(*followers, return_exceptions=True)
            await stopping
        assert isinstance(errors[0], NoWorkersError)
        assert all(error is errors[0] for error in errors)  # one round, one error
        assert "at least 3 required" in str(errors[0])
        assert not collector.in_round
        async with asyncio.timeout(BOUND):
            with pytest.raises(NoWorkersError):  # a later caller is told at once, not parked
                await draw(collector, 32)
            await net.add_worker(HeldSource())
            assert len(await draw(collector, 32)) == 32  # and served once the pool is whole


async def test_a_round_whose_supervisor_gives_up_fails_all_its_callers_with_that_error() -> None:
    async with pool(max_restarts=0) as (net, collector, sources):
        first, followers = await followers_behind_a_round(collector, sources, 6)
        await hold_the_next_round(first, sources)  # round 1 ends; the followers' is held
        victim = net.supervisor.child_ref("worker-0")
        assert victim is not None
        victim.kill("chaos")
        await until(lambda: net.supervisor.error is not None)
        release(sources)  # the others answer, and can stop
        async with asyncio.timeout(BOUND):
            assert len(await first) == 32
            errors = await asyncio.gather(*followers, return_exceptions=True)
        gave_up = net.supervisor.error
        assert isinstance(gave_up, SupervisorGaveUpError)
        assert all(error is gave_up for error in errors)
        assert not collector.in_round
        async with asyncio.timeout(BOUND):
            with pytest.raises(SupervisorGaveUpError):
                await draw(collector, 32)
        assert not collector.in_round


async def test_a_follower_cancelled_as_its_round_fails_ends_cancelled() -> None:
    """Cancellation wins over a round error that the follower had not yet seen."""
    async with pool(min_sources=3) as (net, collector, sources):
        victims: list[asyncio.Task[bytes]] = []

        async def lead_then_cancel() -> bytes:
            try:
                return await draw(collector, 32)
            finally:  # same step as the failure: the victim has its error, but has not run
                for victim in victims:
                    victim.cancel()

        hold(sources)
        first = start(collector, 1)[0]
        await round_in_flight(sources)
        leader = asyncio.ensure_future(lead_then_cancel())
        victims += start(collector, 1)
        others = start(collector, 2)
        await parked(collector, 4)
        stopping = asyncio.ensure_future(net.supervisor.terminate_child("worker-2"))
        await until(lambda: net.supervisor.size == 2)
        release(sources)
        async with asyncio.timeout(BOUND):
            assert len(await first) == 32
            errors = await asyncio.gather(leader, *others, return_exceptions=True)
            with pytest.raises(asyncio.CancelledError):
                await victims[0]
            await stopping
        assert all(isinstance(error, NoWorkersError) for error in errors)
        assert not collector.in_round


# -- a worker dying mid-round ------------------------------------------------------------------


async def test_a_worker_killed_mid_round_is_asked_again_for_the_whole_round() -> None:
    async with pool() as (net, collector, sources):
        first, followers = await followers_behind_a_round(collector, sources, 8)
        await hold_the_next_round(first, sources)  # round 1 ends; the followers' is held
        victim = net.supervisor.child_ref("worker-1")
        assert victim is not None
        victim.kill("chaos")
        release(sources)  # the others answer; the restarted worker-1 is not held
        async with asyncio.timeout(BOUND):
            outputs = await asyncio.gather(first, *followers)
        replacement = net.supervisor.child_ref("worker-1")
        assert replacement is not None
        assert replacement is not victim
        assert replacement.is_alive()
        slots = trace(sources, [(32, output) for output in outputs])
    # The killed read gave nothing; its replacement was asked for the whole round, k x 32.
    assert [len(block) for block in sources[1].blocks] == [32, 8 * 32]
    assert sorted(slots) == [(0, 0)] + [(1, i) for i in range(8)]
    assert not collector.in_round


async def test_a_hung_worker_in_a_round_is_left_out_at_the_deadline_and_every_caller_served(
) -> None:
    async with pool(contribution_timeout=0.02) as (net, collector, sources):
        first, followers = await followers_behind_a_round(collector, sources, 4)
        await hold_the_next_round(first, sources)  # round 1 ends; the followers' is held
        hung = net.supervisor.child_ref("worker-2")
        release(sources[:2])  # worker-0 and worker-1 answer; worker-2 never does
        async with asyncio.timeout(BOUND):
            outputs = await asyncio.gather(*followers)
        assert hung is not None
        assert not hung.is_alive()  # killed at the deadline (its supervisor restarts it)
        slots = trace(sources[:2], [(32, output) for output in outputs])
    assert sorted(slots) == [(1, i) for i in range(4)]
    assert len(first.result()) == 32
    assert [len(block) for block in sources[2].blocks] == [32]  # its held read never answered
