"""Property tests for the mixer: what must hold for *every* input, not just the pinned ones.

The one-honest-source argument rests on three facts about ``mix``: a different input (any
contribution, their number or order, or the requested size) hashes a different encoding, the
encoding itself never lets two inputs meet, and the caller always gets exactly ``n`` bytes.
Hypothesis searches for counter-examples, with strategies aimed at the classic framing bugs
(re-splitting the same concatenated bytes, empty contributions, length-field look-alikes).

Outputs are compared only when they are at least 16 bytes long: below that two different
inputs may collide by chance (2**-8 for one byte), which says nothing about the construction.
"""

from __future__ import annotations

import itertools

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alara import MAX_BYTES
from alara.entropy._mixing import KEY_SIZE, encode_contributions, extract, mix
from tests.entropy.reference import decode

MIN_COMPARED = 16  # bytes; a chance collision at this length has probability 2**-128

contribution = st.binary(max_size=80)
contributions = st.lists(contribution, min_size=1, max_size=6)
compared_size = st.integers(min_value=MIN_COMPARED, max_value=4096)
any_size = st.integers(min_value=0, max_value=MAX_BYTES)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[list[bytes], list[bytes]]:
    """A list of contributions and a different one, one small edit away."""
    original = draw(contributions)
    changed = list(original)
    index = draw(st.integers(0, len(changed) - 1))
    edit = draw(st.sampled_from(["flip", "grow", "shrink", "insert", "delete", "swap", "split"]))
    target = changed[index]
    if edit == "flip" and target:
        at = draw(st.integers(0, len(target) - 1))
        bit = 1 << draw(st.integers(0, 7))
        changed[index] = target[:at] + bytes([target[at] ^ bit]) + target[at + 1 :]
    elif edit == "grow":
        changed[index] = target + draw(st.binary(min_size=1, max_size=4))
    elif edit == "shrink" and target:
        changed[index] = target[:-1]
    elif edit == "insert":
        changed.insert(index, draw(contribution))
    elif edit == "delete" and len(changed) > 1:
        del changed[index]
    elif edit == "swap" and len(changed) > 1:
        other = (index + 1) % len(changed)
        changed[index], changed[other] = changed[other], changed[index]
    elif edit == "split":
        at = draw(st.integers(0, len(target)))
        changed[index : index + 1] = [target[:at], target[at:]]
    assume(changed != original)  # e.g. swapping two equal contributions
    return original, changed


@st.composite
def resplit(draw: st.DrawFn) -> tuple[list[bytes], list[bytes]]:
    """Two different lists with the same concatenation: what a naive ``b"".join`` confuses."""
    data = draw(st.binary(max_size=64))

    def cut() -> list[bytes]:
        points = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
        bounds = [0, *points, len(data)]
        return [data[a:b] for a, b in itertools.pairwise(bounds)]

    left, right = cut(), cut()
    assume(left != right)
    return left, right


@settings(max_examples=300)
@given(pair=mutated(), n=compared_size)
def test_any_changed_contribution_changes_the_output(
    pair: tuple[list[bytes], list[bytes]], n: int
) -> None:
    original, changed = pair
    assert extract(original, n) != extract(changed, n)
    assert mix(original, n) != mix(changed, n)


@settings(max_examples=200)
@given(parts=contributions, sizes=st.lists(compared_size, min_size=2, max_size=2, unique=True))
def test_a_different_size_gives_a_different_output_not_a_prefix(
    parts: list[bytes], sizes: list[int]
) -> None:
    short, long = sorted(sizes)
    assert extract(parts, short) != extract(parts, long)
    assert mix(parts, long)[:short] != mix(parts, short)


@settings(max_examples=300)
@given(pair=resplit(), n=any_size)
def test_resplitting_the_same_bytes_is_a_different_encoding(
    pair: tuple[list[bytes], list[bytes]], n: int
) -> None:
    left, right = pair
    assert encode_contributions(left, n) != encode_contributions(right, n)
    if n >= MIN_COMPARED:
        assert mix(left, min(n, 4096)) != mix(right, min(n, 4096))


@settings(max_examples=300)
@given(left=contributions, right=contributions, n=any_size, m=any_size)
def test_encoding_is_injective(left: list[bytes], right: list[bytes], n: int, m: int) -> None:
    """Equal encodings only for equal inputs; the decoder recovers each input exactly."""
    same_input = (left, n) == (right, m)
    assert (encode_contributions(left, n) == encode_contributions(right, m)) == same_input
    assert decode(encode_contributions(left, n)) == (n, left)


@settings(max_examples=200)
@given(parts=contributions, n=st.integers(min_value=0, max_value=3 * KEY_SIZE))
def test_length_is_exact_around_the_key_size(parts: list[bytes], n: int) -> None:
    out = mix(parts, n)
    assert type(out) is bytes
    assert len(out) == n


@settings(max_examples=50)
@given(parts=contributions, n=st.integers(min_value=0, max_value=1 << 20))
def test_length_is_exact_for_any_size(parts: list[bytes], n: int) -> None:
    assert len(mix(parts, n)) == n
