"""alara's pytest plugin: a fresh network per test, configured by marker, on the right loop.

Loaded by pytest through the ``pytest11`` entry point (disable with ``-p no:alara``). It gives:

* the ``alara_network`` fixture: a started network for one test, closed afterwards even when
  the test fails, started on the event loop the test runs on (pytest-asyncio's function,
  class, module, package or session loop, from the test's ``asyncio`` marker or the
  ``asyncio_default_test_loop_scope`` setting);
* the ``alara`` marker: ``@pytest.mark.alara(workers=5, seed=7, ...)`` sets its options
  (``create_network`` keywords, ``seed`` for one ``SeededSource`` per worker, and
  ``default=True`` to make it the module-level default network during the test);
* ``network_fixture(name, scope=...)``: a shared network for a module, package or session;
* a check before each test that every network it was given lives on the test's own loop, so
  a mismatch is a clear error instead of a request that waits on a loop nobody runs;
* permission for ``SeededSource`` while the session runs (``alara.testing.insecure``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

import alara
from alara.testing.insecure import close_for_pytest, open_for_pytest
from alara.testing.options import check_options, network_from_options

__all__ = ["LOOP_SCOPES", "alara_network", "loop_scope_of", "network_fixture"]

LOOP_SCOPES = ("function", "class", "module", "package", "session")
"""pytest-asyncio's loop scopes, narrowest first."""

_MARKER_HELP = (
    "alara(**options): options of the alara_network fixture: create_network keywords "
    "(workers=5, min_sources=..., timeout=...), seed=N for one SeededSource per worker, "
    "default=True to serve the module-level functions (await alara.token_hex()) from it"
)


def _load_pytest_asyncio() -> ModuleType | None:
    try:
        return importlib.import_module("pytest_asyncio")
    except ImportError:
        return None


_asyncio_plugin = _load_pytest_asyncio()


@dataclass(frozen=True)
class _Binding:
    """Which fixture made a network, and the loop scope it started on."""

    fixture: str
    loop_scope: str


_bindings: dict[int, _Binding] = {}  # id(network) -> binding, while the fixture holds it


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and allow seeded sources for this session."""
    config.addinivalue_line("markers", _MARKER_HELP)
    open_for_pytest()


def pytest_unconfigure(config: pytest.Config) -> None:
    """End this session's permission for seeded sources."""
    close_for_pytest()


def loop_scope_of(item: pytest.Item) -> str:
    """The loop scope pytest-asyncio runs ``item`` on (its rule: marker, then the ini default)."""
    marker = item.get_closest_marker("asyncio")
    scope = None
    if marker is not None:
        scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    if scope is None:
        try:
            scope = item.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # a pytest-asyncio without the setting: function loops only
            scope = None
    return str(scope or "function")


def _marker_options(item: pytest.Item) -> dict[str, Any]:
    """The ``alara`` markers' options, the closest marker winning on each name."""
    merged: dict[str, Any] = {}
    for marker in item.iter_markers("alara"):  # closest first
        if marker.args:
            pytest.fail(f"{item.nodeid}: @pytest.mark.alara takes keyword options only "
                        f"(workers=5, seed=7, ...), got positional {marker.args!r}",
                        pytrace=False)
        for name, value in marker.kwargs.items():
            merged.setdefault(name, value)
    try:
        return check_options(merged, f"{item.nodeid}: @pytest.mark.alara")
    except (TypeError, ValueError) as error:
        pytest.fail(str(error), pytrace=False)


@asynccontextmanager
async def _serve(options: Mapping[str, Any], fixture: str, loop_scope: str,
                 where: str) -> AsyncIterator[alara.Network]:
    """Start a network from ``options``, bind it to this loop, close it whatever happens."""
    try:
        network = network_from_options(options)
    except (TypeError, ValueError) as error:
        pytest.fail(f"{where}: {error}", pytrace=False)
    key = id(network)
    async with network:
        _bindings[key] = _Binding(fixture, loop_scope)
        try:
            if options.get("default", False):
                with alara.use_network(network):
                    yield network
            else:
                yield network
        finally:
            del _bindings[key]


