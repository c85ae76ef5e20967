"""``check_health``: whether a network can serve a request now, as an HTTP endpoint says it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import alara
from alara.entropy import NetworkStatus, read_network

__all__ = ["Health", "check_health"]


@dataclass(frozen=True, slots=True)
class Health:
    """A health check's answer: ``code`` 200 while the pool serves, 503 with ``reason`` while
    it does not (a worker quarantined under the fail-closed policy, a supervisor that gave up,
    a closed network). ``body()`` is the JSON an endpoint returns."""

    serving: bool
    reason: str | None
    status: NetworkStatus

    @property
    def code(self) -> int:
        """The HTTP status: 200 serving, 503 not."""
        return 200 if self.serving else 503

    def body(self) -> dict[str, Any]:
        """``serving``, ``reason`` and the pool's counts: enough for an operator, no secret."""
        status = self.status
        return {
            "serving": self.serving,
            "reason": self.reason,
            "running": len(status.running),
            "restarting": len(status.restarting),
            "required": status.required,
            "quarantined": sorted(status.quarantined),
        }


def check_health(network: alara.Network | alara.BlockingNetwork,
                 timeout: float = 1.0) -> Health:
    """Whether ``network`` can serve a request made now, and if not why.

    Callable from any thread or event loop: the status is read on the network's own loop
    (``alara.entropy.read_network``), waited for at most ``timeout`` seconds.

    Raises:
        TypeError: ``network`` is neither a ``Network`` nor a ``BlockingNetwork``.
        TimeoutError: the network's loop did not answer within ``timeout``.
    """
    if isinstance(network, alara.BlockingNetwork):
        network = network.network
    if not isinstance(network, alara.Network):
        raise TypeError(f"network must be a Network or a BlockingNetwork, "
                        f"got {type(network).__name__}")
    status, _ = read_network(network, timeout)
    return Health(status.serving, status.reason, status)
