"""The two real apps of ``make bench-native``: one route returning a fresh token, from alara's
drop-ins when ``BENCH_TOKENS=alara`` (``await alara.token_hex()`` in FastAPI,
``alara.secrets.token_hex()`` in Flask), else from the standard ``secrets``."""

from __future__ import annotations

import os
import secrets
from typing import Any

import alara

ALARA = os.environ.get("BENCH_TOKENS") == "alara"


def fastapi_app() -> Any:
    """The FastAPI app (``uvicorn --factory benchmarks.native_apps:fastapi_app``)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/token")
    async def token() -> dict[str, str]:
        return {"token": await alara.token_hex() if ALARA else secrets.token_hex()}

    return app


def flask_app() -> Any:
    """The Flask app (``gunicorn 'benchmarks.native_apps:flask_app()'``)."""
    from flask import Flask

    app = Flask(__name__)

    @app.get("/token")
    def token() -> dict[str, str]:
        return {"token": alara.secrets.token_hex() if ALARA else secrets.token_hex()}

    return app
