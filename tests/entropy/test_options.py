"""``NetworkOptions``: one validated settings object behind every way of making a network."""

from __future__ import annotations

import dataclasses
from typing import get_type_hints

import pytest

import alara
from alara import BlockingNetwork, HealthPolicy, NetworkOptions, OsSource
from alara.entropy import NetworkKeywords


def test_the_defaults() -> None:
    options = NetworkOptions()
    assert options.size == 3
    assert (options.max_restarts, options.period) == (10, 5.0)
    assert (options.timeout, options.contribution_timeout, options.close_timeout) == (5.0, 1.0,
                                                                                       10.0)
    assert options.min_sources is None
    assert options.contribution_size == alara.entropy.MIN_CONTRIBUTION
    assert options.cluster is None


def test_options_are_frozen_and_a_replace_is_checked_again() -> None:
    options = NetworkOptions(workers=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.workers = 6  # type: ignore[misc]
    assert dataclasses.replace(options, timeout=2.0).timeout == 2.0
    with pytest.raises(ValueError, match=r"timeout must be in \(0, 3600\]"):
        dataclasses.replace(options, timeout=0)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"workers": 0}, ValueError, "workers must be in"),
        ({"sources": "abc"}, TypeError, "sources must be a sequence"),
        ({"sources": [OsSource()], "workers": 2}, ValueError, r"workers \(2\) must equal"),
        ({"min_sources": 4}, ValueError, r"min_sources must be in \[1, 3\]"),
        ({"health": HealthPolicy}, TypeError, "the class HealthPolicy itself"),
        ({"health": 3}, TypeError, "health must be a callable"),
        ({"quarantine_after": 0}, ValueError, "quarantine_after must be in"),
        ({"max_waiting": 0}, ValueError, "max_waiting must be in"),
        ({"max_restarts": -1}, ValueError, "max_restarts must be in"),
        ({"cluster": object()}, TypeError, "cluster must be a Cluster"),
    ],
)
def test_bad_options_name_the_option_and_its_range(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        NetworkOptions(**options)  # type: ignore[arg-type]


def test_sources_are_kept_as_a_tuple_so_the_options_cannot_change_later() -> None:
    sources = [OsSource(), OsSource()]
    options = NetworkOptions(sources=sources)
    sources.append(OsSource())
    assert options.sources == tuple(sources[:2])
    assert options.size == 2


def test_the_keywords_are_the_options_but_workers() -> None:
    fields = {field.name for field in dataclasses.fields(NetworkOptions)}
    assert set(get_type_hints(NetworkKeywords)) == fields - {"workers"}


async def test_a_network_made_from_options_or_keywords_is_the_same() -> None:
    options = NetworkOptions(workers=2, timeout=2.5, min_sources=1)
    async with alara.create_network(options=options) as net:
        assert net.options == options
        assert len(net.which_children()) == 2
        assert net.status().timeout == 2.5
    net = alara.Network(2, timeout=2.5, min_sources=1)
    assert net.options == options


def test_keywords_next_to_options_override_them() -> None:
    options = NetworkOptions(workers=2, timeout=2.5)
    net = alara.Network(4, options=options, min_sources=3)
    assert net.options == NetworkOptions(workers=4, timeout=2.5, min_sources=3)
    assert alara.Network(options=options).options is options


def test_options_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(TypeError, match="options must be a NetworkOptions"):
        alara.Network(options={"workers": 2})  # type: ignore[arg-type]


def test_a_blocking_network_takes_the_same_options() -> None:
    options = NetworkOptions(workers=2, timeout=2.5)
    with BlockingNetwork(options=options) as net:
        assert len(net.which_children()) == 2
        assert net.status().timeout == 2.5
        assert len(net.token_bytes(16)) == 16
    with pytest.raises(ValueError, match="contribution_size must be in"):
        BlockingNetwork(2, contribution_size=1)


def test_the_environment_sets_the_options_it_names() -> None:
    environ = {"ALARA_WORKERS": "5", "ALARA_MIN_SOURCES": "2", "ALARA_TIMEOUT": " 2.5 ",
               "ALARA_CONTRIBUTION_TIMEOUT": "", "UNRELATED": "x"}
    assert NetworkOptions.from_environment(environ) == NetworkOptions(
        workers=5, min_sources=2, timeout=2.5)
    assert NetworkOptions.from_environment({}) == NetworkOptions()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ALARA_WORKERS": "many"}, "ALARA_WORKERS must be an int, got 'many'"),
        ({"ALARA_TIMEOUT": "soon"}, "ALARA_TIMEOUT must be a number, got 'soon'"),
        ({"ALARA_WORKERS": "0", "ALARA_TIMEOUT": "1"},
         r"\(ALARA_WORKERS='0'\): workers must be in \[1, 100000\], got 0"),
        ({"ALARA_CONTRIBUTION_TIMEOUT": "-1"},
         r"\(ALARA_CONTRIBUTION_TIMEOUT='-1'\): contribution_timeout must be in \(0, 3600\]"),
        ({"ALARA_WORKERS": "2", "ALARA_MIN_SOURCES": "3"},
         r"\(ALARA_MIN_SOURCES='3'\): min_sources must be in \[1, 2\]"),
    ],
)
def test_a_malformed_environment_names_the_variable_and_the_range(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        NetworkOptions.from_environment(environ)


async def test_without_remote_workers_there_is_no_cluster_to_show() -> None:
    async with alara.create_network(1) as net:
        assert net.get_cluster_nodes() == []
        assert net.status().cluster is None
        assert net.status().missing == ()
