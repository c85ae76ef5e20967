"""A source the test breaks on purpose, and the wait for its worker's quarantine."""

from __future__ import annotations

import asyncio
import contextlib

import alara
from alara import OsSource

__all__ = ["SwitchSource", "quarantine"]


class SwitchSource:
    """The OS CSPRNG until ``broken`` is set, then zeros (the repetition count test fails)."""

    def __init__(self) -> None:
        self.broken = False
        self._os = OsSource()

    def read(self, n: int) -> bytes:
        return bytes(n) if self.broken else self._os.read(n)


async def quarantine(network: alara.Network, *switches: SwitchSource) -> None:
    """Break ``switches`` and draw until each one's worker is quarantined (bounded)."""
    for switch in switches:
        switch.broken = True
    async with asyncio.timeout(5):
        while len(network.quarantined()) < len(switches):
            # a request that meets the failures is what drives the quarantine
            with contextlib.suppress(alara.AlaraError):
                await network.random_bytes(32)
