"""``python -m benchmarks.peers``: alara's actor framework next to other Python actor frameworks.

Same process, same run: every framework answers the same echo message through its own usual
API, in repetitions whose order alternates, and the table gives each row's median with ratios
against hand-written bare asyncio (one task per actor draining an ``asyncio.Queue``, replies
via futures) and against the best peer. Peers: pykka (a thread per actor; its caller blocks,
so "500 callers" is 500 requests in flight per window) and xoscar (an in-process asyncio
pool). A peer not installed is skipped with a message (the ``peers`` extra).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.metadata
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from alara.actors import Actor, ActorRef, spawn
from benchmarks._harness import (
    LoopKind,
    MemoryProbe,
    Progress,
    Side,
    arguments,
    cell,
    clock,
    heading,
    interleaved,
    medians,
    percentile,
    provenance,
    run_on,
    settle,
    write_files,
)

MESSAGE = b"ping"
_STOP = object()


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much each row measures, per framework and repetition (``calls`` per caller)."""

    pings: int = 3_000
    callers: int = 500
    calls: int = 20
    start: int = 1_000
    stop: int = 10_000


FULL, QUICK = Sizes(), Sizes(pings=200, calls=2, start=100, stop=500)

ROWS: dict[str, tuple[str, str, bool]] = {  # key: (label, unit, higher is better)
    "ask": ("ask ping-pong p50", "µs", False),
    "fanout": ("fan-out to 3 actors p50", "µs", False),
    "rate": ("throughput, 500 callers → 3 actors", "msg/s", True),
    "start": ("start 1,000 actors, to every one answering", "ms", False),
    "stop": ("10,000 actors stopped", "ms", False),
    "memory": ("memory per idle actor (10,000; tracemalloc)", "KiB", False),
}


class Peer:
    """One framework through the operations the rows need. A ``blocking`` one answers through
    calls that block the caller: ``send`` puts a request in flight, ``wait_all`` collects."""

    name = module = ""
    blocking = False
    lib: Any = None

    async def open(self) -> None:
        """Set up what the framework runs actors in (a pool, a registry)."""

    async def close(self) -> None:
        """Tear it down again."""

    async def start(self, n: int) -> list[Any]:
        """``n`` started echo actors."""
        raise NotImplementedError

    def ask(self, actor: Any) -> Callable[[], Any]:
        """A function making one request (an awaitable, unless ``blocking``)."""
        raise NotImplementedError

    def send(self, actor: Any) -> Any:
        """A blocking framework's request in flight."""
        raise NotImplementedError

    def wait_all(self, pending: list[Any]) -> None:
        """A blocking framework's wait for the replies of ``pending``."""
        raise NotImplementedError

    async def stop(self, actors: list[Any]) -> None:
        """Stop every actor and wait until they have ended."""
        raise NotImplementedError


class _Echo(Actor):
    async def handle_call(self, message: Any) -> Any:
        return message


class Alara(Peer):
    """alara: ``spawn`` an ``Actor``; ``ref.ask`` (a future)."""

    name = "alara"

    async def start(self, n: int) -> list[Any]:
        return [spawn(_Echo()) for _ in range(n)]

    def ask(self, actor: ActorRef) -> Callable[[], Any]:
        return functools.partial(actor.ask, MESSAGE)

    async def stop(self, actors: list[ActorRef]) -> None:
        await asyncio.gather(*(actor.stop() for actor in actors))


