"""The process-wide network behind ``alara.secrets`` and ``alara.Random``.

Started on first use from any thread (configured by the environment variables documented
in ``alara.environment``), shared by every thread, and closed cleanly at interpreter exit:
its loop runs in a daemon thread, which is still running when ``atexit`` handlers run, so
the handler can close the network and stop the loop before the interpreter tears down.
A forked child forgets its parent's network (the thread does not survive ``fork``) and
starts its own on first use.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Iterator

from alara.entropy import register_default
from alara.environment import network_from_environment
from alara.sync._blocking import BlockingNetwork, refuse_in_loop

__all__ = ["blocking_network", "close_blocking_network", "use_blocking_network"]

_lock = threading.Lock()
_default: BlockingNetwork | None = None
_chosen: list[BlockingNetwork] = []  # use_blocking_network's stack; the last one wins
_orphaned: list[BlockingNetwork] = []  # a parent's networks, in a forked child


def blocking_network() -> BlockingNetwork:
    """The network ``alara.secrets`` uses: the one chosen by ``use_blocking_network``, else
    the process default, started on first use.

    Raises:
        SyncCallInLoopError: called from a running event loop (await the async API there).
        ValueError: the environment variables that configure the default are malformed.
    """
    if _chosen:
        return _chosen[-1]
    default = _default
    if default is not None:
        return default
    refuse_in_loop("alara.secrets", "await alara.token_bytes() and friends")
    return _start_default()


def _start_default() -> BlockingNetwork:
    global _default
    with _lock:
        if _default is None:
            _install_process_hooks()
            network = BlockingNetwork.from_network(network_from_environment(),
                                                   name="alara.secrets")
            _default = network.start()
            register_default(network.network)
        return _default


def close_blocking_network() -> None:
    """Close the process default now (the next use starts a new one); also run at exit."""
    global _default
    with _lock:
        default, _default = _default, None
    if default is not None:
        default.close()


def _forget_after_fork() -> None:
    global _default, _lock
    if _default is not None:
        # Kept, never closed nor collected: its loop thread does not exist in this process,
        # and collecting it would destroy that loop's pending tasks, with warnings.
        _orphaned.append(_default)
    _default, _lock = None, threading.Lock()


@contextlib.contextmanager
def use_blocking_network(network: BlockingNetwork) -> Iterator[BlockingNetwork]:
    """Within the block, ``alara.secrets`` and ``alara.Random()`` use ``network``, from
    every thread (a test's network for a thread pool). The caller keeps ownership of it.

    Raises:
        TypeError: ``network`` is not a ``BlockingNetwork``.
    """
    if not isinstance(network, BlockingNetwork):
        raise TypeError(f"network must be a BlockingNetwork, got {type(network).__name__}")
    _chosen.append(network)
    try:
        yield network
    finally:
        _chosen.remove(network)


_hooks_installed = False


def _install_process_hooks() -> None:
    """Register the exit-time close and the fork hook, once, at the first start.

    Not at import: ``import alara`` must leave a process as it found it (no thread, no
    hook) until the sync API is used.
    """
    global _hooks_installed
    if not _hooks_installed:
        atexit.register(close_blocking_network)
        os.register_at_fork(after_in_child=_forget_after_fork)
        _hooks_installed = True
