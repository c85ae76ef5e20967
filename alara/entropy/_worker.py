"""The entropy worker: an actor whose only job is reading its source on request.

It keeps no secret state: every reply is fresh from the source, so a worker that is restarted,
inspected or dumped has nothing to give away. It checks what its source returns (type, length,
and optionally continuous health tests) and crashes rather than pass on bad bytes: a crash is
what the supervisor acts on.

**What runs where.** A read the source declares non-blocking (``max_inline_read``) and the
reads of ``async def`` sources run on the event loop; every other synchronous read runs in a
worker thread (``anyio.to_thread.run_sync``) behind a ``CapacityLimiter(1)`` of this worker's
own, so a source that blocks forever holds one thread and never the threads other workers
need. A thread cannot be cancelled: when the worker is killed (judged hung) the read is
abandoned, and a restarted worker gets a fresh limiter; one source's reads hold at most
``MAX_THREADS_PER_SOURCE`` threads, abandoned ones included (``_threads``). Health tests
over more than ``HEALTH_SLICE`` bytes run slice by slice, giving the loop back in between.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import anyio

from alara.actors import Actor, ActorRef, Envelope, check_int, check_positive_float, spawn
from alara.entropy._health import HealthCheck, HealthTests
from alara.entropy._limits import MAX_BYTES
from alara.entropy._pausing import pause
from alara.entropy._sources import EntropySource, OsSource, check_source, inline_read_limit
from alara.entropy._threads import read_in_thread
from alara.errors import SourceError

__all__ = ["HEALTH_SLICE", "EntropyWorker", "SourcePlan", "get_random_bytes", "plan_source",
           "start_worker"]

"""Largest single request a worker accepts (1 GiB)."""
HEALTH_SLICE = 1 << 16
"""Health tests run over at most this many bytes (64 KiB, well under 1 ms) per loop step."""

_OS_SOURCE = OsSource()
_urandom = os.urandom  # what ``OsSource.read`` is, for every size read on the loop


class EntropyWorker(Actor):
    """Answers ``n`` (an int) with ``n`` bytes from its source.

    Requests that are waiting together are served by one read of their total size, then split:
    under load this turns many system calls into one, and each caller still gets bytes nobody
    else sees.
    """

    def __init__(
        self,
        source: EntropySource | SourcePlan | None = None,
        health: HealthCheck | None = None,
        startup: int = 0,
    ):
        """``source``: what to read (``None``: the OS), or its ``SourcePlan`` when many
        workers read one source; ``health``: the continuous tests every block goes through;
        ``startup``: bytes read and tested by ``on_start`` before the first request.

        Raises:
            TypeError, ValueError: ``source`` is no source (``plan_source``), or ``startup``
                is not an int in ``[0, MAX_BYTES]``.
        """
        # A ``HealthTests``' bound ``__call__`` skips the instance-call lookup: it is called
        # for every block a worker returns.
        self._health = health.__call__ if type(health) is HealthTests else health
        self._startup = (startup if type(startup) is int and 0 <= startup <= MAX_BYTES
                         else check_int("startup", startup, 0, MAX_BYTES))
        self._limiter: anyio.CapacityLimiter | None = None
        self.busy_since: float | None = None
        """Loop time at which the read in progress started (``None``: no read in progress).

        What a hang is judged on: a worker is late only for its own read, never for time it
        spent waiting in its mailbox or for a loop that could not run it.
        """
        plan = (_OS_PLAN if source is None else source if type(source) is SourcePlan
                else plan_source(source))
        self.source = plan.source
        self._on_loop, self._inline = plan.on_loop, plan.inline
        self._os_source, self._read_inline = plan.os_source, plan.read_inline

    async def on_start(self) -> None:
        """Start-up test: read ``startup`` bytes through the checks and discard them.

        NIST SP 800-90B 4.3 wants a source tested on 1024 samples before its first use, so
        a stuck or looping source crashes here, before any of its bytes reach a caller.
        """
        if self._startup:
            try:
                await self.read(self._startup)
            except _ESCAPES as error:
                raise _contained(error) from None

    def __repr__(self) -> str:
        return f"EntropyWorker(source={type(self.source).__name__})"

    async def read(self, n: int) -> bytes:
        """Read ``n`` bytes from the source and check them; raise ``SourceError`` if bad.

        Runs the read where it belongs (see the module docstring).
        """
        if n <= self._on_loop:
            return await self._check(self.source.read(n), n)
        loop = asyncio.get_running_loop()
        self.busy_since = loop.time()
        try:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(1)
            data = await read_in_thread(self.source, self._read_blocking, n, self._limiter)
            return await self._check(data, n)
        finally:
            self.busy_since = None

    def _read_blocking(self, n: int) -> Any:
        """The read, in a worker thread; clears ``busy_since`` the moment the source returns."""
        try:
            return self.source.read(n)
        finally:
            self.busy_since = None

    async def _check(self, data: Any, n: int) -> bytes:
        """What ``read`` returns for ``data``, the source's answer to a read of ``n`` bytes."""
        if type(data) is not bytes and inspect.isawaitable(data):
            busy = self.busy_since is None
            if busy:
                self.busy_since = asyncio.get_running_loop().time()
            try:
                data = await data
            finally:
                if busy:
                    self.busy_since = None
        if type(data) is not bytes:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise SourceError(f"source returned {type(data).__name__}, expected bytes")
            data = bytes(data)
        if len(data) != n:
            raise SourceError(f"source returned {len(data)} bytes, expected {n}")
        health = self._health
        if health is not None:
            if n <= HEALTH_SLICE:
                health(data)
            else:
                for start in range(0, n, HEALTH_SLICE):
                    health(data[start : start + HEALTH_SLICE])
                    await pause()
        checked: bytes = data
        return checked

    async def handle_call(self, message: Any) -> bytes:
        """One request: ``message`` is the number of bytes wanted."""
        return await self.read(_check_request(message))

    def handle_batch_now(self, batch: list[Envelope]) -> bool:
        """The common case, served without a coroutine: one request to the OS source.

        ``os.urandom(n)`` gives exactly ``n`` bytes or raises, so nothing here needs
        awaiting; every other source, and every other batch, goes to ``handle_batch``.
        """
        if not self._os_source or len(batch) != 1:
            return False
        size, reply = batch[0]
        if type(size) is not int or not 0 <= size <= self._inline or reply is None:
            return False
        if not reply.done():
            data = _urandom(size)
            if self._health is not None:
                self._health(data)
            if not reply.done():
                reply.set_result(data)
        return True

    async def handle_batch(self, batch: list[Envelope]) -> None:
        """Serve every waiting request with one read, split among the callers still waiting.

        A malformed request (not an int in ``[0, MAX_BYTES]``) fails only its own caller: a
        worker is shared, so one caller's mistake must not crash it under everyone else. A
        batch whose total exceeds ``MAX_BYTES`` is served one read per request instead.

        A ``CancelledError`` that is not the worker's own cancellation, a ``SystemExit`` or a
        ``KeyboardInterrupt`` escaping the source's read (a closed client session, a driver
        calling ``sys.exit()``, in its thread or on the loop) is the source's failure: the
        worker crashes with ``SourceError``, which counts toward quarantine like any other,
        instead of ending the application's loop or passing for a shutdown.
        """
        try:
            await self._serve(batch)
        except _ESCAPES as error:
            raise _contained(error) from None

    async def _serve(self, batch: list[Envelope]) -> None:
        """``handle_batch`` without the containment."""
        if len(batch) == 1:  # the common case when idle: one request, nothing to split
            size, reply = batch[0]
            if type(size) is int and 0 <= size <= self._inline and reply is not None:
                if not reply.done():
                    data = self._read_inline(size)
                    if type(data) is not bytes or len(data) != size:
                        data = await self._check(data, size)
                    elif self._health is not None:
                        self._health(data)
                    if not reply.done():
                        reply.set_result(data)
                return
            if reply is not None and type(size) is int and 0 <= size <= MAX_BYTES:
                if not reply.done():
                    data = await self.read(size)
                    if not reply.done():
                        reply.set_result(data)
                return
        wanted: list[tuple[int, asyncio.Future[Any]]] = []
        total = 0
        for size, reply in batch:
            if reply is None or reply.done():
                continue
            if type(size) is not int or not 0 <= size <= MAX_BYTES:
                try:
                    _check_request(size)
                except (TypeError, ValueError) as error:
                    reply.set_exception(error)
                continue
            wanted.append((size, reply))
            total += size
        if not wanted:
            return
        if len(wanted) == 1 or total > MAX_BYTES:
            for size, reply in wanted:
                if not reply.done():
                    data = await self.read(size)
                    if not reply.done():
                        reply.set_result(data)
            return
        data = await self.read(total)
        offset = 0
        for size, reply in wanted:
            if not reply.done():
                reply.set_result(data[offset : offset + size])
            offset += size