class _BareActor:
    """The baseline: one task draining one ``asyncio.Queue`` of (message, reply future)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[Any, asyncio.Future[Any] | None]] = asyncio.Queue()
        self.task = self.loop.create_task(self._run())

    def ask(self, message: Any) -> asyncio.Future[Any]:
        reply = self.loop.create_future()
        self.queue.put_nowait((message, reply))
        return reply

    async def _run(self) -> None:
        while True:
            message, reply = await self.queue.get()
            if message is _STOP:
                return
            if reply is not None and not reply.done():
                reply.set_result(message)


class Bare(Peer):
    """Bare asyncio: what any task-per-actor design costs before it adds anything."""

    name = "bare asyncio"

    async def start(self, n: int) -> list[Any]:
        return [_BareActor() for _ in range(n)]

    def ask(self, actor: _BareActor) -> Callable[[], Any]:
        return functools.partial(actor.ask, MESSAGE)

    async def stop(self, actors: list[_BareActor]) -> None:
        for actor in actors:
            actor.queue.put_nowait((_STOP, None))
        await asyncio.gather(*(actor.task for actor in actors))


class Pykka(Peer):
    """pykka 4: a ``ThreadingActor`` (a thread) per actor; ``ref.ask(msg)`` blocks."""

    name, module, blocking = "pykka", "pykka", True

    async def start(self, n: int) -> list[Any]:
        echo: Any = type("Echo", (self.lib.ThreadingActor,), {"on_receive": lambda _, m: m})
        return [echo.start() for _ in range(n)]

    def ask(self, actor: Any) -> Callable[[], Any]:
        return functools.partial(actor.ask, MESSAGE)

    def send(self, actor: Any) -> Any:
        return actor.ask(MESSAGE, block=False)

    def wait_all(self, pending: list[Any]) -> None:
        self.lib.get_all(pending)

    async def stop(self, actors: list[Any]) -> None:
        self.wait_all([actor.stop(block=False) for actor in actors])

    async def close(self) -> None:
        self.lib.ActorRegistry.stop_all()


class Xoscar(Peer):
    """xoscar 0.12: actors in an in-process pool (``n_process=0``); ``await ref.method()``."""

    name, module = "xoscar", "xoscar"

    async def open(self) -> None:
        self.pool = await self.lib.create_actor_pool("127.0.0.1", n_process=0)
        self.serial = 0

    async def close(self) -> None:
        await self.pool.stop()

    async def start(self, n: int) -> list[Any]:
        async def ping(_: Any, message: Any) -> Any:
            return message

        echo = type("Echo", (self.lib.StatelessActor,), {"ping": ping})
        self.serial += n
        address = self.pool.external_address
        return list(await asyncio.gather(*(
            self.lib.create_actor(echo, address=address, uid=f"echo-{self.serial}-{i}")
            for i in range(n))))

    def ask(self, actor: Any) -> Callable[[], Any]:
        return functools.partial(actor.ping, MESSAGE)

    async def stop(self, actors: list[Any]) -> None:
        await asyncio.gather(*(self.lib.destroy_actor(actor) for actor in actors))


PEERS: tuple[type[Peer], ...] = (Alara, Bare, Pykka, Xoscar)


async def _p50(peer: Peer, operation: Callable[[], Any], n: int) -> float:
    """Median µs of ``n`` sequential operations, after a tenth as many untimed."""
    samples: list[int] = []
    for _ in range(n // 10 + n):
        begin = clock()
        if peer.blocking:
            operation()
        else:
            await operation()
        samples.append(clock() - begin)
    return percentile(samples[n // 10:], 0.5) / 1e3


def _fan_out(peer: Peer, actors: list[Any]) -> Callable[[], Any]:
    if peer.blocking:
        return lambda: peer.wait_all([peer.send(actor) for actor in actors])
    asks = [peer.ask(actor) for actor in actors]
    return lambda: asyncio.gather(*(ask() for ask in asks))


async def _rate(peer: Peer, actors: list[Any], sizes: Sizes) -> float:
    """Messages per second with ``sizes.callers`` requests in flight over ``actors``."""
    begin = clock()
    if peer.blocking:
        for _ in range(sizes.calls):
            peer.wait_all([peer.send(actors[i % len(actors)]) for i in range(sizes.callers)])
    else:
        async def caller(operation: Callable[[], Any]) -> None:
            for _ in range(sizes.calls):
                await operation()

        await asyncio.gather(*(caller(peer.ask(actors[i % len(actors)]))
                               for i in range(sizes.callers)))
    return sizes.callers * sizes.calls / ((clock() - begin) / 1e9)


async def _all_answer(peer: Peer, actors: list[Any]) -> None:
    if peer.blocking:
        peer.wait_all([peer.send(actor) for actor in actors])
    else:
        await asyncio.gather(*(peer.ask(actor)() for actor in actors))


async def _measure(peer: Peer, sizes: Sizes) -> dict[str, float]:
    """One repetition of every row ``peer`` takes part in."""
    figures: dict[str, float] = {}
    await peer.open()
    try:
        actors = await peer.start(3)
        figures["ask"] = await _p50(peer, peer.ask(actors[0]), sizes.pings)
        figures["fanout"] = await _p50(peer, _fan_out(peer, actors), sizes.pings)
        figures["rate"] = await _rate(peer, actors, sizes)
        await peer.stop(actors)
        begin = clock()
        actors = await peer.start(sizes.start)
        await _all_answer(peer, actors)
        figures["start"] = (clock() - begin) / 1e6
        await peer.stop(actors)
        with MemoryProbe() as probe:
            actors = await peer.start(sizes.stop)
            await settle()
        figures["memory"] = probe.net / sizes.stop / 1024
        begin = clock()
        await peer.stop(actors)
        figures["stop"] = (clock() - begin) / 1e6
    finally:
        await peer.close()
    return figures


def _side(peer: Peer, sizes: Sizes, loop: LoopKind, failures: list[str]) -> dict[str, float]:
    """One repetition of ``peer`` on a fresh loop; a peer that fails is reported, not fatal."""
    try:
        return run_on(loop, functools.partial(_measure, peer, sizes))
    except Exception as error:
        if isinstance(peer, (Alara, Bare)):
            raise
        failures.append(f"{peer.name}: a repetition failed: {type(error).__name__}: {error}")
        return {}


def markdown(medians: dict[str, dict[str, float]]) -> str:
    """One row per measure, one column per framework; alara's figure over bare asyncio's and
    over the best peer's (below 1 is better for times and memory, above 1 for rates)."""
    names = list(medians)
    others = [name for name in names if name not in ("alara", "bare asyncio")]
    head = " | alara ÷ bare | best peer | alara ÷ best peer | alara |"
    lines = ["| row | " + " | ".join(names) + head, "|---" * (len(names) + 5) + "|"]
    for key, (label, unit, higher) in ROWS.items():
        values = {name: medians[name].get(key) for name in names}
        alara, bare = values["alara"], values["bare asyncio"]
        peers = {name: v for name in others if (v := values[name]) is not None}
        best = (max if higher else min)(peers, key=peers.__getitem__, default=None)
        cells = [cell(values[name], unit) for name in names]
        cells.append(f"{alara / bare:.2f}x" if alara and bare else "")
        cells.append(best or "")
        if alara and best:
            leads = (alara > peers[best]) == higher
            cells += [f"{alara / peers[best]:.2f}x", "leads" if leads else "trails"]
        else:
            cells += ["", ""]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the peer comparison, print the table, write JSON and Markdown."""
    parser = arguments("python -m benchmarks.peers", __doc__, "peers")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, metavar="PEER",
                        help="the peers to run (alara and bare asyncio always run)")
    parser.add_argument("--loop", choices=["default", "uvloop"], default="default",
                        help="the event loop of every framework that runs on one")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    say = Progress()
    meta = {**provenance(), "sizes": asdict(sizes), "loop": args.loop}
    sides: dict[str, Side] = {}
    skipped: list[str] = []
    for kind in PEERS:
        peer = kind()
        if peer.module and args.only is not None and peer.name not in args.only:
            continue
        if peer.module:
            try:
                peer.lib = importlib.import_module(peer.module)
            except ImportError:
                skipped.append(f"{peer.name}: not installed (the `peers` extra)")
                continue
            meta[f"{peer.name}_version"] = importlib.metadata.version(peer.name)
        sides[peer.name] = functools.partial(_side, peer, sizes, args.loop, skipped)
    found = medians(interleaved(sides, args.repetitions, say))
    text = (heading(meta, f"median of {args.repetitions} repetitions") + markdown(found)
            + "".join(f"\n- skipped: {reason}" for reason in skipped))
    write_files(args, {"meta": meta, "medians": found, "skipped": skipped}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
