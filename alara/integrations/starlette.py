"""Starlette and FastAPI: a lifespan that opens one network for the application.

::

    from alara.integrations.starlette import get_network, health_endpoint, lifespan

    app = FastAPI(lifespan=lifespan(workers=3))
    app.add_api_route("/health", health_endpoint)

    @app.get("/token")
    async def token(network: alara.Network = Depends(get_network)) -> dict[str, str]:
        return {"token": await network.token_urlsafe(32)}

The network starts before the first request and closes after the last (Starlette runs the
lifespan's end once connections and background tasks are done). It lives in the lifespan
*state*, so each request reads it from ``request.state`` (Starlette's recommended place, a
copy per request), not from a global.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

import alara
from alara.integrations._health import check_health

__all__ = ["STATE_KEY", "get_network", "health_endpoint", "lifespan"]

STATE_KEY = "alara"
"""The lifespan-state key of the network (``request.state.alara``)."""

Lifespan = Callable[[Any], AbstractAsyncContextManager[Mapping[str, Any]]]
"""What ``Starlette(lifespan=...)`` and ``FastAPI(lifespan=...)`` take (one that yields state)."""


def lifespan(app_lifespan: Callable[[Any], AbstractAsyncContextManager[Any]] | None = None,
             **options: Any) -> Lifespan:
    """A lifespan that opens ``alara.create_network(**options)`` around ``app_lifespan``.

    ``app_lifespan``, the application's own lifespan if it has one, runs inside, with the
    network already serving; the state it yields is merged with ``{"alara": network}``.

    Raises:
        TypeError, ValueError: ``options`` are not ``create_network``'s (checked here, not at
        startup, so a typo fails where it is written).
    """
    alara.create_network(**options)  # validates; the network itself is made at startup

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[dict[str, Any]]:
        async with alara.create_network(**options) as network:
            if app_lifespan is None:
                yield {STATE_KEY: network}
                return
            async with app_lifespan(app) as state:
                yield {**(state or {}), STATE_KEY: network}

    return run


def get_network(request: Request) -> alara.Network:
    """The application's network, for a handler or a FastAPI ``Depends(get_network)``.

    Raises:
        RuntimeError: the application was not started with ``lifespan()``.
    """
    network = getattr(request.state, STATE_KEY, None)
    if not isinstance(network, alara.Network):
        raise RuntimeError("no alara network in the request state: start the application "
                           "with lifespan=alara.integrations.starlette.lifespan(...)")
    return network


async def health_endpoint(request: Request) -> JSONResponse:
    """200 while the application's network serves, 503 with the reason while it does not."""
    health = check_health(get_network(request))
    return JSONResponse(health.body(), status_code=health.code)
