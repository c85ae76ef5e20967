"""``python -m benchmarks.peers``: alara's actor framework next to other Python actor frameworks.

Same process, same run: every framework answers the same echo message through its own usual
API, in 3 repetitions whose order alternates (so a noisy neighbour slows everyone alike), and
the table gives each row's median over the repetitions with ratios against a hand-written bare
asyncio baseline (one task per actor draining an ``asyncio.Queue``, replies via futures) and
against the best peer. Peers: pykka (one thread per actor), thespian (``simpleSystemBase``: the
caller's own thread runs every actor), xoscar (an in-process actor pool), Ray local actors (one
process per actor: only the message rows). A peer that is not installed is skipped with a
message: ``pip install 'alara[peers]'``.

Threaded and synchronous frameworks block their caller, so they are driven by plain calls
(inside a coroutine that has the loop to itself); "500 callers" for them is 500 requests in
flight at once (futures, or messages told and then listened for) per window.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import importlib
import importlib.metadata
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from alara.actors import Actor, ActorRef, ChildSpec, OneForOneSupervisor, spawn
from benchmarks.measure import LoopKind, MemoryProbe, clock, percentile, run_on, settle
from benchmarks.restart import replacement
from benchmarks.runs import Progress, cell, compare, comparison_arguments, provenance

__all__ = ["main"]

MESSAGE = b"ping"
TIMEOUT = 5.0  # seconds: alara's default call timeout, given to every peer that takes one
_STOP, _CRASH = object(), object()


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much each row measures, per framework and repetition."""

    pings: int = 3_000
    callers: int = 500
    calls: int = 20  # per caller
    start: int = 1_000
    stop: int = 10_000
    crashes: int = 1_000


FULL, QUICK = Sizes(), Sizes(pings=200, calls=2, start=100, stop=500, crashes=50)

ROWS: dict[str, tuple[str, str, bool]] = {  # key: (label, unit, higher is better)
    "ask": ("ask ping-pong p50", "µs", False),
    "call": (f"request with a {TIMEOUT:g} s timeout p50 (alara: `await ref.call(msg)`)", "µs",
             False),
    "fanout": ("fan-out to 3 actors p50", "µs", False),
    "rate_ask": ("throughput, 500 callers → 3 actors, ask", "msg/s", True),
    "rate_call": ("throughput, 500 callers → 3 actors, with timeout (call)", "msg/s", True),
    "start": ("start 1,000 actors, to every one answering", "ms", False),
    "stop": ("stop 10,000 actors", "ms", False),
    "memory": ("memory per idle actor (10,000; tracemalloc)", "KiB", False),
    "crash": ("crash → replacement answering p50", "µs", False),
    "kill": ("alara only: `kill()` → replacement answering p50 (÷ bare: its crash row)", "µs",
             False),
    "supervised_stop": ("alara only: `Supervisor.stop()` of 10,000 children (÷ bare: its stop "
                        "row)", "ms", False),
}
BARE_ROW = {"kill": "crash", "supervised_stop": "stop"}  # alara-only rows: what bare compares to


# -- the frameworks -------------------------------------------------------------------------


class Peer:
    """One framework, seen through the operations the rows need.

    ``blocking`` frameworks answer through plain calls that block the caller; the others
    return awaitables. ``send`` + ``wait_all`` put many requests in flight at once.
    """

    name = ""
    module = ""
    blocking = False
    rows: frozenset[str] = frozenset(ROWS) - {"crash", *BARE_ROW}
    hint = "pip install 'alara[peers]'"

    def __init__(self) -> None:
        self.lib: Any = None

    def load(self) -> str | None:
        """Import the framework; a reason to skip it if it is missing."""
        if self.module:
            try:
                self.lib = importlib.import_module(self.module)
            except ImportError:
                return f"{self.name}: not installed ({self.hint})"
        return None

    async def open(self) -> None:
        """Set up whatever the framework runs actors in (a system, a pool)."""

    async def close(self) -> None:
        """Tear it down again."""

    async def start(self, n: int) -> list[Any]:
        """Start ``n`` echo actors; their handles."""
        raise NotImplementedError

    def ask(self, actor: Any) -> Callable[[], Any]:
        """One request and its reply."""
        raise NotImplementedError

    def call(self, actor: Any) -> Callable[[], Any]:
        """One request and its reply, given up after ``TIMEOUT`` seconds."""
        ask = self.ask(actor)

        async def timed() -> Any:
            async with asyncio.timeout(TIMEOUT):
                return await ask()

        return timed

    def send(self, actor: Any) -> Any:
        """Blocking frameworks: put one request in flight without waiting for its reply."""
        raise NotImplementedError

    def wait_all(self, pending: list[Any], timeout: float | None = None) -> None:
        """Blocking frameworks: wait for the replies of ``pending`` requests."""
        raise NotImplementedError

    async def stop(self, actors: list[Any]) -> None:
        """Stop every actor gracefully and wait until they have ended."""
        raise NotImplementedError


