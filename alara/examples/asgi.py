"""An ASGI application on Starlette that serves tokens from one alara network.

Run it with any ASGI server, e.g. ``uvicorn alara.examples.asgi:app``. The network belongs to
the application's lifespan (``alara.integrations.starlette.lifespan``): it starts before the
first request, every request shares it, and it closes when the server shuts down.

* ``GET /token?nbytes=32``: ``{"token": ...}``, ``nbytes`` random bytes as URL-safe base64;
  400 for a bad ``nbytes``; 503 with the error's name when the network refuses (fail closed).
* ``GET /health``: 200 while the network serves, 503 with the reason while it does not.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import alara
from alara.integrations.starlette import get_network, health_endpoint, lifespan

__all__ = ["MAX_TOKEN_BYTES", "app", "create_app", "token"]

MAX_TOKEN_BYTES = 1024
"""Largest ``nbytes`` a client may ask for."""


def create_app(**network_options: Any) -> Starlette:
    """The application; ``network_options`` go to ``alara.create_network`` at startup.

    Raises:
        TypeError, ValueError: ``network_options`` are not ``create_network``'s.
    """
    return Starlette(
        routes=[Route("/token", token), Route("/health", health_endpoint)],
        lifespan=lifespan(**network_options),
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
    try:
        value = await get_network(request).token_urlsafe(nbytes)
    except alara.AlaraError as error:  # the network refused: fail closed, say why
        return JSONResponse({"error": type(error).__name__}, status_code=503)
    return JSONResponse({"token": value})


app = create_app()
"""The application with a default network (3 workers from the OS CSPRNG)."""
