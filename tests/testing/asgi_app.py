"""An ASGI application on Starlette that serves tokens from an alara network.

The network belongs to the application's lifespan: it starts before the first request, every
request shares it, and it closes when the server shuts down. ``docs/testing.md`` walks
through it; ``test_asgi_app.py`` tests it through httpx's ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import alara

MAX_TOKEN_BYTES = 1024


def create_app(**network_options: Any) -> Starlette:
    """The application; ``network_options`` go to ``alara.create_network`` at startup."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with alara.create_network(**network_options) as network:
            app.state.network = network
            try:
                yield
            finally:
                del app.state.network

    return Starlette(
        routes=[Route("/token", token), Route("/health", health)],
        lifespan=lifespan,
    )


async def token(request: Request) -> JSONResponse:
    """``{"token": ...}``: ``nbytes`` (default 32) random bytes, URL-safe base64."""
    try:
        nbytes = int(request.query_params.get("nbytes", "32"))
    except ValueError:
        return JSONResponse({"error": "nbytes must be an integer"}, status_code=400)
    if not 1 <= nbytes <= MAX_TOKEN_BYTES:
        return JSONResponse({"error": f"nbytes must be in [1, {MAX_TOKEN_BYTES}]"},
                            status_code=400)
    network: alara.Network = request.app.state.network
    try:
        value = await network.token_urlsafe(nbytes)
    except alara.AlaraError as error:  # the network refused: fail closed, say why
        return JSONResponse({"error": type(error).__name__}, status_code=503)
    return JSONResponse({"token": value})


async def health(request: Request) -> JSONResponse:
    """How many workers are running."""
    network: alara.Network = request.app.state.network
    return JSONResponse({"workers": len(network.get_nodes())})
