"""The async façade: ``await alara.token_hex()`` and friends, with no network to manage.

Every function awaits ``default_network()`` (the network chosen with ``use_network``, else
the running loop's default network) and calls the ``Network`` method of the same name, so
names, defaults and errors are exactly those of ``Network``.

**One default network per running event loop.** A library that only wants a token should
not have to own a network: the first call on a loop starts that loop's default network
(sized by the environment variables read by ``NetworkOptions.from_environment``), later calls on
the loop share it, and it is closed when the loop shuts down. One per *loop*, because a
network's workers are tasks of the loop it started on and cannot serve another.

**Closing.** asyncio has no "loop is closing" callback, but it does finalise async
generators: ``asyncio.run``, ``asyncio.Runner`` (hence pytest-asyncio) and every well-behaved
runner call ``loop.shutdown_asyncgens()`` before closing the loop. Each default network is
held by a suspended async generator that the loop registers on its first step; when
``shutdown_asyncgens()`` closes it, its ``finally`` closes the network inside the still
running loop, so no task is left pending and nothing warns. A loop closed by hand without
``shutdown_asyncgens()`` should call ``await close_default_network()`` first.

**Replacing.** ``with use_network(net):`` makes the module-level functions use ``net`` in
the current context (and in tasks started from it), e.g. a test's deterministic network.

**Keyed.** The functions with ``secrets``' names (``token_hex``, ``randbelow``, ``choice``,
``uuid4``, ``shuffle``, ``sample``...) are served by the network's keyed view
(``Network.keyed()``: a fast-key-erasure stream whose every key is one full round); with
``ALARA_REKEY=per-call`` (or ``rekey="per-call"`` to ``use_network``) by the network's own
methods, one round per call. ALARA's names (``random_bytes``, ``random_bits``,
``random_int``, ``random_below``) keep ALARA's semantics: one round per call, always.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from asyncio import _get_running_loop as _running_loop
from collections.abc import AsyncGenerator, Iterator, MutableSequence, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from alara.actors import get_logger
from alara.entropy import (
    KeyedNetwork,
    Network,
    NetworkOptions,
    Rekey,
    register_default,
    resolve_rekey,
)
from alara.errors import NetworkClosedError

__all__ = [
    "choice",
    "close_default_network",
    "default_network",
    "randbelow",
    "randbits",
    "random_below",
    "random_bits",
    "random_bytes",
    "random_int",
    "sample",
    "shuffle",
    "token_bytes",
    "token_hex",
    "token_urlsafe",
    "use_network",
    "uuid4",
]

_T = TypeVar("_T")

_log = get_logger("default_network")
_Vocabulary = KeyedNetwork | Network  # what the secrets-named functions call
_chosen: ContextVar[tuple[Network, _Vocabulary] | None] = ContextVar("alara_chosen_network",
                                                                     default=None)


class _LoopDefault:
    """The default network of one loop: its start-up task, then the network and its keeper."""

    __slots__ = ("keeper", "network", "starting", "vocabulary")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.network: Network | None = None
        self.vocabulary: _Vocabulary | None = None
        self.keeper: AsyncGenerator[None, None] | None = None
        # Recorded before the task exists: under an eager task factory its first step runs
        # inside create_task, and a start failing there must find its entry to remove it.
        _defaults[loop] = self
        self.starting: asyncio.Task[Network] = loop.create_task(
            self._start(loop), name="alara.default_network.start")

    async def _start(self, loop: asyncio.AbstractEventLoop) -> Network:
        try:
            rekey = resolve_rekey()  # a bad variable fails before anything starts
            network = await Network(options=NetworkOptions.from_environment()).start()
            register_default(network)
        except BaseException:
            if _defaults.get(loop) is self:  # let the next call try again
                del _defaults[loop]
            raise
        keeper = _keep(loop, self, network)
        await keeper.asend(None)  # the loop registers the generator on this first step
        self.network, self.keeper = network, keeper
        self.vocabulary = _vocabulary_of(network, rekey)
        _log.info("default_network.started", workers=len(network.which_children()))
        return network


def _vocabulary_of(network: Network, rekey: Rekey) -> _Vocabulary:
    """What the secrets-named functions call on ``network`` under ``rekey``: its keyed view,
    or the network itself in per-call mode."""
    return network if rekey.per_call else network.keyed(rekey.rekey_bytes, rekey.rekey_seconds)


_defaults: dict[asyncio.AbstractEventLoop, _LoopDefault] = {}
"""Each loop's default. A plain dict: an entry holds its loop anyway (its start-up task
does), so a weak key would never die first; the keeper removes the entry when the loop shuts
its async generators down, ``close_default_network()`` when the caller asks."""


async def _keep(
    loop: asyncio.AbstractEventLoop, entry: _LoopDefault, network: Network
) -> AsyncGenerator[None, None]:
    """Suspended for the loop's lifetime; closing it (shutdown_asyncgens) closes ``network``."""
    try:
        yield
    finally:
        if _defaults.get(loop) is entry:
            del _defaults[loop]
        await network.close()
        _log.info("default_network.stopped")


