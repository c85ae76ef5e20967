"""``python -m benchmarks.peers``: alara's actor framework next to other Python actor frameworks.

Every framework answers the same echo message through its usual API, in repetitions of
alternating order: alara, a bare asyncio actor written by hand (a task draining a queue) and
pykka (a thread per actor; skipped with a message without the ``peers`` extra).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.metadata
import itertools
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from alara.actors import Actor, spawn
from benchmarks._harness import (
    Side,
    arguments,
    cell,
    clock,
    heading,
    interleaved,
    medians,
    percentile,
    progress,
    provenance,
    run_on,
    settle,
    write_files,
)
from benchmarks.requests import alternating, rates

MESSAGE = b"ping"
_STOP = object()
ROWS = {  # key: (label, unit)
    "ask": ("ask ping-pong p50", "µs"),
    "fanout": ("fan-out to 3 actors p50", "µs"),
    "rate": ("throughput, 500 callers → 3 actors", "msg/s"),
    "start": ("start 1,000 actors, to every one answering", "ms"),
    "stop": ("10,000 actors stopped", "ms"),
}


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much each row measures, per framework and repetition (``calls`` per caller)."""

    pings: int = 3_000
    callers: int = 500
    calls: int = 20
    start: int = 1_000
    stop: int = 10_000


class Peer:
    """One framework: ``start`` echo actors, ``ask`` one (an awaitable), ``stop`` them."""

    name = ""

    async def close(self) -> None:
        """Whatever the framework keeps after its actors stopped."""


class _Echo(Actor):
    async def handle_call(self, message: Any) -> Any:
        return message


class Alara(Peer):
    """alara: ``spawn`` an ``Actor``; ``ref.ask`` (a future)."""

    name = "alara"

    async def start(self, n: int) -> list[Any]:
        return [spawn(_Echo()) for _ in range(n)]

    def ask(self, actor: Any) -> Awaitable[Any]:
        return actor.ask(MESSAGE)  # type: ignore[no-any-return]

    async def stop(self, actors: list[Any]) -> None:
        await asyncio.gather(*(actor.stop() for actor in actors))


class Bare(Peer):
    """Bare asyncio: a task draining a queue per actor, the floor of a task-per-actor design."""

    name = "bare asyncio"

    async def start(self, n: int) -> list[Any]:
        return [self._spawn() for _ in range(n)]

    @staticmethod
    def _spawn() -> tuple[asyncio.Queue[Any], asyncio.Task[None]]:
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def run() -> None:
            while (item := await queue.get())[0] is not _STOP:
                if not item[1].done():
                    item[1].set_result(item[0])

        return queue, asyncio.get_running_loop().create_task(run())

    def ask(self, actor: Any) -> Awaitable[Any]:
        reply = asyncio.get_running_loop().create_future()
        actor[0].put_nowait((MESSAGE, reply))
        return reply

    async def stop(self, actors: list[Any]) -> None:
        for queue, _ in actors:
            queue.put_nowait((_STOP, None))
        await asyncio.gather(*(task for _, task in actors))


class Pykka(Peer):
    """pykka: a thread per actor; its awaited future sends, yields, then blocks for the reply."""

    name = "pykka"

    def __init__(self) -> None:
        self.lib: Any = importlib.import_module("pykka")

    async def start(self, n: int) -> list[Any]:
        echo: Any = type("Echo", (self.lib.ThreadingActor,), {"on_receive": lambda _, m: m})
        return [echo.start() for _ in range(n)]

    def ask(self, actor: Any) -> Awaitable[Any]:
        return actor.ask(MESSAGE, block=False)  # type: ignore[no-any-return]

    async def stop(self, actors: list[Any]) -> None:
        self.lib.get_all([actor.stop(block=False) for actor in actors])

    async def close(self) -> None:
        self.lib.ActorRegistry.stop_all()


async def _p50(operation: Callable[[], Awaitable[Any]], n: int) -> float:
    """Median µs of ``n`` operations one after another, after a tenth as many untimed."""
    return percentile((await alternating({"": operation}, n, 1, n // 10))[""], 0.5) / 1e3


async def _fan_out(peer: Any, actors: list[Any]) -> None:
    await asyncio.gather(*(peer.ask(actor) for actor in actors))


async def _measure(peer: Any, sizes: Sizes) -> dict[str, float]:
    """One repetition of every row."""
    figures: dict[str, float] = {}
    try:
        actors = await peer.start(3)
        figures["ask"] = await _p50(functools.partial(peer.ask, actors[0]), sizes.pings)
        figures["fanout"] = await _p50(functools.partial(_fan_out, peer, actors), sizes.pings)
        turn = itertools.cycle(actors)
        figures["rate"] = (await rates({"": lambda: peer.ask(next(turn))}, sizes.callers,
                                       sizes.calls, 1))[""]
        await peer.stop(actors)
        begin = clock()
        actors = await peer.start(sizes.start)
        await _fan_out(peer, actors)
        figures["start"] = (clock() - begin) / 1e6
        await peer.stop(actors)
        actors = await peer.start(sizes.stop)
        await settle()
        begin = clock()
        await peer.stop(actors)
        figures["stop"] = (clock() - begin) / 1e6
    finally:
        await peer.close()
    return figures


def markdown(found: dict[str, dict[str, float]]) -> str:
    """One row per measure, one column per framework, then alara over each of the others
    (below 1 is better for times and memory, above 1 for rates)."""
    names = list(found)
    lines = ["| row | " + " | ".join(names) + "".join(f" | alara ÷ {n}" for n in names[1:])
             + " |", "|---" * (2 * len(names)) + "|"]
    for key, (label, unit) in ROWS.items():
        values = [found[name].get(key) for name in names]
        ratios = [f"{values[0] / v:.2f}x" if values[0] and v else "" for v in values[1:]]
        lines.append(f"| {label} | " + " | ".join([*(cell(v, unit) for v in values), *ratios])
                     + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison, print the table, write JSON and Markdown."""
    parser = arguments("python -m benchmarks.peers", __doc__, "peers")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true", help="alara and bare asyncio only")
    args = parser.parse_args(argv)
    sizes = Sizes(pings=200, calls=2, start=100, stop=500) if args.quick else Sizes()
    meta: dict[str, Any] = {**provenance(), "sizes": asdict(sizes)}
    sides: dict[str, Side] = {}
    skipped: list[str] = []
    peers: list[Peer] = [Alara(), Bare()]
    try:
        peers += [] if args.no_peers else [Pykka()]
        meta["pykka_version"] = importlib.metadata.version("pykka")
    except ImportError:
        skipped.append("pykka: not installed (the `peers` extra)")
    for peer in peers:
        sides[peer.name] = functools.partial(run_on, "default",
                                             functools.partial(_measure, peer, sizes))
    found = medians(interleaved(sides, args.repetitions, progress))
    text = (heading(meta, f"median of {args.repetitions} repetitions") + markdown(found)
            + "".join(f"\n- skipped: {reason}" for reason in skipped))
    write_files(args, {"meta": meta, "medians": found, "skipped": skipped}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
