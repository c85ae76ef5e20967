"""The pytest plugin, exercised the way users meet it: small test files run by pytester."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alara.testing import ENV_VAR
from alara.testing.plugin import network_fixture

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
timeout = 30
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester project configured like a user's: auto mode, no insecure-source override."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    pytester.makeini(INI)
    return pytester


def test_a_fresh_started_network_per_test_closed_even_when_the_test_fails(
        inner: pytest.Pytester) -> None:
    inner.makepyfile("""
        seen = []

        async def test_fails(alara_network):
            seen.append(alara_network)
            assert len(await alara_network.random_bytes(32)) == 32
            assert not alara_network.closed and len(alara_network.get_nodes()) == 3
            raise AssertionError("deliberate")

        async def test_next(alara_network):
            assert seen[0].closed
            assert alara_network is not seen[0] and not alara_network.closed
    """)
    result = inner.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: deliberate*"])


def test_marker_options_merge_from_module_class_and_test(inner: pytest.Pytester) -> None:
    inner.makepyfile("""
        import pytest

        pytestmark = pytest.mark.alara(workers=4, timeout=2.0)

        async def test_module_marker(alara_network):
            assert len(alara_network.get_nodes()) == 4

        @pytest.mark.alara(workers=2)
        class TestClass:
            async def test_class_marker(self, alara_network):
                assert len(alara_network.get_nodes()) == 2

            @pytest.mark.alara(workers=5)
            async def test_closest_wins(self, alara_network):
                assert len(alara_network.get_nodes()) == 5
                assert alara_network.status().timeout == 2.0
    """)
    inner.runpytest("--strict-markers").assert_outcomes(passed=3)


def test_default_option_serves_the_module_level_functions(inner: pytest.Pytester) -> None:
    inner.makepyfile("""
        import alara
        import pytest

        tokens = {}

        @pytest.mark.alara(seed=3, default=True)
        async def test_first(alara_network):
            assert await alara.default_network() is alara_network
            tokens["first"] = await alara.token_hex()

        @pytest.mark.alara(seed=3, default=True)
        async def test_again(alara_network):
            assert await alara.token_hex() == tokens["first"]

        @pytest.mark.alara(seed=3)
        async def test_not_without_the_option(alara_network):
            assert await alara.default_network() is not alara_network
            assert await alara.token_hex() != tokens["first"]

        @pytest.mark.alara(default=1)
        async def test_bad_flag(alara_network):
            raise AssertionError("must not run")
    """)
    result = inner.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*default must be a bool, got int*"])


def test_hostile_sources_by_marker_and_strict_mode(inner: pytest.Pytester) -> None:
    inner.makeini(INI.replace("auto", "strict"))
    inner.makepyfile("""
        import alara
        import pytest
        from alara.testing import HangingSource

        @pytest.mark.asyncio
        @pytest.mark.alara(sources=[HangingSource()], timeout=0.5, contribution_timeout=0.1)
        async def test_a_hung_pool_refuses_to_serve(alara_network):
            with pytest.raises(alara.AlaraError):
                await alara_network.random_bytes(32)
    """)
    inner.runpytest().assert_outcomes(passed=1)


def test_without_pytest_asyncio_the_fixture_says_what_is_missing(
        inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = inner.mkdir("blocker")
    (blocker / "pytest_asyncio.py").write_text("raise ImportError('not installed')\n")
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    inner.makepyfile("""
        from alara.testing import SeededSource

        def test_wants_a_network(alara_network):
            raise AssertionError("must not run")

        def test_seeded_sources_still_allowed():
            assert SeededSource(1).read(8) == SeededSource(1).read(8)
    """)
    result = inner.runpytest_subprocess("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*alara_network needs pytest-asyncio*"])


def test_the_marker_is_registered(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.alara(**options): *workers=5*seed=N*default=True*"])


BAD_MARKERS = {
    "workres=5": "*@pytest.mark.alara: unknown option(s) workres; allowed: *workers*",
    "workers=0": "*@pytest.mark.alara{'workers': 0}: workers must be in [[]1, *]*",
    "workers=True": "*workers must be an int*got bool*",
    "5": "*@pytest.mark.alara takes keyword options only*got positional (5,)*",
    "seed=1, sources=[]": "*give seed or sources, not both*",
    "seed=1.5": "*seed must be an int >= 0, bytes or str, got float*",
}


def test_bad_marker_options_are_a_clear_setup_error(inner: pytest.Pytester) -> None:
    inner.makepyfile("import pytest\n" + "".join(
        f"@pytest.mark.alara({marker})\n"
        f"async def test_{i}(alara_network):\n"
        f"    raise AssertionError('must not run')\n"
        for i, marker in enumerate(BAD_MARKERS)))
    result = inner.runpytest()
    result.assert_outcomes(errors=len(BAD_MARKERS))
    for message in BAD_MARKERS.values():
        result.stdout.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*must not run*")


def test_seed_marker_makes_the_network_reproducible(inner: pytest.Pytester) -> None:
    inner.makepyfile("""
        import pytest
        from alara.testing import SeededSource

        draws = {}

        async def _draw(net):
            return [await net.random_bytes(32), await net.random_int(64)]

        @pytest.mark.alara(seed=11)
        async def test_first(alara_network):
            draws["first"] = await _draw(alara_network)

        @pytest.mark.alara(seed=11)
        async def test_again(alara_network):
            assert await _draw(alara_network) == draws["first"]

        @pytest.mark.alara(seed=12, workers=4)
        async def test_other_seed(alara_network):
            assert len(alara_network.get_nodes()) == 4
            assert await _draw(alara_network) != draws["first"]

        def test_seeded_sources_are_allowed_inside_the_session():
            assert SeededSource(1).read(4) == SeededSource(1).read(4)
    """)
    inner.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


MODULE_LOOP = """
    import asyncio
    import pytest
    from alara.testing.plugin import network_fixture

    pytestmark = pytest.mark.asyncio(loop_scope="module")
    shared = network_fixture("shared", scope="module", workers=2)
    seen = []

    async def test_per_test_network_on_the_module_loop(alara_network, shared):
        seen.append((asyncio.get_running_loop(), alara_network, shared))
        assert len(await alara_network.random_bytes(32)) == 32
        assert len(await shared.random_bytes(32)) == 32

    async def test_same_loop_new_network_same_shared(alara_network, shared):
        loop, first, first_shared = seen[0]
        assert asyncio.get_running_loop() is loop
        assert first.closed and alara_network is not first
        assert shared is first_shared and not shared.closed
        assert len(shared.get_nodes()) == 2
        assert len(await shared.random_bytes(16)) == 16
