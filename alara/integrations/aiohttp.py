"""aiohttp: a cleanup context that opens one network for the application.

::

    from alara.integrations.aiohttp import NETWORK, health_handler, network_ctx

    app = web.Application()
    app.cleanup_ctx.append(network_ctx(workers=3))
    app.router.add_get("/health", health_handler)

    async def token(request: web.Request) -> web.Response:
        network = request.config_dict[NETWORK]
        return web.json_response({"token": await network.token_urlsafe(32)})

aiohttp runs the part of a cleanup context after its ``yield`` if and only if the part before
it finished, so a network that failed to start is never closed and one that started always
is. ``NETWORK`` is a typed ``web.AppKey``: ``request.config_dict[NETWORK]`` is a
``Network`` to a type checker too, and sub-applications find it through ``config_dict``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

import alara
from alara.integrations._health import check_health

__all__ = ["NETWORK", "health_handler", "network_ctx"]

NETWORK: web.AppKey[alara.Network] = web.AppKey("alara_network", alara.Network)
"""Where ``network_ctx`` puts the application's network."""


def network_ctx(**options: Any) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context (``app.cleanup_ctx.append(...)``) serving
    ``alara.create_network(**options)`` as ``app[NETWORK]`` while the application runs.

    Raises:
        TypeError, ValueError: ``options`` are not ``create_network``'s (checked here).
    """
    alara.create_network(**options)  # validates; the network itself is made at startup

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with alara.create_network(**options) as network:
            app[NETWORK] = network
            yield

    return context


async def health_handler(request: web.Request) -> web.Response:
    """200 while the application's network serves, 503 with the reason while it does not."""
    health = check_health(request.config_dict[NETWORK])
    return web.json_response(health.body(), status=health.code)
