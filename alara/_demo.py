"""The demo behind ``make demo``: a real network, real output, a real crash and restart."""

from __future__ import annotations

import asyncio
import logging
import sys

import structlog

from alara.entropy import create_network

__all__ = ["run_demo", "show_lifecycle_logs"]


def show_lifecycle_logs() -> None:
    """Print alara's lifecycle events among the demo output (the library is silent unless asked)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  log | %(message)s"))
    logger = logging.getLogger("alara")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.KeyValueRenderer(key_order=["event"], sort_keys=True),
        ]
    )


async def run_demo(workers: int = 5) -> None:
    """Start a pool, draw bytes/bits/an int, kill a worker, and show it back in the registry."""
    async with create_network(workers) as net:
        first = await net.random_bytes(32)  # the workers have all started once this returns
        print(f"network of {len(net.get_nodes())} workers:")
        for child in net.which_children():
            print(f"  {child.id}: {child.ref!r}")
        print(f"random_bytes(32) = {first.hex()}")
        print(f"random_bits(16)  = {await net.random_bits(16)}")
        print(f"random_int(128)  = {await net.random_int(128)}")
        print(f"random_below(6)  = {await net.random_below(6)} (a fair die, 0-based)")

        victim = net.get_nodes()[0]
        changed = net.supervisor.changed()
        print(f"killing {victim!r} ...")
        victim.kill("demo")
        while net.supervisor.child_ref(victim.name) is victim:
            await asyncio.wait_for(changed, timeout=5)
            changed = net.supervisor.changed()
        print("live registry after the restart:")
        for child in net.which_children():
            print(f"  {child.id}: {child.ref!r} restarts={child.restarts}")
        print(f"random_bytes(32) = {(await net.random_bytes(32)).hex()}  (pool whole again)")
