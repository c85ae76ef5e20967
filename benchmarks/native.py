"""``make bench-native``: alara's drop-ins against the standard library, as ratios in one run.

Each row times alara and what a user would use instead, alternately in the same process
(``--repeats`` pairs, the median of each side), so a noisy neighbour slows both alike:

* ``alara.secrets.token_hex()`` vs ``secrets.token_hex()``: one thread (p50, p99 per call)
  and 8 threads (calls per second, all threads together);
* ``await alara.token_hex()`` vs ``secrets.token_hex()`` in a coroutine: p50 per call, and
  500 concurrent tasks (calls per second);
* ``alara.Random().random()`` vs ``random.SystemRandom().random()``;
* two real apps (``benchmarks.native_apps``: FastAPI on uvicorn, Flask on gunicorn gthread),
  served on loopback and loaded by a small keep-alive client (``--requests`` requests over
  32 connections), each app once with ``secrets`` and once with alara: requests per second.

Apps need the ``bench`` extra; ``--no-apps`` skips them. Every server is stopped at the end
of its measurement, and every wait is bounded.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import alara

__all__ = ["main"]

Row = tuple[str, float, float, str]  # name, alara, stdlib, unit


def latency(call: Callable[[], object], count: int) -> tuple[float, float]:
    """p50 and p99 of ``count`` calls, in microseconds."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        start = clock()
        call()
        samples.append(clock() - start)
    samples.sort()
    return samples[count // 2] / 1e3, samples[count * 99 // 100] / 1e3


def threaded(call: Callable[[], object], threads: int, seconds: float) -> float:
    """Calls per second of ``threads`` threads calling ``call`` for ``seconds``."""
    stop = threading.Event()
    counts = [0] * threads

    def run(index: int) -> None:
        while not stop.is_set():
            for _ in range(100):
                call()
            counts[index] += 100

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    stop.wait(seconds)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    return sum(counts) / (time.perf_counter() - start)


async def async_latency(call: Callable[[], Awaitable[object]], count: int) -> float:
    """p50 of ``count`` awaited calls, in microseconds."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        start = clock()
        await call()
        samples.append(clock() - start)
    return statistics.median(samples) / 1e3


async def concurrent(call: Callable[[], Awaitable[object]], callers: int, each: int) -> float:
    """Calls per second of ``callers`` tasks making ``each`` calls."""
    async def caller() -> None:
        for _ in range(each):
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return callers * each / (time.perf_counter() - start)


async def _stdlib_token() -> str:
    return secrets.token_hex()


def paired(measure: Callable[[Callable[[], object]], float], ours: Callable[[], object],
           theirs: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The median of ``measure`` over ``repeats`` alternating runs of each side."""
    mine, stdlib = [], []
    for _ in range(repeats):
        stdlib.append(measure(theirs))
        mine.append(measure(ours))
    return statistics.median(mine), statistics.median(stdlib)


def micro_rows(repeats: int, count: int) -> list[Row]:
    """The rows without servers."""
    alara.secrets.token_hex()  # start the process default and key this thread
    p50 = paired(lambda f: latency(f, count)[0], alara.secrets.token_hex, secrets.token_hex,
                 repeats)
    p99 = paired(lambda f: latency(f, count)[1], alara.secrets.token_hex, secrets.token_hex,
                 repeats)
    eight = paired(lambda f: threaded(f, 8, 1.0), alara.secrets.token_hex, secrets.token_hex,
                   repeats)
    ours, theirs = alara.Random(), random.SystemRandom()
    rand = paired(lambda f: latency(f, count)[0], ours.random, theirs.random, repeats)

    async def run_async() -> tuple[tuple[float, float], tuple[float, float]]:
        await alara.token_hex()  # start this loop's default network
        lat = [await async_latency(f, count) for _ in range(repeats)
               for f in (_stdlib_token, alara.token_hex)]
        many = [await concurrent(f, 500, max(1, count // 500)) for _ in range(repeats)
                for f in (_stdlib_token, alara.token_hex)]
        return ((statistics.median(lat[1::2]), statistics.median(lat[::2])),
                (statistics.median(many[1::2]), statistics.median(many[::2])))

    awaited, crowd = asyncio.run(run_async())
    return [
        ("alara.secrets.token_hex(), 1 thread, p50", *p50, "us"),
        ("alara.secrets.token_hex(), 1 thread, p99", *p99, "us"),
        ("alara.secrets.token_hex(), 8 threads", *eight, "calls/s"),
        ("await alara.token_hex(), p50", *awaited, "us"),
        ("await alara.token_hex(), 500 tasks", *crowd, "calls/s"),
        ("alara.Random().random(), p50", *rand, "us"),
    ]


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
        rows.append((f"{name}, req/s", statistics.median(rates["alara"]),
                     statistics.median(rates["secrets"]), "req/s"))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the table (markdown)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.native", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--count", type=int, default=50_000, help="calls per latency run")
    parser.add_argument("--requests", type=int, default=4000, help="requests per app run")
    parser.add_argument("--no-apps", action="store_true", help="skip the real apps")
    args = parser.parse_args(argv)
    rows = micro_rows(args.repeats, args.count)
    if not args.no_apps:
        rows += app_rows(args.repeats, args.requests)
    print("| row | alara | stdlib | alara / stdlib |\n|---|---|---|---|")
    for name, mine, theirs, unit in rows:
        print(f"| {name} | {mine:,.2f} {unit} | {theirs:,.2f} {unit} | {mine / theirs:.2f}x |")


if __name__ == "__main__":
    main()
