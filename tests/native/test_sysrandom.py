"""``alara.Random`` beyond CPython's own tests: its network, its batching, its threads."""

from __future__ import annotations

import random
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
        yield alara.Random(network=net, rekey="per-call"), source  # rounds count the draws


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


_EVERY_DRAW = {
    "random": lambda g: g.random(),
    "uniform": lambda g: g.uniform(1, 2),
    "triangular": lambda g: g.triangular(0, 1, 0.5),
    "randint": lambda g: g.randint(1, 6),
    "randrange": lambda g: g.randrange(10**30),
    "choice": lambda g: g.choice("abc"),
    "choices": lambda g: g.choices("abc", k=5),
    "shuffle": lambda g: g.shuffle(list(range(50))),
    "sample": lambda g: g.sample(range(100), 10),
    "gauss": lambda g: g.gauss(0, 1),
    "normalvariate": lambda g: g.normalvariate(0, 1),
    "lognormvariate": lambda g: g.lognormvariate(0, 1),
    "expovariate": lambda g: g.expovariate(1.0),
    "vonmisesvariate": lambda g: g.vonmisesvariate(0, 1),
    "gammavariate": lambda g: g.gammavariate(0.5, 1),
    "betavariate": lambda g: g.betavariate(2, 3),
    "paretovariate": lambda g: g.paretovariate(2),
    "weibullvariate": lambda g: g.weibullvariate(1, 2),
    "getrandbits": lambda g: g.getrandbits(100),
    "randbytes": lambda g: g.randbytes(16),
}


@pytest.mark.parametrize("name", sorted(_EVERY_DRAW))
def test_every_draw_comes_from_the_network_never_from_mersenne_twister(
    counted: tuple[alara.Random, CountingSource], name: str,
) -> None:
    """``alara.Random`` subclasses ``random.Random`` (that is what makes it a drop-in, as
    ``SystemRandom``), so it carries the Mersenne Twister's state: no method may touch it.
    Each draw takes a network round, the inherited generator's state is unchanged, and no
    value is kept for later (``gauss``'s cached second value included)."""
    generator, source = counted
    twister = random.Random.getstate  # the base class's, which alara.Random overrides to raise
    version, state, _ = twister(generator)
    _EVERY_DRAW[name](generator)
    assert source.reads >= 1
    assert twister(generator) == (version, state, None)


def test_gauss_never_leaves_a_value_for_another_call(
    counted: tuple[alara.Random, CountingSource],
) -> None:
    """The inherited ``gauss`` keeps its second value in ``gauss_next`` between calls; another
    thread could take it in the instant before it is dropped. Here it is never stored, each
    call costs two fresh draws, and the values are normal (mean 0, variance 1 at a glance)."""
    generator, source = counted
    reads = source.reads
    values = [generator.gauss(0.0, 1.0) for _ in range(2_000)]
    assert vars(generator)["gauss_next"] is None  # as random.Random.__init__ left it
    assert source.reads - reads >= 2 * 2_000  # two fresh draws per value: none from a cache
    mean = sum(values) / len(values)
    variance = sum((value - mean) ** 2 for value in values) / len(values)
    assert abs(mean) < 0.15  # 6.7 standard errors
    assert 0.8 < variance < 1.2
    assert generator.gauss(10.0, 0.0) == 10.0