class SourcePlan(NamedTuple):
    """How a worker reads one source, worked out once (``plan_source``): a network plans each
    source object once for all the workers that read it and all their restarts."""

    source: EntropySource
    on_loop: int
    """The largest read served on the loop (``MAX_BYTES`` for an ``async def`` read)."""
    inline: int
    """The largest read served and health-tested in one go (the hot path)."""
    os_source: bool
    """Whether it is the OS source."""
    read_inline: Callable[[int], Any]
    """What the hot path calls: ``os.urandom`` itself for the OS source."""


def plan_source(source: object) -> SourcePlan:
    """``source``'s ``SourcePlan``, after checking it has a ``read(n)`` method.

    Raises:
        TypeError: ``source`` has no ``read`` method, or ``max_inline_read`` is not an int.
        ValueError: ``max_inline_read`` is negative.
    """
    source = check_source("source", source)
    read = source.read
    on_loop = MAX_BYTES if inspect.iscoroutinefunction(read) else inline_read_limit(source)
    os_source = type(source) is OsSource
    return SourcePlan(source, on_loop, min(on_loop, HEALTH_SLICE), os_source,
                      _urandom if os_source else read)


_OS_PLAN: Final = plan_source(_OS_SOURCE)


_ESCAPES = (asyncio.CancelledError, SystemExit, KeyboardInterrupt)
"""What a source's read may raise that ``except Exception`` would let end the worker's task."""


