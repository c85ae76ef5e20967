"""The mixer: known answers from an independent implementation, exact lengths, injective
framing, and the one-honest-contribution property.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alara import MAX_BYTES, mix
from alara.entropy import _mixing as mixing
from alara.entropy._mixing import (
    EXPAND_BLOCK,
    EXPAND_TAG,
    EXTRACT_TAG,
    KEY_SIZE,
    encode_contributions,
    expand,
    expand_blocks,
    extract,
    extract_pieces,
)
from alara.testing.sources import AttackerSource, ConstantSource, PatternSource
from tests.entropy.reference import decode, reference_extract, reference_mix
from tests.entropy.stats import chi_square, looks_uniform

# Computed once from alara's mixer, cross-checked below against the pycryptodome
# reference: any change of tags, field widths, order or expansion breaks these.
PINNED = [
    ([b"\x00" * 32], 32, "801f8deaf506c9053b70d80321835211a6da4fe941e9485ee7a8709f44056afb"),
    ([b"a" * 32, b"b" * 32], 16, "5a6c2e41e4f0b9b3e9b03e2885c3a57f"),
    (
        [bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))],
        64,
        "d122a264a6780e0f805b3b3df18fa2e3157c354345548cdbc70aafd1abb1ede1"
        "076b4381c934bce87cd76c7fe3bac02b063561d13338948ee118674abf87a2b3",
    ),
    ([b"ab", b"c"], 1, "81"),
    ([b""], 33, "9e53af1a8f14d03e264ec77663166e66a8d4b82c81203b90daa97aebb8ae4c9ff0"),
    (
        [b"alara"],
        100,
        "a8297fb4dd2bf82a227afd839cb94ede13622b554a120e100f72cebef56c7b06"
        "6bb29c930cbda2e93f0f01627f71cf7734c82d2e244895069d5a5e0a5725c64b"
        "71b69594b826d24e0c9ef493ea280ce5d29359900aa0102d94551e79f2d5611e"
        "ddb89fad",
    ),
]

# sha256 of mix([b"alara"], 600_001): the counter-block expansion above EXPAND_BLOCK.
PINNED_LARGE = "74e205ed7b5c335437e1e0af205626ae34498c57dce7d4acaf504d2717bb6724"


# -- known answers ---------------------------------------------------------------------------


def test_constants_are_the_documented_ones() -> None:
    assert EXTRACT_TAG == b"alara/v1/extract"
    assert EXPAND_TAG == b"alara/v1/expand"
    assert KEY_SIZE == 32
    assert mixing.MIN_CONTRIBUTION == 32


@pytest.mark.parametrize(("contributions", "n", "expected"), PINNED)
def test_pinned_vectors(contributions: list[bytes], n: int, expected: str) -> None:
    assert mix(contributions, n).hex() == expected
    assert reference_mix(contributions, n).hex() == expected


@pytest.mark.parametrize("n", [*range(0, 70), 127, 128, 1000, 4096, 65_537])
def test_matches_reference_for_every_small_and_some_large_sizes(n: int) -> None:
    contributions = [os.urandom(32), os.urandom(32), os.urandom(48)]
    assert mix(contributions, n) == reference_mix(contributions, n)
    assert extract(contributions, n) == reference_extract(contributions, n)


@pytest.mark.parametrize(
    "n", [EXPAND_BLOCK - 1, EXPAND_BLOCK, EXPAND_BLOCK + 1, 3 * EXPAND_BLOCK, 3 * EXPAND_BLOCK + 7]
)
def test_block_expansion_matches_reference_around_the_block_size(n: int) -> None:
    contributions = [os.urandom(32), os.urandom(40)]
    assert mix(contributions, n) == reference_mix(contributions, n)
    key = extract(contributions, n)
    assert b"".join(expand_blocks(key, n)) == expand(key, n)
    assert all(len(block) <= EXPAND_BLOCK for block in expand_blocks(key, n))


def test_block_expansion_pinned_vector() -> None:
    # Pins the counter-block construction above EXPAND_BLOCK (digest of a 600,001-byte output).
    out = mix([b"alara"], 600_001)
    assert hashlib.sha256(out).hexdigest() == PINNED_LARGE
    assert hashlib.sha256(reference_mix([b"alara"], 600_001)).hexdigest() == PINNED_LARGE


@pytest.mark.parametrize("sizes", [[32], [32, 48, 0], [3 * EXPAND_BLOCK + 1, 5]])
def test_extract_pieces_hash_to_extract(sizes: list[int]) -> None:
    contributions = [os.urandom(size) for size in sizes]
    digest = hashlib.sha3_256()
    for piece in extract_pieces(contributions, 77):
        assert len(piece) <= EXPAND_BLOCK
        digest.update(piece)
    assert digest.digest() == extract(contributions, 77)


@given(
    contributions=st.lists(st.binary(max_size=80), min_size=1, max_size=6),
    n=st.integers(min_value=0, max_value=300),
)
def test_matches_reference_on_arbitrary_inputs(contributions: list[bytes], n: int) -> None:
    assert mix(contributions, n) == reference_mix(contributions, n)


def test_expand_is_the_documented_split() -> None:
    key = extract([os.urandom(32)], 40)
    assert expand(key, 32) == key
    assert expand(key, 5) == key[:5]
    assert mix([b"x" * 32], 40) == expand(extract([b"x" * 32], 40), 40)


def test_bytearray_contributions_mix_like_bytes() -> None:
    data = [os.urandom(32), os.urandom(33)]
    assert mix([bytearray(d) for d in data], 50) == mix(data, 50)
    assert mix(tuple(data), 50) == mix(data, 50)


# -- lengths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 65))
def test_exact_length_1_to_64(n: int) -> None:
    out = mix([os.urandom(32)], n)
    assert type(out) is bytes
    assert len(out) == n


@pytest.mark.parametrize("n", [0, 1 << 16, 1 << 20, 5_000_003])
def test_exact_length_large_and_zero(n: int) -> None:
    assert len(mix([os.urandom(32), os.urandom(32)], n)) == n


def test_different_sizes_are_different_outputs_not_prefixes() -> None:
    contributions = [b"\x11" * 32, b"\x22" * 32]
    sizes = [*range(1, 65), 100, 1000]
    outputs = {n: mix(contributions, n) for n in sizes}
    for short in sizes:
        for long in sizes:
            if short < long:
                assert outputs[long][:short] != outputs[short], (short, long)
    # The 32-byte keys behind the sizes are all different too.
    assert len({extract(contributions, n) for n in sizes}) == len(sizes)


# -- framing ---------------------------------------------------------------------------------


COLLIDING_IF_CONCATENATED = [
    ([b"ab", b"c"], [b"a", b"bc"]),
    ([b"abc"], [b"ab", b"c"]),
    ([b""], [b"", b""]),
    ([b"a", b""], [b"", b"a"]),
    ([b"a"], [b"a", b""]),
    # A contribution that imitates a length field plus the next contribution.
    ([b"x" + (1).to_bytes(8, "big") + b"y"], [b"x", b"y"]),
    ([b"x" * 32, b"y" * 32], [b"y" * 32, b"x" * 32]),  # order is part of the input
]


@pytest.mark.parametrize(("left", "right"), COLLIDING_IF_CONCATENATED)
def test_framing_is_injective(left: list[bytes], right: list[bytes]) -> None:
    assert encode_contributions(left, 32) != encode_contributions(right, 32)
    assert mix(left, 32) != mix(right, 32)
    assert mix(left, 64) != mix(right, 64)


@given(
    contributions=st.lists(st.binary(max_size=40), min_size=1, max_size=5),
    n=st.integers(min_value=0, max_value=MAX_BYTES),
)
def test_encoding_decodes_back_to_its_inputs(contributions: list[bytes], n: int) -> None:
    """A parser that recovers (n, contributions) exactly proves the encoding injective."""
    assert decode(encode_contributions(contributions, n)) == (n, contributions)


@given(
    size=st.integers(min_value=0, max_value=64),
    count=st.integers(min_value=1, max_value=6),
    n=st.integers(min_value=0, max_value=MAX_BYTES),
    seed=st.binary(min_size=1, max_size=8),
)
def test_equal_length_contributions_take_the_one_join_path_with_the_same_encoding(
    size: int, count: int, n: int, seed: bytes
) -> None:
    """A network's contributions (bytes of one length) are encoded with one join; bytearrays
    take the field-by-field path: both must give the same bytes, which decode back."""
    contributions = [hashlib.shake_256(seed + bytes([i])).digest(size) for i in range(count)]
    encoded = encode_contributions(contributions, n)
    assert encoded == encode_contributions([bytearray(c) for c in contributions], n)
    assert decode(encoded) == (n, contributions)


def test_encoding_layout() -> None:
    encoded = encode_contributions([b"ab", b"c"], 7)
    assert encoded == (
        b"alara/v1/extract"
        + (7).to_bytes(8, "big")
        + (2).to_bytes(8, "big")
        + (2).to_bytes(8, "big")
        + b"ab"
        + (1).to_bytes(8, "big")
        + b"c"
    )


# -- one honest contribution -----------------------------------------------------------------


def _hostile() -> list[object]:
    return [ConstantSource(0), ConstantSource(0xFF), AttackerSource(), PatternSource()]


def _hostile_round(sources: list[object]) -> list[bytes]:
    return [source.read(32) for source in sources]  # type: ignore[attr-defined]


def test_one_honest_contribution_makes_the_output_uniform() -> None:
    sources = _hostile()
    outputs = [mix([*_hostile_round(sources), os.urandom(32)], 32) for _ in range(4096)]
    ok, statistic = looks_uniform(outputs)
    assert ok, statistic
    assert len(set(outputs)) == len(outputs)


@pytest.mark.parametrize("position", [0, 2, 4])
def test_honest_contribution_works_in_any_position(position: int) -> None:
    sources = _hostile()
    outputs = []
    for _ in range(2048):
        contributions = _hostile_round(sources)
        contributions.insert(position, os.urandom(32))
        outputs.append(mix(contributions, 64))
    ok, statistic = looks_uniform(outputs)
    assert ok, statistic


def test_all_hostile_contributions_are_deterministic() -> None:
    """Without the honest input the attacker can predict every output: it is what matters."""
    runs = []
    for _ in range(2):
        sources = _hostile()
        runs.append([mix(_hostile_round(sources), 32) for _ in range(256)])
    assert runs[0] == runs[1]
    constant = [mix([b"\x00" * 32, b"\xff" * 32], 32) for _ in range(256)]
    assert len(set(constant)) == 1
    assert chi_square(constant) > 10 * 450  # so the uniformity check has teeth


def test_the_uniformity_check_rejects_bad_bytes() -> None:
    """The statistic itself catches constant, patterned and counter-like bytes."""
    assert not looks_uniform([b"\x00" * 1024])[0]
    assert not looks_uniform([bytes(range(256)) * 512])[0]  # too even: below the lower bound
    assert not looks_uniform([PatternSource().read(1 << 16)])[0]
    assert looks_uniform([os.urandom(1 << 17)])[0]


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [True, 1.0, "3", None, b"3"])
def test_mix_rejects_non_int_sizes(n: object) -> None:
    with pytest.raises(TypeError, match=r"n must be an int in \[0, 1073741824\]"):
        mix([b"a" * 32], n)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [-1, MAX_BYTES + 1, 1 << 64])
def test_mix_rejects_sizes_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=r"n must be in \[0, 1073741824\]"):
        mix([b"a" * 32], n)
    with pytest.raises(ValueError, match=r"n must be in \[0, 1073741824\]"):
        extract([b"a" * 32], n)
    with pytest.raises(ValueError, match=r"n must be in \[0, 1073741824\]"):
        expand(b"k" * 32, n)


def test_mix_rejects_an_empty_list() -> None:
    with pytest.raises(ValueError, match="contributions must hold at least 1"):
        mix([], 32)


@pytest.mark.parametrize(
    "contributions",
    [b"abc", "abc", bytearray(b"abc"), 42, None, iter([b"a"])],
)
def test_mix_rejects_what_is_not_a_sequence_of_contributions(contributions: object) -> None:
    with pytest.raises(TypeError, match="contributions must be a sequence of bytes"):
        mix(contributions, 32)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["ab", 5, None, memoryview(b"abcd").cast("I")])
def test_mix_rejects_contributions_that_are_not_bytes(bad: object) -> None:
    """A memoryview's len() counts items, not bytes: it would break the length prefixes."""
    with pytest.raises(TypeError, match="each contribution must be bytes or bytearray"):
        mix([b"a" * 32, bad], 32)  # type: ignore[list-item]


@pytest.mark.parametrize("key", [b"short", b"k" * 33, "k" * 32, None])
def test_expand_rejects_keys_that_are_not_32_bytes(key: object) -> None:
    with pytest.raises(TypeError, match="key must be 32 bytes"):
        expand(key, 10)  # type: ignore[arg-type]
