"""An actor whose loop is gone before it ended (a network never closed, at interpreter exit):
when its task is destroyed, nothing runs on its behalf, since nobody is left to tell."""

from __future__ import annotations

import asyncio
import gc

from alara.actors import Actor, ActorRef, Exit, spawn


class Idle(Actor):
    """Waits for messages that never come."""


def test_an_actor_destroyed_with_its_loop_tells_nobody() -> None:
    exits: list[Exit] = []
    loop = asyncio.new_event_loop()

    async def start() -> ActorRef:
        ref = spawn(Idle())
        ref.monitor(lambda _ref, exit: exits.append(exit))
        await asyncio.sleep(0)  # its first step: it now waits on its mailbox
        return ref

    ref = loop.run_until_complete(start())
    assert ref.is_alive()
    loop.close()  # the actor's task is still pending
    del ref
    gc.collect()  # the task is destroyed unfinished
    assert exits == []
