"""The drop-ins against the standard library, alternating in one process (``make bench-native``):
``alara.secrets.token_hex()`` from 1 thread (p50, p99) and 8 (calls/s), ``await
alara.token_hex()`` (p50, 500 tasks), ``alara.Random().random()``; and two real apps
(``benchmarks.native_apps``, on loopback) served with ``secrets`` and with alara (req/s).
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import alara
import alara.secrets
from benchmarks._harness import Row, clock, percentile
from benchmarks.requests import alternating, rates


def threaded(call: Callable[[], object], threads: int, calls: int) -> float:
    """Calls per second of ``threads`` threads making ``calls`` calls each, once all started."""
    ready = threading.Barrier(threads + 1)

    def run() -> None:
        ready.wait()
        for _ in range(calls):
            call()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    ready.wait()
    start = clock()
    for thread in pool:
        thread.join()
    return threads * calls / ((clock() - start) / 1e9)


async def _stdlib_token() -> str:
    return secrets.token_hex()


def _timed(call: Callable[[], object], count: int) -> list[int]:
    samples = []
    for _ in range(count):
        start = clock()
        call()
        samples.append(clock() - start)
    return samples


async def _awaited(count: int) -> tuple[dict[str, list[int]], dict[str, float]]:
    sides = {"await secrets": _stdlib_token, "await alara": alara.token_hex}
    return (await alternating(sides, count, 1),
            await rates(sides, 500, max(1, count // 500), 1))


def micro_rows(repeats: int, count: int) -> list[Row]:
    """The rows without servers: each side's median over ``repeats`` alternating runs."""
    ours, theirs = alara.Random(), random.SystemRandom()
    alara.secrets.token_hex()  # start the process default and key this thread
    runs: dict[str, list[float]] = {}
    for _ in range(repeats):
        sync: dict[str, Callable[[], object]] = {
            "secrets": secrets.token_hex, "alara.secrets": alara.secrets.token_hex,
            "SystemRandom": theirs.random, "alara.Random": ours.random}
        for name, call in sync.items():
            samples = _timed(call, count)
            runs.setdefault(f"{name} p50", []).append(percentile(samples, 0.5) / 1e3)
            runs.setdefault(f"{name} p99", []).append(percentile(samples, 0.99) / 1e3)
        for name, call in (("secrets", secrets.token_hex),
                           ("alara.secrets", alara.secrets.token_hex)):
            runs.setdefault(f"{name} 8", []).append(threaded(call, 8, count))
        awaited, crowd = asyncio.run(_awaited(count))
        for name, samples in awaited.items():
            runs.setdefault(f"{name} p50", []).append(percentile(samples, 0.5) / 1e3)
        for name, rate in crowd.items():
            runs.setdefault(f"{name} rate", []).append(rate)
    got = {name: statistics.median(values) for name, values in runs.items()}
    rows = [("alara.secrets.token_hex(), 1 thread, p50", "alara.secrets p50", "secrets p50"),
            ("alara.secrets.token_hex(), 1 thread, p99", "alara.secrets p99", "secrets p99"),
            ("alara.secrets.token_hex(), 8 threads", "alara.secrets 8", "secrets 8"),
            ("await alara.token_hex(), p50", "await alara p50", "await secrets p50"),
            ("await alara.token_hex(), 500 tasks", "await alara rate", "await secrets rate"),
            ("alara.Random().random(), p50", "alara.Random p50", "SystemRandom p50")]
    return [_row(label, got[ours], got[theirs],
                 "µs" if ours.endswith(("p50", "p99")) else "calls/s")
            for label, ours, theirs in rows]


def _row(label: str, ours: float, theirs: float, unit: str) -> Row:
    return Row(f"native.{label}", label, unit, ours, theirs, "stdlib",
               higher_is_better=unit.endswith("/s"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(command: list[str], port: int, tokens: str) -> Iterator[None]:
    """Run a server until the block ends; wait (bounded) until it accepts connections."""
    env = {**os.environ, "BENCH_TOKENS": tokens}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"server did not start: {' '.join(command)}") from None
                time.sleep(0.1)  # a server starting up: nothing to wait on but its port
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


async def load(port: int, requests: int, connections: int = 32) -> float:
    """Requests per second of ``connections`` keep-alive clients sharing ``requests``."""
    request = b"GET /token HTTP/1.1\r\nHost: bench\r\n\r\n"

    async def client(count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(count):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
        writer.close()

    start = time.perf_counter()
    async with asyncio.timeout(300):
        await asyncio.gather(*(client(requests // connections) for _ in range(connections)))
    return requests // connections * connections / (time.perf_counter() - start)


def app_rows(repeats: int, requests: int) -> list[Row]:
    """FastAPI on uvicorn and Flask on gunicorn (gthread), with ``secrets`` and with alara."""
    python = sys.executable
    apps = {
        "FastAPI on uvicorn": [python, "-m", "uvicorn", "--factory", "--no-access-log",
                               "--log-level", "warning", "--port", "{port}",
                               "benchmarks.native_apps:fastapi_app"],
        "Flask on gunicorn gthread": [python, "-m", "gunicorn", "-k", "gthread",
                                      "--threads", "8", "-w", "1", "-b", "127.0.0.1:{port}",
                                      "benchmarks.native_apps:flask_app()"],
    }
    rows: list[Row] = []
    for name, template in apps.items():
        rates: dict[str, list[float]] = {"secrets": [], "alara": []}
        for _ in range(repeats):
            for tokens in rates:
                port = _free_port()
                with serving([part.format(port=port) for part in template], port, tokens):
                    asyncio.run(load(port, requests // 10))  # warm up: start, keys, caches
                    rates[tokens].append(asyncio.run(load(port, requests)))
        rows.append(_row(name, statistics.median(rates["alara"]),
                         statistics.median(rates["secrets"]), "req/s"))
    return rows
