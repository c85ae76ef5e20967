"""The process-wide network behind ``alara.secrets`` and ``alara.Random``.

Started on first use from any thread (configured by the environment variables read by
``NetworkOptions.from_environment``), shared by every thread, and closed cleanly at
interpreter exit: its loop runs in a daemon thread, which is still running when ``atexit``
handlers run, so the handler can close the network and stop the loop before the interpreter
tears down.
Nothing is registered (exit handler, fork hook) before that first use.

* **fork**: a forked child forgets its parent's network (the thread does not survive
  ``fork``) and starts its own on first use.
* **exit**: after the exit-time close, a call (from a daemon thread, or a ``__del__`` run
  while the interpreter finalizes) raises ``NetworkClosedError`` instead of starting a
  network that nothing would close (or, during finalization, a thread that never runs).
* **signals**: a signal handler may call ``alara.secrets`` while its own thread is starting
  the default: the lock is re-entrant, the handler's call starts (and keeps) the default,
  and the interrupted start closes its own spare network.

**Keyed by default.** ``alara.secrets`` and ``alara.Random()`` call ``drop_in()``: the
network's keyed view (``BlockingNetwork.keyed``, one fast-key-erasure stream per thread, every
key a full round), or the network itself in per-call mode (``ALARA_REKEY=per-call``, or
``rekey="per-call"`` to ``use_blocking_network``). The settings are read from the environment
(``ALARA_REKEY``, ``ALARA_REKEY_BYTES``, ``ALARA_REKEY_SECONDS``) when the default starts.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Iterator

from alara.entropy import (
    Network,
    NetworkOptions,
    Rekey,
    ThreadKeyed,
    register_default,
    resolve_rekey,
)
from alara.errors import NetworkClosedError
from alara.sync._blocking import BlockingNetwork
from alara.sync._loop_thread import refuse_in_loop

__all__ = ["DropIn", "blocking_network", "close_blocking_network", "drop_in",
           "use_blocking_network"]

DropIn = ThreadKeyed | BlockingNetwork
"""What the drop-ins call: a keyed view, or a network (per-call mode)."""

_lock = threading.RLock()
_default: tuple[BlockingNetwork, DropIn] | None = None  # the process default, its drop-in
_exited = False  # the exit-time close has run: no default may start any more
_chosen: list[tuple[BlockingNetwork, DropIn]] = []  # use_blocking_network's; the last wins


def blocking_network() -> BlockingNetwork:
    """The network ``alara.secrets`` uses: the one chosen by ``use_blocking_network``, else
    the process default, started on first use.

    Raises:
        SyncCallInLoopError: called from a running event loop (await the async API there).
        NetworkClosedError: called after the exit-time close (or during finalization).
        ValueError: the environment variables that configure the default are malformed.
    """
    return _current()[0]


def drop_in() -> DropIn:
    """What ``alara.secrets`` and ``alara.Random()`` call: ``blocking_network()``'s keyed
    view, or that network itself in per-call mode.

    Raises:
        SyncCallInLoopError, NetworkClosedError, ValueError: as ``blocking_network``.
    """
    return _current()[1]


def _current() -> tuple[BlockingNetwork, DropIn]:
    if _chosen:
        return _chosen[-1]
    default = _default
    if default is not None:
        return default
    refuse_in_loop("alara.secrets", "await alara.token_bytes() and friends")
    return _start_default()


def _start_default() -> tuple[BlockingNetwork, DropIn]:
    global _default
    rekey = resolve_rekey()  # a bad variable fails before anything starts
    with _lock:
        if _exited or sys.is_finalizing():
            raise NetworkClosedError(
                "alara.secrets: the interpreter is exiting and the process default network "
                "was closed; it is not started again")
        if _default is None:
            _install_process_hooks()
            network = Network(options=NetworkOptions.from_environment())
            started = BlockingNetwork.from_network(network, name="alara.secrets").start()
            if _default is None:
                _default = (started, _drop_in_of(started, rekey))
                register_default(started.network)
            else:  # a signal handler of this thread started one while we were starting
                started.close()
        return _default


def _drop_in_of(network: BlockingNetwork, rekey: Rekey) -> DropIn:
    """What the drop-ins call on ``network`` under ``rekey``: a keyed view of it, or the
    network itself in per-call mode."""
    return network if rekey.per_call else ThreadKeyed(network, rekey)


def close_blocking_network() -> None:
    """Close the process default now (the next use starts a new one)."""
    global _default
    with _lock:
        default, _default = _default, None
    if default is not None:
        default[0].close()


def _close_at_exit() -> None:
    global _exited
    _exited = True
    close_blocking_network()


def _forget_after_fork() -> None:
    # The parent's default itself is let go of by BlockingNetwork's own fork hook.
    global _default, _lock, _exited
    _default, _lock, _exited = None, threading.RLock(), False


@functools.cache
def _install_process_hooks() -> None:
    """Register the exit-time close and the fork hook, once, at the first start.

    Not at import: ``import alara`` must leave a process as it found it (no thread, no
    hook) until the sync API is used.
    """
    atexit.register(_close_at_exit)
    os.register_at_fork(after_in_child=_forget_after_fork)


@contextlib.contextmanager
def use_blocking_network(network: BlockingNetwork, *, rekey: str | None = None,
                         rekey_bytes: int | None = None, rekey_seconds: float | None = None,
                         ) -> Iterator[BlockingNetwork]:
    """Within the block, ``alara.secrets`` and ``alara.Random()`` use ``network``, from
    every thread (a test's network for a thread pool). The caller keeps ownership of it.

    ``rekey`` (``"keyed"`` or ``"per-call"``), ``rekey_bytes`` and ``rekey_seconds`` set
    how the drop-ins draw from it; each one not given is read from its ``ALARA_REKEY*``
    variable (default: keyed, ``DEFAULT_REKEY_BYTES``, ``DEFAULT_REKEY_SECONDS``).

    Raises:
        TypeError: ``network`` is not a ``BlockingNetwork``.
        ValueError: a rekey setting is out of range (named).
    """
    if not isinstance(network, BlockingNetwork):
        raise TypeError(f"network must be a BlockingNetwork, got {type(network).__name__}")
    entry = (network, _drop_in_of(network, resolve_rekey(rekey, rekey_bytes, rekey_seconds)))
    _chosen.append(entry)
    try:
        yield network
    finally:
        _chosen.remove(entry)
