"""A chi-square uniformity check over byte values, with bounds that cannot flake.

Degrees of freedom: 255. For uniform bytes P(chi2 > 450) = 5.8e-13 and P(chi2 < 120) =
2.5e-14 (scipy.stats.chi2, computed once): a uniform source fails them about never, while
constant, patterned, counter-like or biased bytes land far outside (into the thousands, or,
for output that is *too* even, below the lower bound).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

CHI2_LOW = 120.0
CHI2_HIGH = 450.0


def chi_square(blocks: Iterable[bytes]) -> float:
    """Pearson's statistic for the 256 byte values over all ``blocks`` joined."""
    data = b"".join(blocks)
    counts = Counter(data)
    expected = len(data) / 256
    return sum((counts.get(value, 0) - expected) ** 2 / expected for value in range(256))


def looks_uniform(blocks: Iterable[bytes]) -> tuple[bool, float]:
    """``(ok, statistic)``: ok when the statistic is inside the no-flake bounds."""
    statistic = chi_square(blocks)
    return CHI2_LOW < statistic < CHI2_HIGH, statistic
