"""The WSGI app of the gunicorn tests: every response is the worker's pid, the token drawn
at import (in the master under ``--preload``) and fresh output of the three sync ways in."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import alara

NETWORK = alara.BlockingNetwork(2).start()
AT_IMPORT = NETWORK.token_hex()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    fresh = [NETWORK.token_hex(), alara.secrets.token_hex(), f"{alara.Random().getrandbits(128):x}"]
    body = " ".join([str(os.getpid()), AT_IMPORT, *fresh])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
