"""Testing support: deterministic and hostile entropy sources, and a pytest plugin.

Nothing here is imported by ``import alara``, and this package does not import pytest: the
plugin (``alara.testing.plugin``, loaded by pytest through the ``pytest11`` entry point)
is the only module that does.
"""

from __future__ import annotations

from alara.testing.insecure import ENV_VAR, InsecureSourceError
from alara.testing.seeded import InsecureSeededSource, SeededSource, seeded_sources
from alara.testing.sources import (
    AsyncSource,
    AttackerSource,
    BiasedSource,
    ConstantSource,
    GlitchSource,
    HangingSource,
    PatternSource,
    RaisingSource,
    SlowSource,
    WrongLengthSource,
)

__all__ = [
    "ENV_VAR",
    "AsyncSource",
    "AttackerSource",
    "BiasedSource",
    "ConstantSource",
    "GlitchSource",
    "HangingSource",
    "InsecureSeededSource",
    "InsecureSourceError",
    "PatternSource",
    "RaisingSource",
    "SeededSource",
    "SlowSource",
    "WrongLengthSource",
    "seeded_sources",
]