def _per_test_variant(loop_scope: str) -> Any:
    """A function-scoped network fixture on the ``loop_scope`` loop, options by marker."""
    assert _asyncio_plugin is not None

    async def variant(request: pytest.FixtureRequest) -> AsyncIterator[alara.Network]:
        options = _marker_options(request.node)
        async with _serve(options, "alara_network", loop_scope,
                          f"{request.node.nodeid}: @pytest.mark.alara{options}") as network:
            yield network

    return _asyncio_plugin.fixture(variant, loop_scope=loop_scope,
                                   name=_variant_name(loop_scope))


def _variant_name(loop_scope: str) -> str:
    return f"_alara_network_on_{loop_scope}_loop"


if _asyncio_plugin is not None:
    for _scope in LOOP_SCOPES:
        globals()[_variant_name(_scope)] = _per_test_variant(_scope)


@pytest.fixture
def alara_network(request: pytest.FixtureRequest) -> alara.Network:
    """A started network for this test only, on the test's own event loop; always closed.

    Options come from ``@pytest.mark.alara(...)`` on the test, its class or its module.
    """
    if _asyncio_plugin is None:
        pytest.fail("alara_network needs pytest-asyncio (pip install pytest-asyncio)",
                    pytrace=False)
    network: alara.Network = request.getfixturevalue(
        _variant_name(loop_scope_of(request.node)))
    return network


def network_fixture(name: str, *, scope: str = "module", loop_scope: str | None = None,
                    **options: Any) -> Any:
    """A network fixture named ``name`` shared at ``scope``, for tests on a wider loop.

    Assign it in a test module or ``conftest.py``: ``shared = network_fixture("shared",
    scope="module", workers=5)``. The network starts on the ``loop_scope`` loop (default:
    ``scope``, the only loop that lives as long as the fixture) and only tests running on that
    loop may use it; any other gets a clear error before it starts. ``options`` are
    ``create_network`` keywords, and ``seed``.

    Raises:
        RuntimeError: pytest-asyncio is not installed.
        TypeError, ValueError: a bad ``name``, ``scope``, ``loop_scope`` or option name.
    """
    if _asyncio_plugin is None:
        raise RuntimeError("network_fixture needs pytest-asyncio (pip install pytest-asyncio)")
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError(f"name must be the fixture's name (an identifier), got {name!r}")
    loop_scope = scope if loop_scope is None else loop_scope
    for argument, value in (("scope", scope), ("loop_scope", loop_scope)):
        if value not in LOOP_SCOPES:
            raise ValueError(f"{argument} must be one of {', '.join(LOOP_SCOPES)}, "
                             f"got {value!r}")
    if LOOP_SCOPES.index(loop_scope) < LOOP_SCOPES.index(scope):
        raise ValueError(f"loop_scope ({loop_scope}) must be at least as wide as scope "
                         f"({scope}): the network must not outlive its loop")
    checked = check_options(options, f"network_fixture({name!r})")

    async def shared() -> AsyncIterator[alara.Network]:
        async with _serve(checked, name, loop_scope, f"network_fixture({name!r})") as network:
            yield network

    fixture: Callable[..., Any] = _asyncio_plugin.fixture(
        shared, scope=scope, loop_scope=loop_scope, name=name)
    return fixture


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """After the fixtures are set up: every network given to the test is on its loop."""
    result = yield
    bound = {id(value) for value in getattr(item, "funcargs", {}).values()} & set(_bindings)
    if not bound or not inspect.iscoroutinefunction(getattr(item, "obj", None)):
        return result
    scope = loop_scope_of(item)
    for key in sorted(bound):
        binding = _bindings[key]
        if binding.loop_scope != scope:
            pytest.fail(
                f"{item.nodeid} runs on the {scope}-scoped event loop, but network fixture "
                f"{binding.fixture!r} started on the {binding.loop_scope}-scoped "
                f"loop, and a network serves only the loop it started on. Run the test on "
                f"the {binding.loop_scope} loop (@pytest.mark.asyncio(loop_scope="
                f"{binding.loop_scope!r})) or use the per-test alara_network fixture.",
                pytrace=False)
    return result
