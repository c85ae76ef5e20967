"""The async web example: a Starlette app on alara, tested through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from starlette.applications import Starlette

import alara
from alara.testing import HangingSource, seeded_sources
from tests.testing.asgi_app import create_app
from tests.testing.lifespan import lifespan


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://app")


async def test_tokens_come_from_the_network_the_lifespan_started_and_closes() -> None:
    app = create_app(workers=3)
    async with lifespan(app), _client(app) as client:
        network: alara.Network = app.state.network
        assert not network.closed
        responses = await asyncio.gather(*(client.get("/token") for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20
        tokens = [r.json()["token"] for r in responses]
        assert len(set(tokens)) == 20
        assert all(len(base64.urlsafe_b64decode(t + "=")) == 32 for t in tokens)
        sized = await client.get("/token", params={"nbytes": 100})
        assert len(base64.urlsafe_b64decode(sized.json()["token"] + "==")) == 100
        assert (await client.get("/health")).json() == {"workers": 3}
    assert network.closed
    assert not hasattr(app.state, "network")


@pytest.mark.parametrize(
    ("nbytes", "error"),
    [("abc", "nbytes must be an integer"), ("0", "nbytes must be in [1, 1024]"),
     ("1025", "nbytes must be in [1, 1024]")],
)
async def test_bad_input_is_a_400_and_the_network_keeps_serving(nbytes: str, error: str) -> None:
    app = create_app()
    async with lifespan(app), _client(app) as client:
        bad = await client.get("/token", params={"nbytes": nbytes})
        assert (bad.status_code, bad.json()) == (400, {"error": error})
        assert (await client.get("/token")).status_code == 200


async def test_a_hung_source_is_a_503_not_a_hung_request() -> None:
    app = create_app(sources=[HangingSource()], timeout=0.5, contribution_timeout=0.1)
    async with lifespan(app), _client(app) as client:
        async with asyncio.timeout(10):
            response = await client.get("/token")
        assert response.status_code == 503
        assert response.json()["error"] in {"NoWorkersError", "PoolDegradedError",
                                            "WorkerDiedError"}
        assert "token" not in response.json()


async def test_seeded_sources_make_the_app_reproducible() -> None:
    async def tokens() -> list[str]:
        app = create_app(sources=seeded_sources(5, 3))
        async with lifespan(app), _client(app) as client:
            return [(await client.get("/token")).json()["token"] for _ in range(3)]

    first = await tokens()
    assert await tokens() == first
    assert len(set(first)) == 3
