"""Pools of one source kind each, for ``randtest``'s ``--sources-from`` cases.

Each returns a one-worker pool of that kind, as discovery would make it (the hardware RNG
device behind its reservoir), so a battery judges each kind's contribution alone.
"""

from __future__ import annotations

from alara import CpuSource, EntropySource, HwrngSource, OsSource, ReservoirSource

__all__ = ["cpu_alone", "hwrng_alone", "os_alone", "os_pool"]


def os_alone() -> list[EntropySource]:
    return [OsSource()]


def hwrng_alone() -> list[EntropySource]:
    return [ReservoirSource(HwrngSource())]


def cpu_alone() -> list[EntropySource]:
    return [CpuSource()]


def os_pool() -> list[EntropySource]:
    """Three OS workers: the pool every network had before discovery."""
    return [OsSource(), OsSource(), OsSource()]
