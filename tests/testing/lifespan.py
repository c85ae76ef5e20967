"""Run an ASGI application's lifespan the way a server does (httpx's transport does not)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.types import ASGIApp

Message = MutableMapping[str, Any]


@asynccontextmanager
async def lifespan(app: ASGIApp, timeout: float = 10.0) -> AsyncIterator[None]:
    """Send ``lifespan.startup``, yield once it completed, then shut the application down.

    Raises:
        RuntimeError: the application reported a startup or shutdown failure.
    """
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}

    async def serve() -> None:
        await app(scope, inbox.get, outbox.put)

    task = asyncio.create_task(serve())

    async def step(message: str) -> None:
        await inbox.put({"type": f"lifespan.{message}"})
        async with asyncio.timeout(timeout):
            reply = await outbox.get()
        if reply["type"] != f"lifespan.{message}.complete":
            raise RuntimeError(f"lifespan {message} failed: {reply.get('message', reply)}")

    try:
        await step("startup")
        yield
        await step("shutdown")
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
