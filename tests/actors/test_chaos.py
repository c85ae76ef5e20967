"""Random interleavings of calls, casts, crashes, kills, cancellations and stops.

Hypothesis picks the sequence; the property is the framework's core promise: every caller
gets an answer or an ``ActorDiedError`` (or its own cancellation) in bounded time, the
supervisor keeps its registry consistent, and after shutdown no task or error is left over.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alara.actors import (
    ActorDiedError,
    ActorRef,
    CallTimeoutError,
    ChildSpec,
    OneForOneSupervisor,
    spawn,
)
from tests.actors.behaviours import Crasher
from tests.helpers import BOUND

CHILDREN = 3

Op = tuple[str, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["call", "ask", "cast", "crash", "kill", "cancel", "stop", "yield"]),
        st.integers(0, CHILDREN - 1),
    ),
    max_size=40,
)


async def scenario(script: list[Op]) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    before = asyncio.all_tasks()
    supervisor = OneForOneSupervisor(
        [ChildSpec(f"c{i}", Crasher) for i in range(CHILDREN)], max_restarts=1_000
    )
    await supervisor.start()
    calls: list[asyncio.Future[Any]] = []
    cancelled: list[asyncio.Future[Any]] = []
    standalone: list[ActorRef] = []
    for action, index in script:
        ref = supervisor.child_ref(f"c{index}")
        assert ref is not None  # permanent children never leave the registry
        try:
            if action == "call":
                calls.append(asyncio.ensure_future(ref.call(len(calls), timeout=BOUND)))
            elif action == "ask":
                calls.append(ref.ask(len(calls)))
            elif action == "cast":
                ref.cast("cast")
            elif action == "crash":
                calls.append(ref.ask("crash"))
            elif action == "kill":
                ref.kill("chaos")
            elif action == "cancel" and calls:
                calls[-1].cancel()
                cancelled.append(calls[-1])
            elif action == "stop":
                calls.append(asyncio.ensure_future(ref.stop(timeout=BOUND)))
            elif action == "yield":
                await asyncio.sleep(0)
        except ActorDiedError:
            pass  # a dead or stopping ref failed fast: allowed
        if action == "kill" and index == 0:  # a standalone actor killed before its first step
            lone = spawn(Crasher())
            lone.kill("early")
            standalone.append(lone)

    async with asyncio.timeout(BOUND):
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        for lone in standalone:
            await lone.wait()
        await supervisor.stop()
        await supervisor.wait()
        while asyncio.all_tasks() != before:  # noqa: ASYNC110 -- bounded; tasks end on their own
            await asyncio.sleep(0)

    for call, outcome in zip(calls, outcomes, strict=True):
        if call in cancelled and call.cancelled():
            continue
        assert not isinstance(outcome, CallTimeoutError), "a caller was left waiting"
        assert not isinstance(outcome, BaseException) or isinstance(outcome, ActorDiedError), (
            outcome
        )
    assert supervisor.error is None
    assert sorted(child.id for child in supervisor.which_children()) == [
        f"c{i}" for i in range(CHILDREN)
    ]
    assert supervisor.live_refs() == []
    assert not reported, [context.get("message") for context in reported]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_no_interleaving_leaves_a_caller_hanging(script: list[Op]) -> None:
    asyncio.run(scenario(script))