def _contained(error: BaseException) -> BaseException:
    """What a worker raises for ``error``, one of ``_ESCAPES`` out of its source's read:
    ``error`` itself when it is the worker's own cancellation (killed, stopped), else a
    ``SourceError`` naming only its type (a crash, blamed on the source)."""
    if isinstance(error, asyncio.CancelledError):
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            return error
        return SourceError("source raised CancelledError while its worker was not cancelled")
    return SourceError(f"source raised {type(error).__name__}: contained, a source never "
                       f"ends the application")


def _check_request(message: object) -> int:
    return check_int("n", message, 0, MAX_BYTES)


def start_worker(source: EntropySource | None = None, *, name: str = "entropy-worker") -> ActorRef:
    """Start a standalone, unsupervised worker (ALARA's ``alara_node:start_link``).

    Stop it with ``await ref.stop()``. Must be called with an event loop running.
    """
    return spawn(EntropyWorker(source), name=name)


async def get_random_bytes(worker: ActorRef, n: int, *, timeout: float = 5.0) -> bytes:
    """``n`` raw bytes from one worker: no mixing, so only as good as that worker's source.

    ``n = 0`` gives ``b""`` without asking the worker, as ``Network.random_bytes(0)`` does.

    Raises:
        TypeError: ``worker`` is not an ``ActorRef``, or ``n``/``timeout`` has the wrong type.
        ValueError: ``n`` is outside ``[0, MAX_BYTES]`` or ``timeout`` is not positive.
        ActorDiedError: the worker is not running, or died before answering.
        CallTimeoutError: no answer within ``timeout`` seconds.
    """
    if not isinstance(worker, ActorRef):
        raise TypeError(f"worker must be an ActorRef, got {type(worker).__name__}")
    n = check_int("n", n, 0, MAX_BYTES)
    timeout = check_positive_float("timeout", timeout)
    if n == 0:
        return b""
    data: bytes = await worker.call(n, timeout=timeout)
    return data