"""


def test_module_loop_scope(inner: pytest.Pytester) -> None:
    inner.makepyfile(MODULE_LOOP)
    inner.runpytest().assert_outcomes(passed=2)


def test_module_loop_scope_from_the_ini_default(inner: pytest.Pytester) -> None:
    inner.makeini(INI + "asyncio_default_test_loop_scope = module\n")
    inner.makepyfile(MODULE_LOOP.replace('pytestmark = pytest.mark.asyncio(loop_scope="module")',
                                         ""))
    inner.runpytest().assert_outcomes(passed=2)


def test_session_loop_scope_across_modules(inner: pytest.Pytester) -> None:
    inner.makeconftest("""
        from alara.testing.plugin import network_fixture

        everywhere = network_fixture("everywhere", scope="session")
        used = []
    """)
    body = """
        import asyncio
        import pytest
        from conftest import used

        pytestmark = pytest.mark.asyncio(loop_scope="session")

        async def test_it(everywhere, alara_network):
            used.append((asyncio.get_running_loop(), everywhere))
            assert len(await everywhere.random_bytes(32)) == 32
            assert len(await alara_network.random_bytes(32)) == 32
            assert len({{id(loop) for loop, _ in used}}) == 1
            assert len({{id(net) for _, net in used}}) == 1
            assert len(used) == {n}
    """
    inner.makepyfile(test_a=body.format(n=1), test_b=body.format(n=2))
    inner.runpytest().assert_outcomes(passed=2)


def test_a_wider_network_on_another_loop_is_a_clear_error_not_a_hang(
        inner: pytest.Pytester) -> None:
    inner.makepyfile("""
        import alara
        import pytest
        import pytest_asyncio
        from alara.testing.plugin import network_fixture

        shared = network_fixture("shared", scope="module")

        @pytest_asyncio.fixture(scope="module", loop_scope="module")
        async def own():
            async with alara.create_network(2) as network:
                yield network

        @pytest.mark.asyncio(loop_scope="module")
        async def test_on_the_module_loop(shared, own):
            assert len(await shared.random_bytes(32)) == 32
            assert len(await own.random_bytes(32)) == 32

        async def test_on_a_function_loop(shared):
            await shared.random_bytes(32)
            raise AssertionError("must not run")

        async def test_a_hand_made_fixture_on_another_loop_raises_at_once(own):
            with pytest.raises(alara.WrongLoopError, match="another event loop"):
                await own.random_bytes(32)
    """)
    result = inner.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*test_on_a_function_loop runs on the function-scoped event loop, but network "
        "fixture 'shared' started on the module-scoped loop*"
        "loop_scope='module'*",
    ])
    result.stdout.no_fnmatch_line("*must not run*")


def test_sync_tests_may_hold_the_fixture(inner: pytest.Pytester) -> None:
    inner.makepyfile("""
        def test_sync(alara_network):
            assert repr(alara_network) == "<Network open workers=3>"
    """)
    inner.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "not a name"}, TypeError, "name must be"),
        ({"name": "n", "scope": "loop"}, ValueError, "scope must be one of"),
        ({"name": "n", "scope": "module", "loop_scope": "function"}, ValueError,
         "must be at least as wide"),
        ({"name": "n", "wrokers": 3}, TypeError, "unknown option.*wrokers"),
    ],
)
def test_network_fixture_checks_its_arguments(
        kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        network_fixture(**kwargs)  # type: ignore[arg-type]


def test_importing_alara_loads_neither_pytest_nor_the_testing_package() -> None:
    code = (
        "import sys, alara\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pytest', '_pytest', 'pytest_asyncio') or m.startswith('alara.testing'))\n"
        "assert not bad, bad\n"
        "import alara.testing\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert (out.returncode, out.stdout.strip()) == (0, "ok"), out.stderr