class _Echo(Actor):
    async def handle_call(self, message: Any) -> Any:
        return message

    async def handle_cast(self, message: Any) -> None:
        raise RuntimeError("crash requested")


class Alara(Peer):
    """alara: ``spawn`` an ``Actor``; ``ref.ask`` (a future) and ``await ref.call(msg)``."""

    name = "alara"
    rows = frozenset(ROWS)

    async def start(self, n: int) -> list[Any]:
        return [spawn(_Echo()) for _ in range(n)]

    def ask(self, actor: ActorRef) -> Callable[[], Any]:
        return functools.partial(actor.ask, MESSAGE)

    def call(self, actor: ActorRef) -> Callable[[], Any]:
        return functools.partial(actor.call, MESSAGE)

    async def stop(self, actors: list[ActorRef]) -> None:
        await asyncio.gather(*(actor.stop() for actor in actors))


class _BareActor:
    """The baseline: one task draining one ``asyncio.Queue`` of (message, reply future)."""

    __slots__ = ("loop", "queue", "task")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[Any, asyncio.Future[Any] | None]] = asyncio.Queue()
        self.task = self.loop.create_task(self._run())

    def ask(self, message: Any) -> asyncio.Future[Any]:
        reply = self.loop.create_future()
        self.queue.put_nowait((message, reply))
        return reply

    async def _run(self) -> None:
        get = self.queue.get
        while True:
            message, reply = await get()
            if message is _STOP:
                return
            if message is _CRASH:
                raise RuntimeError("crash requested")
            if reply is not None and not reply.done():
                reply.set_result(message)


class Bare(Peer):
    """Bare asyncio: what any task-per-actor design costs before it adds anything."""

    name = "bare asyncio"
    rows = frozenset(ROWS) - set(BARE_ROW)

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

    def call(self, actor: Any) -> Callable[[], Any]:
        return functools.partial(actor.ask, MESSAGE, timeout=TIMEOUT)

    def send(self, actor: Any) -> Any:
        return actor.ask(MESSAGE, block=False)

    def wait_all(self, pending: list[Any], timeout: float | None = None) -> None:
        self.lib.get_all(pending, timeout=timeout)

    async def stop(self, actors: list[Any]) -> None:
        self.wait_all([actor.stop(block=False) for actor in actors])

    async def close(self) -> None:
        self.lib.ActorRegistry.stop_all()


class Thespian(Peer):
    """thespian 4, ``simpleSystemBase``: ``system.ask`` runs the actors in the caller's thread."""

    name, module, blocking = "thespian", "thespian.actors", True

    async def open(self) -> None:
        self.system = self.lib.ActorSystem("simpleSystemBase", transientUnique=True)

    async def close(self) -> None:
        self.system.shutdown()

    async def start(self, n: int) -> list[Any]:
        exit_request = self.lib.ActorExitRequest

        def receive(actor: Any, message: Any, sender: Any) -> None:
            if not isinstance(message, exit_request):
                actor.send(sender, message)

        echo = type("Echo", (self.lib.Actor,), {"receiveMessage": receive})
        return [self.system.createActor(echo) for _ in range(n)]

    def ask(self, actor: Any) -> Callable[[], Any]:
        return functools.partial(self.system.ask, actor, MESSAGE)

    def call(self, actor: Any) -> Callable[[], Any]:
        timeout = datetime.timedelta(seconds=TIMEOUT)
        return functools.partial(self.system.ask, actor, MESSAGE, timeout)

    def send(self, actor: Any) -> Any:
        self.system.tell(actor, MESSAGE)

    def wait_all(self, pending: list[Any], timeout: float | None = None) -> None:
        wait = None if timeout is None else datetime.timedelta(seconds=timeout)
        for _ in pending:
            self.system.listen(wait)

    async def stop(self, actors: list[Any]) -> None:
        for actor in actors:
            self.system.tell(actor, self.lib.ActorExitRequest())


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


