"""The local side of a remote worker: a pool child that forwards to an ``EntropyHost``.

``RemoteWorker`` is an ``EntropyWorker`` whose source is a remote call: the pool's rounds,
batching (one remote call per node per round, however many callers), deadlines and
supervision work as for a local worker. It creates its ``EntropyHost`` on its node when it
starts (so a restart re-creates it there) and kills it when it ends, so no actor outlives it.
Ray calls that block (actor creation, ``ray.kill``) run in worker threads; replies are awaited
as asyncio futures, so the event loop is never held.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import ray
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from alara import ClusterError, EntropySource, EntropyWorker, SourceError
from alara.ray.host import host_class

__all__ = ["NodeLink", "NodeUnreachableError", "RemoteCallError", "RemoteSource", "RemoteWorker"]


class NodeUnreachableError(ClusterError):
    """A remote worker could not start its entropy actor on its node (the node is gone)."""


class RemoteCallError(ClusterError):
    """A call to a node's entropy actor failed or missed ``remote_timeout``."""


@dataclass(frozen=True, slots=True)
class NodeLink:
    """Everything one remote worker needs: which node, what to read there, how long to wait.

    ``on_ready(worker_id, node_id)`` is called once the entropy actor answered from the
    right node.
    """

    node_id: str
    address: str
    source: EntropySource | None
    health: Callable[[], Callable[[bytes], None]] | None
    startup: int
    remote_timeout: float
    start_timeout: float
    on_ready: Callable[[str, str], None]


class RemoteSource:
    """``read(n)`` as one call to the node's entropy actor, within ``remote_timeout``."""

    __slots__ = ("_address", "_timeout", "handle")

    def __init__(self, address: str, timeout: float) -> None:
        self._address = address
        self._timeout = timeout
        self.handle: Any = None

    def __repr__(self) -> str:
        return f"RemoteSource({self._address})"

    async def read(self, n: int) -> bytes:
        """``n`` bytes from the node (a coroutine: the worker awaits it on the loop)."""
        try:
            async with asyncio.timeout(self._timeout):
                data: bytes = await self.handle.read.remote(n)
        except RayTaskError as error:  # the actor ran and raised: blame the node's source
            cause = error.cause
            if isinstance(cause, SourceError):
                raise type(cause)(f"node {self._address}: {cause}") from None
            raise RemoteCallError(f"node {self._address}: {type(cause).__name__}") from None
        except RayError as error:  # the actor or its node died or cannot be reached
            raise RemoteCallError(f"node {self._address}: {type(error).__name__}") from None
        except TimeoutError:
            raise RemoteCallError(
                f"node {self._address}: no reply within remote_timeout={self._timeout}s"
            ) from None
        return data


class RemoteWorker(EntropyWorker):
    """A supervised pool child whose contributions come from one Ray node's source."""

    def __init__(self, link: NodeLink) -> None:
        self._remote = RemoteSource(link.address, link.remote_timeout)
        super().__init__(self._remote)
        self._link = link

    def __repr__(self) -> str:
        return f"RemoteWorker(node={self._link.address})"

    async def on_start(self) -> None:
        """Create the entropy actor on the node and check it answers from there.

        Raises:
            NodeUnreachableError: the node is gone or did not answer within ``start_timeout``.
        """
        link = self._link
        try:
            self._remote.handle, hello = await anyio.to_thread.run_sync(self._create)
            async with asyncio.timeout(link.start_timeout):
                node_id, _ = await hello
        except TimeoutError:
            raise NodeUnreachableError(
                f"node {link.address}: entropy actor not ready within {link.start_timeout}s"
            ) from None
        except RayError as error:  # ActorUnschedulableError is not a RayActorError
            raise NodeUnreachableError(f"node {link.address}: {type(error).__name__}") from None
        if node_id != link.node_id:
            raise NodeUnreachableError(f"node {link.address}: entropy actor runs on node "
                                       f"{node_id}, not {link.node_id}")
        if self.ref is not None:
            link.on_ready(self.ref.name, node_id)

    async def on_stop(self) -> None:
        """Kill the entropy actor before the worker ends (a graceful stop)."""
        handle, self._remote.handle = self._remote.handle, None
        if handle is not None:
            await anyio.to_thread.run_sync(_kill, handle)

    def on_exit(self, exit: Any) -> None:
        """After a crash or a kill, still end the entropy actor (in a thread, not waited for)."""
        handle, self._remote.handle = self._remote.handle, None
        if handle is not None:
            asyncio.get_running_loop().run_in_executor(None, _kill, handle)

    def _create(self) -> tuple[Any, Any]:
        """The entropy actor and its first call (in a thread: the first submission is slow)."""
        link = self._link
        strategy = NodeAffinitySchedulingStrategy(node_id=link.node_id, soft=False)
        handle = host_class().options(scheduling_strategy=strategy).remote(
            link.source, link.health, link.startup
        )
        return handle, handle.hello.remote()


def _kill(handle: Any) -> None:
    # already dead, or Ray is shutting down: nothing left to end
    with contextlib.suppress(RayError, ValueError):
        ray.kill(handle, no_restart=True)
