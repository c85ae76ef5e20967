"""One default network per running event loop, behind ``await alara.token_hex()``.

A library that only wants a token should not have to own a network: the first call on a
loop starts that loop's default network (sized by the environment variables documented in
``alara.environment``), later calls on the loop share it, and it is closed when the loop
shuts down. One per *loop*, because a network's workers are tasks of the loop it started
on and cannot serve another.

**Closing.** asyncio has no "loop is closing" callback, but it does finalise async
generators: ``asyncio.run``, ``asyncio.Runner`` (hence pytest-asyncio) and every well-behaved
runner call ``loop.shutdown_asyncgens()`` before closing the loop. Each default network is
held by a suspended async generator that the loop registers on its first step; when
``shutdown_asyncgens()`` closes it, its ``finally`` closes the network inside the still
running loop, so no task is left pending and nothing warns. A loop closed by hand without
``shutdown_asyncgens()`` should call ``await close_default_network()`` first.

**Replacing.** ``with use_network(net):`` makes the module-level functions use ``net`` in
the current context (and in tasks started from it), e.g. a test's deterministic network.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncGenerator, Iterator
from contextvars import ContextVar

from alara.actors import get_logger
from alara.entropy import Network
from alara.environment import network_from_environment

__all__ = ["close_default_network", "default_network", "use_network"]

_log = get_logger("default_network")
_chosen: ContextVar[Network | None] = ContextVar("alara_chosen_network", default=None)


class _LoopDefault:
    """The default network of one loop: its start-up task, then the network and its keeper."""

    __slots__ = ("keeper", "network", "starting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.network: Network | None = None
        self.keeper: AsyncGenerator[None, None] | None = None
        self.starting: asyncio.Task[Network] = loop.create_task(
            self._start(loop), name="alara.default_network.start")

    async def _start(self, loop: asyncio.AbstractEventLoop) -> Network:
        try:
            network = await network_from_environment().start()
        except BaseException:
            if _defaults.get(loop) is self:  # let the next call try again
                del _defaults[loop]
            raise
        keeper = _keep(loop, self, network)
        await keeper.asend(None)  # the loop registers the generator on this first step
        self.network, self.keeper = network, keeper
        _log.info("default_network.started", workers=len(network.which_children()))
        return network


_defaults: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopDefault] = (
    weakref.WeakKeyDictionary()
)


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
        return chosen
    loop = asyncio.get_running_loop()
    entry = _defaults.get(loop)
    if entry is None:
        entry = _defaults[loop] = _LoopDefault(loop)
    elif entry.network is not None:
        return entry.network
    # shield: a caller cancelled while the network starts must not cancel it for the others
    return await asyncio.shield(entry.starting)


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
def use_network(network: Network) -> Iterator[Network]:
    """Within the block, the module-level functions use ``network`` (not the loop default).

    The choice is a context variable: it holds in this task and in tasks it starts inside
    the block, and it does not leak into concurrent tasks. The caller keeps ownership of
    ``network`` (starts and closes it).

    Raises:
        TypeError: ``network`` is not a ``Network``.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    token = _chosen.set(network)
    try:
        yield network
    finally:
        _chosen.reset(token)
