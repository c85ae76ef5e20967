"""The installed ASGI example (``alara.examples.asgi``), through Starlette's test client, which
runs the application's lifespan (and hands its state to requests) as a server does."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from alara.examples.asgi import app as installed_app
from alara.examples.asgi import create_app
from alara.testing import HangingSource, seeded_sources


def _tokens(client: TestClient, count: int, **params: int) -> list[str]:
    with ThreadPoolExecutor(4) as pool:  # concurrent requests, into the app's one loop
        responses = list(pool.map(lambda _: client.get("/token", params=params), range(count)))
    assert [response.status_code for response in responses] == [200] * count
    return [response.json()["token"] for response in responses]


def _decoded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_tokens_come_from_the_network_the_lifespan_started() -> None:
    with TestClient(create_app(workers=3)) as client:
        assert client.get("/health").json() == {
            "serving": True, "reason": None, "running": 3, "restarting": 0, "required": 3,
            "quarantined": []}
        tokens = _tokens(client, 20)
        assert len(set(tokens)) == 20
        assert all(len(_decoded(token)) == 32 for token in tokens)
        [sized] = _tokens(client, 1, nbytes=100)
        assert len(_decoded(sized)) == 100


def test_the_installed_app_runs_as_a_server_would_run_it() -> None:
    with TestClient(installed_app) as client:
        assert client.get("/health").status_code == 200
        assert len(_decoded(client.get("/token").json()["token"])) == 32


@pytest.mark.parametrize(
    ("nbytes", "error"),
    [("abc", "nbytes must be an integer"), ("0", "nbytes must be in [1, 1024]"),
     ("1025", "nbytes must be in [1, 1024]")],
)
def test_bad_input_is_a_400_and_the_network_keeps_serving(nbytes: str, error: str) -> None:
    with TestClient(create_app()) as client:
        bad = client.get("/token", params={"nbytes": nbytes})
        assert (bad.status_code, bad.json()) == (400, {"error": error})
        assert client.get("/token").status_code == 200


def test_a_hung_source_is_a_503_not_a_hung_request() -> None:
    app: Starlette = create_app(sources=[HangingSource()], timeout=0.5, contribution_timeout=0.1)
    with TestClient(app) as client:
        started = time.monotonic()
        response = client.get("/token")
        assert time.monotonic() - started < 10
        assert response.status_code == 503
        assert response.json()["error"] in {"NoWorkersError", "PoolDegradedError",
                                            "WorkerDiedError"}
        assert "token" not in response.json()


def test_seeded_sources_make_the_app_reproducible() -> None:
    def tokens() -> list[str]:
        with TestClient(create_app(sources=seeded_sources(5, 3))) as client:
            return [client.get("/token").json()["token"] for _ in range(3)]

    first = tokens()
    assert tokens() == first
    assert len(set(first)) == 3