async def default_network() -> Network:
    """The network the module-level functions use here: the one chosen by ``use_network``,
    else this loop's default network, started on first use.

    Raises:
        ValueError: the environment variables that configure the default are malformed.
        AlaraError: the default network could not start.
    """
    chosen = _chosen.get()
    if chosen is not None:
        return chosen[0]
    loop = asyncio.get_running_loop()
    entry = _defaults.get(loop)
    if entry is None:
        entry = _LoopDefault(loop)
    elif entry.network is not None:
        return entry.network
    # shield: a caller cancelled while the network starts must not cancel it for the others
    return await asyncio.shield(entry.starting)


def _ready() -> _Vocabulary | None:
    """What the secrets-named functions call here, if ready: the chosen or default
    network's keyed view (or the network itself in per-call mode)."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen[1]
    loop = _running_loop()
    entry = _defaults.get(loop) if loop is not None else None
    return None if entry is None else entry.vocabulary


async def _vocabulary() -> _Vocabulary:
    """``_ready()``, after starting this loop's default network if needed."""
    network = await default_network()  # raises outside a running loop
    vocabulary = _ready()
    if vocabulary is None or network.closed:
        raise NetworkClosedError("the default network was closed as it started")
    return vocabulary


async def close_default_network() -> None:
    """Close this loop's default network now (a later call starts a new one).

    Needed only on a loop that will be closed without ``loop.shutdown_asyncgens()``.
    """
    entry = _defaults.pop(asyncio.get_running_loop(), None)
    if entry is None:
        return
    await asyncio.shield(entry.starting)
    assert entry.keeper is not None  # set by the start-up task before it returns
    await entry.keeper.aclose()


@contextlib.contextmanager
def use_network(network: Network, *, rekey: str | None = None, rekey_bytes: int | None = None,
                rekey_seconds: float | None = None) -> Iterator[Network]:
    """Within the block, the module-level functions use ``network`` (not the loop default).

    The choice is a context variable: it holds in this task and in tasks it starts inside
    the block, and it does not leak into concurrent tasks. The caller keeps ownership of
    ``network`` (starts and closes it). ``rekey`` (``"keyed"`` or ``"per-call"``),
    ``rekey_bytes`` and ``rekey_seconds`` set how the secrets-named functions draw from it;
    each one not given is read from its ``ALARA_REKEY*`` variable.

    Raises:
        TypeError: ``network`` is not a ``Network``.
        ValueError: a rekey setting is out of range (named).
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    vocabulary = _vocabulary_of(network, resolve_rekey(rekey, rekey_bytes, rekey_seconds))
    token = _chosen.set((network, vocabulary))
    try:
        yield network
    finally:
        _chosen.reset(token)


# -- the module-level functions ---------------------------------------------------------


async def token_bytes(nbytes: int | None = None) -> bytes:
    """``Network.token_bytes`` on the default network (``secrets.token_bytes``)."""
    return await (_ready() or await _vocabulary()).token_bytes(nbytes)


async def token_hex(nbytes: int | None = None) -> str:
    """``Network.token_hex`` on the default network (``secrets.token_hex``)."""
    return await (_ready() or await _vocabulary()).token_hex(nbytes)


async def token_urlsafe(nbytes: int | None = None) -> str:
    """``Network.token_urlsafe`` on the default network (``secrets.token_urlsafe``)."""
    return await (_ready() or await _vocabulary()).token_urlsafe(nbytes)


async def randbelow(exclusive_upper_bound: int) -> int:
    """``Network.randbelow`` on the default network (``secrets.randbelow``)."""
    return await (_ready() or await _vocabulary()).randbelow(exclusive_upper_bound)


async def randbits(k: int) -> int:
    """``Network.randbits`` on the default network (``secrets.randbits``)."""
    return await (_ready() or await _vocabulary()).randbits(k)


async def choice(seq: Sequence[_T]) -> _T:
    """``Network.choice`` on the default network (``secrets.choice``)."""
    return await (_ready() or await _vocabulary()).choice(seq)


async def uuid4() -> uuid.UUID:
    """``Network.uuid4`` on the default network (a version 4 ``uuid.UUID``)."""
    return await (_ready() or await _vocabulary()).uuid4()


async def shuffle(x: MutableSequence[Any]) -> None:
    """``Network.shuffle`` on the default network (in place, like ``random.shuffle``)."""
    await (_ready() or await _vocabulary()).shuffle(x)


async def sample(population: Sequence[_T], k: int) -> list[_T]:
    """``Network.sample`` on the default network (like ``random.sample``)."""
    return await (_ready() or await _vocabulary()).sample(population, k)


async def random_bytes(n: int) -> bytes:
    """``Network.random_bytes`` on the default network (ALARA's name)."""
    return await (await default_network()).random_bytes(n)


async def random_bits(n: int) -> list[int]:
    """``Network.random_bits`` on the default network (ALARA's name)."""
    return await (await default_network()).random_bits(n)


async def random_int(bits: int) -> int:
    """``Network.random_int`` on the default network (ALARA's name)."""
    return await (await default_network()).random_int(bits)


async def random_below(upper: int) -> int:
    """``Network.random_below`` on the default network."""
    return await (await default_network()).random_below(upper)
