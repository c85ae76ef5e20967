"""The Starlette/FastAPI lifespan, end to end through Starlette's and FastAPI's test clients
(which run the lifespan as a server does, on a loop of their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import alara
from alara import OsSource
from alara.integrations.starlette import STATE_KEY, get_network, health_endpoint, lifespan
from tests.doubles.switch import SwitchSource, quarantine


def test_fastapi_handlers_get_the_one_network_of_the_lifespan() -> None:
    app = FastAPI(lifespan=lifespan(workers=2))
    seen: list[alara.Network] = []

    @app.get("/token")
    async def token(network: alara.Network = Depends(get_network)) -> dict[str, str]:  # noqa: B008
        seen.append(network)
        return {"token": await network.token_hex(16)}

    app.add_api_route("/health", health_endpoint)
    with TestClient(app) as client:
        tokens = {client.get("/token").json()["token"] for _ in range(5)}
        assert len(tokens) == 5
        assert all(len(token) == 32 for token in tokens)
        health = client.get("/health")
        assert (health.status_code, health.json()["running"]) == (200, 2)
    assert len(set(map(id, seen))) == 1
    assert seen[0].closed  # the lifespan's end closed it


def test_the_health_endpoint_says_why_the_pool_does_not_serve() -> None:
    switch = SwitchSource()

    async def degrade(request: Request) -> JSONResponse:
        await quarantine(get_network(request), switch)
        return JSONResponse({})

    app = Starlette(routes=[Route("/health", health_endpoint), Route("/degrade", degrade)],
                    lifespan=lifespan(sources=[OsSource(), switch]))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        client.get("/degrade")
        health = client.get("/health")
        assert health.status_code == 503
        assert "worker-1 quarantined" in health.json()["reason"]


def test_the_application_lifespan_runs_inside_with_its_state_merged() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def app_lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        events.append("start")
        yield {"db": "connection"}
        events.append("stop")

    async def both(request: Request) -> JSONResponse:
        return JSONResponse({"db": request.state.db,
                             "network": type(getattr(request.state, STATE_KEY)).__name__})

    app = Starlette(routes=[Route("/", both)], lifespan=lifespan(app_lifespan, workers=1))
    with TestClient(app) as client:
        assert client.get("/").json() == {"db": "connection", "network": "Network"}
    assert events == ["start", "stop"]


def test_without_the_lifespan_the_handler_is_told() -> None:
    async def token(request: Request) -> JSONResponse:
        get_network(request)
        return JSONResponse({})

    with TestClient(Starlette(routes=[Route("/", token)])) as client, \
            pytest.raises(RuntimeError, match="no alara network in the request state"):
        client.get("/")


def test_bad_options_fail_where_they_are_written() -> None:
    with pytest.raises(ValueError, match="workers"):
        lifespan(workers=0)
