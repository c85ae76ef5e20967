"""``Network``'s ``secrets`` vocabulary: secrets' defaults and errors, uniform results, and
multi-draw methods served by one request rather than one per element."""

from __future__ import annotations

import asyncio
import base64
import string
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from itertools import permutations
from typing import Any

import pytest

import alara
from alara import DEFAULT_ENTROPY, MAX_BYTES, MAX_INT_BITS, Network
from tests.native.sources import CountingSource

URLSAFE = set(string.ascii_letters + string.digits + "-_")
# Pearson's chi-square bounds that uniform results exceed with probability < 1e-8
# (Wilson-Hilferty): 23 degrees of freedom (24 permutations) and 19 (20 ordered pairs).
CHI2_23 = 90.0
CHI2_19 = 80.0


@pytest.fixture
async def counted() -> AsyncIterator[tuple[Network, list[CountingSource]]]:
    sources = [CountingSource() for _ in range(3)]
    async with alara.create_network(sources=sources) as net:
        await net.random_bytes(1)  # every worker has started once this is answered
        for source in sources:
            source.reset()
        yield net, sources


def chi_square(counts: Counter[Any], cells: int) -> float:
    total = sum(counts.values())
    expected = total / cells
    observed = list(counts.values()) + [0] * (cells - len(counts))
    return sum((value - expected) ** 2 / expected for value in observed)


async def test_tokens_have_secrets_sizes_and_alphabets(network: Network) -> None:
    assert len(await network.token_bytes()) == DEFAULT_ENTROPY
    assert len(await network.token_bytes(None)) == DEFAULT_ENTROPY
    assert await network.token_bytes(0) == b""
    assert len(await network.token_bytes(100)) == 100
    hex_token = await network.token_hex()
    assert len(hex_token) == 2 * DEFAULT_ENTROPY
    assert set(hex_token) <= set("0123456789abcdef")
    for size in (None, 1, 11, 28, 76):
        token = await network.token_urlsafe(size)
        assert set(token) <= URLSAFE
        padded = token + "=" * (-len(token) % 4)
        assert len(base64.urlsafe_b64decode(padded)) == (size or DEFAULT_ENTROPY)


async def test_tokens_differ(network: Network) -> None:
    tokens = {await network.token_hex(16) for _ in range(50)}
    assert len(tokens) == 50


async def test_integers_are_in_range(network: Network) -> None:
    assert await network.randbits(0) == 0
    for bits in (1, 3, 64, 200):
        assert 0 <= await network.randbits(bits) < 1 << bits
    assert await network.randbelow(1) == 0
    for bound in (2, 7, 1000, 1 << 130):
        assert 0 <= await network.randbelow(bound) < bound
    assert {await network.randbelow(3) for _ in range(200)} == {0, 1, 2}


async def test_choice_and_uuid4(network: Network) -> None:
    assert await network.choice([42]) == 42
    assert {await network.choice("abc") for _ in range(200)} == set("abc")
    value = await network.uuid4()
    assert isinstance(value, uuid.UUID)
    assert value.version == 4
    assert value.variant == uuid.RFC_4122
    assert len({await network.uuid4() for _ in range(20)}) == 20


@pytest.mark.parametrize(
    ("call", "error", "named"),
    [
        (lambda net: net.token_bytes(-1), ValueError, "nbytes"),
        (lambda net: net.token_bytes(MAX_BYTES + 1), ValueError, "nbytes"),
        (lambda net: net.token_bytes(1.5), TypeError, "nbytes"),
        (lambda net: net.token_hex(True), TypeError, "nbytes"),
        (lambda net: net.token_urlsafe("8"), TypeError, "nbytes"),
        (lambda net: net.randbelow(0), ValueError, "exclusive_upper_bound"),
        (lambda net: net.randbelow(-1), ValueError, "exclusive_upper_bound"),
        (lambda net: net.randbelow(2.0), TypeError, "exclusive_upper_bound"),
        (lambda net: net.randbits(-1), ValueError, "k"),
        (lambda net: net.randbits(MAX_INT_BITS + 1), ValueError, "k"),
        (lambda net: net.choice([]), IndexError, "empty"),
        (lambda net: net.sample({1, 2, 3}, 1), TypeError, "sequence"),
        (lambda net: net.sample(range(3), 4), ValueError, "k"),
        (lambda net: net.sample(range(3), -1), ValueError, "k"),
        (lambda net: net.shuffle((1, 2, 3)), TypeError, "item assignment"),
    ],
)
async def test_bad_input_raises_secrets_errors_and_leaves_the_network_healthy(
    network: Network, call: Any, error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named):
        await call(network)
    assert len(await network.token_bytes(32)) == 32


async def test_shuffle_is_a_permutation_and_uniform(network: Network) -> None:
    items = list(range(50))
    await network.shuffle(items)
    assert sorted(items) == list(range(50))
    empty: list[int] = []
    await network.shuffle(empty)
    assert empty == []
    seen: Counter[tuple[int, ...]] = Counter()
    for _ in range(2400):
        order = [0, 1, 2, 3]
        await network.shuffle(order)
        seen[tuple(order)] += 1
    assert set(seen) == set(permutations(range(4)))
    assert chi_square(seen, 24) < CHI2_23


async def test_sample_is_distinct_and_uniform(network: Network) -> None:
    assert await network.sample(range(10), 0) == []
    drawn = await network.sample(range(10**12), 5)  # sparse: no list of 10**12 items
    assert len(set(drawn)) == 5
    assert sorted(await network.sample("abcde", 5)) == list("abcde")
    seen: Counter[tuple[int, ...]] = Counter()
    for _ in range(2000):
        seen[tuple(await network.sample(range(5), 2))] += 1
    assert set(seen) == set(permutations(range(5), 2))
    assert chi_square(seen, 20) < CHI2_19


async def test_shuffle_and_sample_draw_once_not_once_per_element(
    counted: tuple[Network, list[CountingSource]],
) -> None:
    net, sources = counted
    items = list(range(1000))
    await net.shuffle(items)
    assert [source.reads for source in sources] in ([1, 1, 1], [2, 2, 2])
    for source in sources:
        source.reset()
    await net.sample(range(10**6), 500)
    assert [source.reads for source in sources] in ([1, 1, 1], [2, 2, 2])


async def test_alara_names_still_work(network: Network) -> None:
    assert len(await network.random_bytes(5)) == 5
    assert 0 <= await network.random_int(8) < 256
    assert 0 <= await network.random_below(9) < 9
    assert set(await network.random_bits(16)) <= {0, 1}


@pytest.mark.parametrize(
    "call",
    [
        lambda net, items: net.shuffle(items),
        lambda net, items: net.sample(items, len(items)),
    ],
)
async def test_long_shuffles_and_samples_yield_to_the_loop_between_slices(
    network: Network, call: Any
) -> None:
    """A ticker task counts how often the loop ran it: a shuffle that held the loop from its
    draw to its end would let it run only while the draw waits for the workers."""
    items = list(range(1 << 14))
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    await call(network, items)
    stop.set()
    await task
    assert ticks - before >= 16  # held the loop at most for a sixteenth of the work at once
