"""``alara.Random`` beyond CPython's own tests: its network, its batching, its threads."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import alara
from alara import BlockingNetwork
from tests.native.sources import CountingSource


@pytest.fixture
def counted() -> Iterator[tuple[alara.Random, CountingSource]]:
    source = CountingSource()
    with BlockingNetwork(sources=[source]) as net:
        net.token_bytes(1)  # the worker has started once this is answered
        source.reset()
        yield alara.Random(network=net), source


def test_refuses_a_network_of_the_wrong_kind() -> None:
    with pytest.raises(TypeError, match="BlockingNetwork"):
        alara.Random(network=alara.create_network(1))  # type: ignore[arg-type]


def test_single_draws_take_one_round_each(counted: tuple[alara.Random, CountingSource]) -> None:
    generator, source = counted
    generator.random()
    generator.getrandbits(64)
    generator.randbytes(10)
    assert source.reads == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda generator: generator.shuffle(list(range(1000))),
        lambda generator: generator.sample(range(10**6), 500),
        lambda generator: generator.sample(["a", "b"], 300, counts=[200, 200]),
        lambda generator: generator.choices(range(10), k=1000),
        lambda generator: generator.choices(range(10), weights=[1] * 10, k=1000),
    ],
)
def test_multi_draw_methods_take_one_round_not_one_per_number(
    counted: tuple[alara.Random, CountingSource], call: object
) -> None:
    generator, source = counted
    call(generator)  # type: ignore[operator]
    assert 1 <= source.reads <= 2  # a second round only if rejection sampling ran short


def test_results_stay_valid_with_one_generator_shared_by_threads() -> None:
    with BlockingNetwork(2) as net:
        generator = alara.Random(network=net)

        def work(seed: int) -> tuple[list[int], list[float], list[int]]:
            items = list(range(seed, seed + 200))
            generator.shuffle(items)
            floats = [generator.random() for _ in range(5)]
            picks = generator.sample(range(1000), 20)
            return items, floats, picks

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(0, 8000, 1000)))
    for seed, (items, floats, picks) in zip(range(0, 8000, 1000), results, strict=True):
        assert sorted(items) == list(range(seed, seed + 200))
        assert all(0.0 <= value < 1.0 for value in floats)
        assert len(set(picks)) == 20
        assert all(0 <= pick < 1000 for pick in picks)


def test_errors_match_system_random() -> None:
    generator = alara.Random()
    with pytest.raises(ValueError, match="k"):
        generator.getrandbits(-1)
    with pytest.raises(TypeError):
        generator.getrandbits(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n"):
        generator.randbytes(-1)
    with pytest.raises(NotImplementedError):
        generator.getstate()
    generator.seed(1234)  # ignored, as SystemRandom ignores it
    assert generator.random() != alara.Random(1234).random()
