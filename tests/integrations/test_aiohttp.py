"""The aiohttp cleanup context and typed app key, on a real loopback server."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from alara import OsSource
from alara.integrations.aiohttp import NETWORK, health_handler, network_ctx
from tests.doubles.switch import SwitchSource, quarantine


async def token(request: web.Request) -> web.Response:
    network = request.config_dict[NETWORK]
    return web.json_response({"token": await network.token_hex(16)})


async def test_the_network_serves_while_the_application_runs() -> None:
    app = web.Application()
    app.cleanup_ctx.append(network_ctx(workers=2))
    app.router.add_get("/token", token)
    app.router.add_get("/health", health_handler)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        network = app[NETWORK]
        responses = await asyncio.gather(*(client.get("/token") for _ in range(10)))
        tokens = {(await response.json())["token"] for response in responses}
        assert len(tokens) == 10
        health = await client.get("/health")
        assert health.status == 200
        assert (await health.json())["running"] == 2
        assert not network.closed
    assert network.closed


async def test_a_sub_application_finds_it_and_health_turns_503() -> None:
    switch = SwitchSource()
    app = web.Application()
    app.cleanup_ctx.append(network_ctx(sources=[OsSource(), switch]))
    sub = web.Application()
    sub.router.add_get("/health", health_handler)
    app.add_subapp("/ops", sub)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        assert (await client.get("/ops/health")).status == 200
        await quarantine(app[NETWORK], switch)
        health = await client.get("/ops/health")
        assert health.status == 503
        assert "worker-1 quarantined" in (await health.json())["reason"]


def test_bad_options_fail_where_they_are_written() -> None:
    with pytest.raises(TypeError):
        network_ctx(sources="os")
    assert isinstance(NETWORK, web.AppKey)
