"""The node side: a Ray actor that reads *its own machine's* entropy source.

It is pinned to one node (``NodeAffinitySchedulingStrategy(soft=False)``), so what it reads is
that machine's OS CSPRNG (or the configured source), and it health-tests every block there, as
a local worker does, before the bytes leave the machine. It keeps no entropy between calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ray

from alara import EntropySource, OsSource, SourceError

__all__ = ["EntropyHost", "host_class"]


class EntropyHost:
    """Reads ``n`` bytes from this node's source, checked and health-tested here."""

    def __init__(
        self,
        source: EntropySource | None,
        health: Callable[[], Callable[[bytes], None]] | None,
        startup: int,
    ) -> None:
        self._source: EntropySource = OsSource() if source is None else source
        self._health = None if health is None else health()
        if startup:
            self.read(startup)  # NIST SP 800-90B start-up test, on the node

    def hello(self) -> tuple[str, str]:
        """This node's Ray id and address: proof of where the actor really runs."""
        context = ray.get_runtime_context()
        address: str = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
        return context.get_node_id(), address

    def read(self, n: int) -> bytes:
        """``n`` fresh bytes from the source; ``SourceError``/``HealthTestError`` if bad."""
        data: Any = self._source.read(n)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SourceError(f"source returned {type(data).__name__}, expected bytes "
                              f"(sources on a Ray node must be synchronous)")
        checked = bytes(data)
        if len(checked) != n:
            raise SourceError(f"source returned {len(checked)} bytes, expected {n}")
        if self._health is not None:
            self._health(checked)
        return checked


_HOST: Any = None


def host_class() -> Any:
    """The Ray actor class of ``EntropyHost`` (made once, on first use).

    ``num_cpus=0``: reading a few bytes needs no reserved CPU, and a node with every CPU
    taken by the application must still serve entropy. ``max_restarts=0``: Ray does not
    restart it behind our back; the local worker's supervisor does, and sees it happen.
    """
    global _HOST
    if _HOST is None:
        _HOST = ray.remote(num_cpus=0, max_restarts=0)(EntropyHost)
    return _HOST
