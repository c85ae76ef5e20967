"""Hypothesis strategies for the health tests: streams that pass and fail them."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["low_entropy_blocks"]


@st.composite
def low_entropy_blocks(draw: st.DrawFn, alphabet: int = 12, run: int = 8, blocks: int = 12,
                       block_bytes: int = 400) -> list[bytes]:
    """Up to ``blocks`` blocks over a small alphabet (at most ``alphabet`` values), often with
    long runs (up to ``run``), of up to about ``block_bytes`` bytes: so both tests fail and
    pass, at block boundaries and inside blocks."""
    size = draw(st.integers(1, alphabet))
    length = draw(st.integers(1, run))
    drawn = []
    for _ in range(draw(st.integers(1, blocks))):
        values = draw(st.lists(st.integers(0, size - 1), max_size=block_bytes // length))
        drawn.append(bytes(v for v in values for _ in range(length)))
    return drawn
