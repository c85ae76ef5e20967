"""The module-level async API and its default network: one per loop, started lazily,
configured from the environment, replaceable, and closed cleanly with the loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import alara
from alara import DEFAULT_ENTROPY, Network

CLEAN_RUN = """
import asyncio, alara

async def main():
    tokens = await asyncio.gather(*(alara.token_hex() for _ in range(20)))
    assert len(set(tokens)) == 20
    network = await alara.default_network()
    assert not network.closed
    return network

network = asyncio.run(main())
print("closed" if network.closed else "open")
"""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with every warning an error; its stderr must stay empty.

    Not ``-X dev``: asyncio's debug mode also logs any callback slower than 100 ms, which a
    busy machine produces at random. What the tests look for is reported without it: a
    pending task destroyed, a coroutine never awaited, an unclosed resource.
    """
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60, check=False,
    )


async def test_module_functions_use_the_loop_default() -> None:
    assert len(await alara.token_bytes()) == DEFAULT_ENTROPY
    assert len(await alara.token_hex(8)) == 16
    assert len(await alara.token_urlsafe(3)) == 4
    assert 0 <= await alara.randbelow(10) < 10
    assert 0 <= await alara.randbits(12) < 4096
    assert await alara.choice("x") == "x"
    assert (await alara.uuid4()).version == 4
    items = [1, 2, 3]
    await alara.shuffle(items)
    assert sorted(items) == [1, 2, 3]
    assert len(set(await alara.sample(range(100), 10))) == 10
    assert len(await alara.random_bytes(3)) == 3
    assert len(await alara.random_bits(3)) == 3
    assert 0 <= await alara.random_int(4) < 16
    assert 0 <= await alara.random_below(4) < 4
    assert isinstance(await alara.uuid4(), uuid.UUID)


async def test_one_default_per_loop_started_once_however_many_callers() -> None:
    networks = await asyncio.gather(*(alara.default_network() for _ in range(10)))
    assert all(network is networks[0] for network in networks)
    assert await alara.default_network() is networks[0]
    assert not networks[0].closed


def test_each_loop_gets_its_own_default_closed_with_the_loop() -> None:
    async def default() -> Network:
        return await alara.default_network()

    first = asyncio.run(default())
    second = asyncio.run(default())
    assert first is not second
    assert first.closed
    assert second.closed


def test_loop_shutdown_closes_the_default_without_a_warning() -> None:
    result = run_python(CLEAN_RUN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "closed"
    assert result.stderr == ""


def test_uvloop_shutdown_closes_the_default_without_a_warning() -> None:
    result = run_python(CLEAN_RUN.replace("asyncio.run(main())", "uvloop.run(main())")
                        .replace("import asyncio, alara", "import asyncio, alara, uvloop"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "closed"
    assert result.stderr == ""


def test_pytest_asyncio_loop_shutdown_closes_the_default_without_a_warning(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_uses_default.py").write_text(textwrap.dedent("""
        import alara

        async def test_token():
            assert len(await alara.token_hex()) == 64

        async def test_another_loop_another_default():
            assert len(await alara.token_urlsafe()) == 43
    """))
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "pytest", "-q", "-W", "error",
         "-p", "no:cacheprovider", "-o", "asyncio_mode=auto",
         "-o", "asyncio_default_fixture_loop_scope=function", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    for trouble in ("warning", "Task was destroyed", "Error", "never retrieved"):
        assert trouble not in result.stdout + result.stderr


async def test_the_environment_sizes_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALARA_WORKERS", "5")
    monkeypatch.setenv("ALARA_MIN_SOURCES", "2")
    monkeypatch.setenv("ALARA_TIMEOUT", "2.5")
    network = await alara.default_network()
    assert len(network.which_children()) == 5
    shown = network.status().to_dict()
    assert shown["min_sources"] == 2
    assert shown["timeout"] == 2.5


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ALARA_WORKERS", "many", "ALARA_WORKERS must be an int, got 'many'"),
        ("ALARA_WORKERS", "0", "ALARA_WORKERS='0'.*workers must be in"),
        ("ALARA_TIMEOUT", "soon", "ALARA_TIMEOUT must be a number"),
        ("ALARA_CONTRIBUTION_TIMEOUT", "-1", "ALARA_CONTRIBUTION_TIMEOUT='-1'"),
    ],
)
async def test_a_bad_environment_names_the_variable_and_a_fix_is_picked_up(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        await alara.token_hex()
    monkeypatch.delenv(variable)
    assert len(await alara.token_hex()) == 64


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.eager_task_factory: 3.12+")
async def test_a_failed_start_is_not_kept_under_an_eager_task_factory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An eager task runs its first step inside create_task, so the start fails before the
    # loop's entry could be recorded; the next call must try again, not find that failure.
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
    monkeypatch.setenv("ALARA_WORKERS", "0")
    with pytest.raises(ValueError, match="ALARA_WORKERS"):
        await alara.token_hex()
    monkeypatch.delenv("ALARA_WORKERS")
    assert len(await alara.token_hex()) == 64


async def test_use_network_replaces_the_default_in_this_context_only() -> None:
    default = await alara.default_network()
    outside: list[Network] = []
    release = asyncio.Event()

    async def elsewhere() -> None:
        await release.wait()
        outside.append(await alara.default_network())

    bystander = asyncio.create_task(elsewhere())  # started before the block: not inside it
    async with alara.create_network(2) as mine:
        with alara.use_network(mine) as chosen:
            assert chosen is mine
            assert await alara.default_network() is mine
            inherited = asyncio.create_task(alara.default_network())
            assert await inherited is mine  # tasks started inside inherit the choice
            release.set()
            await asyncio.wait_for(bystander, 5)
            assert len(await alara.token_hex()) == 64
        assert await alara.default_network() is default
    assert outside == [default]


def test_use_network_refuses_what_is_not_a_network() -> None:
    with pytest.raises(TypeError, match="network must be a Network"), alara.use_network(
        "net"  # type: ignore[arg-type]
    ):
        pass


async def test_close_default_network_closes_it_and_the_next_call_starts_another() -> None:
    first = await alara.default_network()
    await alara.close_default_network()
    assert first.closed
    second = await alara.default_network()
    assert second is not first
    assert not second.closed
    await alara.close_default_network()
    await alara.close_default_network()  # nothing left to close: a no-op
    assert second.closed


async def test_a_caller_cancelled_during_start_up_does_not_cancel_it_for_others() -> None:
    first = asyncio.create_task(alara.default_network())
    second = asyncio.create_task(alara.default_network())
    await asyncio.sleep(0)  # one step each: both now wait on the one start-up task
    first.cancel()
    network = await asyncio.wait_for(second, 5)
    assert not network.closed
    assert first.cancelled()


@pytest.fixture
async def chosen() -> AsyncIterator[Network]:
    async with alara.create_network(2) as net:
        with alara.use_network(net):
            yield net


async def test_a_fixture_can_choose_the_network_of_the_test(chosen: Network) -> None:
    assert await alara.default_network() is chosen
    assert len(await alara.token_bytes(8)) == 8
