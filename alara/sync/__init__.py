"""The sync façade: the alara network for code that has no event loop.

``BlockingNetwork`` runs a ``Network`` on an event loop of its own, in a daemon thread, and
offers its whole API as blocking calls. The process default network (behind
``alara.secrets`` and ``alara.Random()``) is one of them, started on first use; nothing
here starts a thread or registers an exit or fork hook before that first use.
"""

from __future__ import annotations

from alara.sync._blocking import BlockingNetwork
from alara.sync._default import (
    DropIn,
    blocking_network,
    close_blocking_network,
    drop_in,
    use_blocking_network,
)
from alara.sync._loop_thread import refuse_in_loop
from alara.sync._random import Random

__all__ = [
    "BlockingNetwork",
    "DropIn",
    "Random",
    "blocking_network",
    "close_blocking_network",
    "drop_in",
    "refuse_in_loop",
    "use_blocking_network",
]
