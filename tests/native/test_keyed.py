"""The drop-ins in keyed mode: rounds per key, threads, fork, settings, CPython's own tests."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import alara
from alara import BlockingNetwork
from tests.entropy.threads import draw_in_threads
from tests.native.sources import CountingSource

ROOT = Path(__file__).resolve().parents[2]
TOKENS = 200


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter (its own process default), with ``env`` added."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, check=False, cwd=ROOT,
                          env={**os.environ, **env})


def test_the_drop_ins_take_one_round_per_key() -> None:
    source = CountingSource()
    with BlockingNetwork(sources=[source]) as net, alara.use_blocking_network(net):
        net.token_bytes(1)
        source.reset()
        tokens = {alara.secrets.token_hex() for _ in range(1000)}
        generator = alara.Random()
        numbers = [generator.random() for _ in range(1000)]
        assert len(tokens) == 1000
        assert len(set(numbers)) == 1000
        assert source.reads == 1  # this thread's one key, shared by alara.Random()
        assert alara.Random(network=net, rekey_seconds=5.0).random() < 1.0
        assert source.reads == 2  # a generator with its own settings keys its own stream


def test_no_two_threads_are_served_the_same_bytes() -> None:
    with BlockingNetwork(2) as net, alara.use_blocking_network(net, rekey_bytes=4096):
        tokens = draw_in_threads(lambda: alara.secrets.token_hex(16))
    assert len(tokens) == 16_000
    assert len(set(tokens)) == len(tokens)


async def test_the_async_functions_take_one_round_per_key_unless_per_call() -> None:
    source = CountingSource()
    async with alara.create_network(sources=[source]) as net:
        await net.random_bytes(1)
        source.reset()
        with alara.use_network(net):
            tokens = {await alara.token_hex() for _ in range(500)}
            assert 0 <= await alara.randbelow(10) < 10
            await alara.random_bytes(32)  # ALARA's names: a round per call, always
        assert len(tokens) == 500
        assert source.reads == 2
        with alara.use_network(net, rekey="per-call"):
            await alara.token_hex()
            await alara.choice("abcd")  # a power of two: never redrawn
        assert source.reads == 4


FORKED = """
import os, sys, multiprocessing
import alara

def draw():
    return [alara.secrets.token_hex(16) for _ in range({tokens})]

def child(pipe):
    pipe.send(draw())

draw()  # the parent's thread is keyed, with unserved bytes in its block, before any fork
outputs = []
for _ in range(2):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, " ".join(draw()).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outputs.append(pipe.read().decode().split())
    os.waitpid(pid, 0)
context = multiprocessing.get_context("fork")
for _ in range(2):
    parent_end, child_end = context.Pipe()
    process = context.Process(target=child, args=(child_end,))
    process.start()
    outputs.append(parent_end.recv())
    process.join(60)
outputs.append(draw())
print(" ".join(str(len(tokens)) for tokens in outputs))
every = [token for tokens in outputs for token in tokens]
print(len(set(every)) == len(every))
"""


def test_parent_and_forked_children_share_no_output() -> None:
    result = run_python(FORKED.format(tokens=TOKENS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [" ".join([str(TOKENS)] * 5), "True"]


CPYTHON = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/native/cpython"]


@pytest.mark.parametrize("mode", ["keyed", "per-call"])
def test_cpythons_own_tests_pass_in_both_modes(mode: str) -> None:
    result = subprocess.run([sys.executable, *CPYTHON], capture_output=True, text=True,
                            timeout=300, check=False, cwd=ROOT,
                            env={**os.environ, "ALARA_REKEY": mode})
    assert result.returncode == 0, result.stdout[-2000:]
    assert " passed" in result.stdout


@pytest.mark.parametrize(("variable", "value"), [
    ("ALARA_REKEY", "sometimes"),
    ("ALARA_REKEY_BYTES", "lots"),
    ("ALARA_REKEY_SECONDS", "0"),
])
def test_bad_environment_values_are_refused_naming_the_variable(variable: str,
                                                                value: str) -> None:
    result = run_python("""
        import asyncio, alara
        for call in (alara.secrets.token_hex, lambda: asyncio.run(alara.token_hex())):
            try:
                call()
            except ValueError as error:
                print(error)
    """, **{variable: value})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(variable) for line in lines), lines


def test_per_call_mode_from_the_environment() -> None:
    result = run_python("""
        import alara
        from alara.sync import drop_in
        alara.secrets.token_hex()
        print(type(drop_in()).__name__)
    """, ALARA_REKEY="per-call")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "BlockingNetwork"


def test_the_fork_start_method_is_available() -> None:
    assert "fork" in multiprocessing.get_all_start_methods()