class Ray(Peer):
    """Ray local actors (optional): one worker process per actor, so message rows only."""

    name, module, hint = "ray", "ray", "optional, not in the extra: pip install ray"
    rows = frozenset({"ask", "call", "fanout", "rate_ask", "rate_call"})

    async def open(self) -> None:
        # address="local": a cluster of our own, never one that happens to run on the machine
        self.lib.init(address="local", include_dashboard=False, log_to_driver=False)

    async def close(self) -> None:
        self.lib.shutdown()

    async def start(self, n: int) -> list[Any]:
        echo = self.lib.remote(type("Echo", (), {"ping": lambda _, m: m}))
        actors = [echo.remote() for _ in range(n)]
        await asyncio.gather(*(actor.ping.remote(MESSAGE) for actor in actors))
        return actors

    def ask(self, actor: Any) -> Callable[[], Any]:
        return functools.partial(actor.ping.remote, MESSAGE)

    async def stop(self, actors: list[Any]) -> None:
        for actor in actors:
            self.lib.kill(actor)


PEERS: tuple[type[Peer], ...] = (Alara, Bare, Pykka, Thespian, Xoscar, Ray)


# -- the rows -------------------------------------------------------------------------------


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
    return percentile(sorted(samples[n // 10:]), 0.5) / 1e3


def _fan_out(peer: Peer, actors: list[Any]) -> Callable[[], Any]:
    if peer.blocking:
        return lambda: peer.wait_all([peer.send(actor) for actor in actors])
    asks = [peer.ask(actor) for actor in actors]
    return lambda: asyncio.gather(*(ask() for ask in asks))


async def _rate(peer: Peer, actors: list[Any], sizes: Sizes, timed: bool) -> float:
    """Messages per second with ``sizes.callers`` requests in flight over ``actors``."""
    begin = clock()
    if peer.blocking:
        for _ in range(sizes.calls):
            peer.wait_all([peer.send(actors[i % len(actors)]) for i in range(sizes.callers)],
                          TIMEOUT if timed else None)
    else:
        make = peer.call if timed else peer.ask

        async def caller(operation: Callable[[], Any]) -> None:
            for _ in range(sizes.calls):
                await operation()

        await asyncio.gather(*(caller(make(actors[i % len(actors)]))
                               for i in range(sizes.callers)))
    return sizes.callers * sizes.calls / ((clock() - begin) / 1e9)


async def _all_answer(peer: Peer, actors: list[Any]) -> None:
    if peer.blocking:
        peer.wait_all([peer.send(actor) for actor in actors])
    else:
        await asyncio.gather(*(peer.ask(actor)() for actor in actors))


async def _crash_alara(crashes: int, kill: bool = False) -> float:
    """alara's supervisor: cast a crash (or ``kill()``), wait for the registry's new child,
    ask it."""
    supervisor = OneForOneSupervisor([ChildSpec("echo", _Echo)], max_restarts=10**9, period=1.0)
    await supervisor.start()
    samples: list[int] = []
    try:
        for _ in range(crashes):
            old = supervisor.child_ref("echo")
            assert old is not None
            begin = clock()
            if kill:
                old.kill("benchmark")
            else:
                old.cast(_CRASH)
            new = await replacement(supervisor, "echo", old)
            await new.ask(MESSAGE)
            samples.append(clock() - begin)
    finally:
        await supervisor.stop()
    return percentile(sorted(samples), 0.5) / 1e3


async def _supervisor_stop(children: int) -> float:
    """Milliseconds for ``Supervisor.stop()`` of ``children`` idle children."""
    specs = [ChildSpec(f"echo-{i}", _Echo) for i in range(children)]
    supervisor = OneForOneSupervisor(specs, max_restarts=10**9, period=1.0)
    await supervisor.start()
    await settle()
    begin = clock()
    await supervisor.stop()
    return (clock() - begin) / 1e6


async def _crash_bare(crashes: int) -> float:
    """A hand-written restart: the task's done-callback starts a new actor and says so."""
    loop = asyncio.get_running_loop()
    replaced: asyncio.Future[_BareActor] = loop.create_future()

    def restart(task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return  # stopped, not crashed
        fresh = _BareActor()
        fresh.task.add_done_callback(restart)
        replaced.set_result(fresh)

    actor = _BareActor()
    actor.task.add_done_callback(restart)
    samples: list[int] = []
    for _ in range(crashes):
        begin = clock()
        actor.queue.put_nowait((_CRASH, None))
        actor = await replaced
        replaced = loop.create_future()
        await actor.ask(MESSAGE)
        samples.append(clock() - begin)
    actor.queue.put_nowait((_STOP, None))
    await actor.task
    return percentile(sorted(samples), 0.5) / 1e3


async def _measure(peer: Peer, sizes: Sizes) -> dict[str, float]:
    """One repetition of every row ``peer`` takes part in."""
    figures: dict[str, float] = {}
    await peer.open()
    try:
        actors = await peer.start(3)
        figures["ask"] = await _p50(peer, peer.ask(actors[0]), sizes.pings)
        figures["call"] = await _p50(peer, peer.call(actors[0]), sizes.pings)
        figures["fanout"] = await _p50(peer, _fan_out(peer, actors), sizes.pings)
        figures["rate_ask"] = await _rate(peer, actors, sizes, timed=False)
        figures["rate_call"] = await _rate(peer, actors, sizes, timed=True)
        await peer.stop(actors)
        if "start" in peer.rows:
            begin = clock()
            actors = await peer.start(sizes.start)
            await _all_answer(peer, actors)
            figures["start"] = (clock() - begin) / 1e6
            await peer.stop(actors)
        if "stop" in peer.rows:
            with MemoryProbe() as probe:
                actors = await peer.start(sizes.stop)
                await settle()
            figures["memory"] = probe.net / sizes.stop / 1024
            begin = clock()
            await peer.stop(actors)
            figures["stop"] = (clock() - begin) / 1e6
        if "crash" in peer.rows:
            crash = _crash_alara if isinstance(peer, Alara) else _crash_bare
            figures["crash"] = await crash(sizes.crashes)
        if "kill" in peer.rows:
            figures["kill"] = await _crash_alara(sizes.crashes, kill=True)
            figures["supervised_stop"] = await _supervisor_stop(sizes.stop)
    finally:
        await peer.close()
    return figures


@contextmanager
def _logging_as_found() -> Iterator[None]:
    """Leave the root logger as it was found. A peer may configure logging for the whole
    process (thespian's ``ActorSystem`` adds two stderr handlers at INFO to the root logger):
    alara, which builds its lifecycle events only when someone listens, would then be timed
    formatting and printing a crash event in the restart rows of every later repetition."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _side(peer: Peer, sizes: Sizes, loop: LoopKind, failures: list[str]) -> dict[str, float]:
    """One repetition of ``peer`` on a fresh loop; a peer that fails is reported, not fatal."""
    try:
        with _logging_as_found():
            return run_on(loop, functools.partial(_measure, peer, sizes))
    except Exception as error:
        if isinstance(peer, (Alara, Bare)):
            raise
        failures.append(f"{peer.name}: a repetition failed: {type(error).__name__}: {error}")
        return {}


# -- the table ------------------------------------------------------------------------------


def markdown(medians: dict[str, dict[str, float]]) -> str:
    """One row per measure, one column per framework; alara's figure over bare asyncio's and
    over the best peer's (below 1 is better for times and memory, above 1 for rates)."""
    names = list(medians)
    others = [name for name in names if name not in ("alara", "bare asyncio")]
    head = " | alara ÷ bare | best peer | alara ÷ best peer | alara |"
    lines = ["| row | " + " | ".join(names) + head, "|---" * (len(names) + 5) + "|"]
    for key, (label, unit, higher) in ROWS.items():
        values = {name: medians[name].get(key) for name in names}
        alara = values["alara"]
        bare = medians["bare asyncio"].get(BARE_ROW.get(key, key))
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
    parser = comparison_arguments("python -m benchmarks.peers", __doc__, "peers")
    parser.add_argument("--only", nargs="*", default=None, metavar="PEER",
                        help="the peers to run (alara and bare asyncio always run)")
    parser.add_argument("--loop", choices=["default", "uvloop"], default="default",
                        help="the event loop of every framework that runs on one")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    say = Progress()
    meta = {**provenance(), "sizes": asdict(sizes), "loop": args.loop}
    sides: dict[str, Callable[[], dict[str, float]]] = {}
    skipped: list[str] = []
    for kind in PEERS:
        peer = kind()
        if peer.module and args.only is not None and peer.name not in args.only:
            continue
        reason = peer.load()
        if reason is not None:
            skipped.append(reason)
            say(f"skipped {reason}")
            continue
        if peer.module:
            meta[f"{peer.name}_version"] = importlib.metadata.version(peer.name)
        sides[peer.name] = functools.partial(_side, peer, sizes, args.loop, skipped)
    compare(sides, args, meta, skipped, markdown, say)
    return 0


if __name__ == "__main__":
    sys.exit(main())
