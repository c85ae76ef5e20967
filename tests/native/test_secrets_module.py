"""``alara.secrets`` as a drop-in for ``secrets``: the same names, a process-wide network
that any thread may use, a replacement for tests, and a clean interpreter exit."""

from __future__ import annotations

import secrets
import subprocess
import sys
import textwrap

import pytest

import alara
import alara.secrets
from alara import BlockingNetwork
from tests.native.sources import CountingSource

EXIT_CHECK = """
import atexit, threading

def after_alara_closed():
    # registered before alara is imported, so atexit runs it after alara's own handler
    import alara.sync
    alive = [t.name for t in threading.enumerate() if t.name == "alara-network"]
    print("threads", alive)

atexit.register(after_alara_closed)

import alara
tokens = {alara.secrets.token_hex() for _ in range(10)}
assert len(tokens) == 10
print(alara.Random().randrange(10) in range(10))
"""


def test_same_public_names_as_the_standard_module() -> None:
    assert set(secrets.__all__) <= set(alara.secrets.__all__)
    for name in secrets.__all__:
        assert callable(getattr(alara.secrets, name)), name
    assert alara.secrets.DEFAULT_ENTROPY == secrets.DEFAULT_ENTROPY
    assert alara.secrets.compare_digest is secrets.compare_digest
    assert alara.secrets.SystemRandom is alara.Random


@pytest.mark.parametrize(("rekey", "rounds"), [("per-call", 7), ("keyed", 1)])
def test_functions_use_the_chosen_network_from_every_thread(rekey: str, rounds: int) -> None:
    sources = [CountingSource(), CountingSource()]
    with BlockingNetwork(sources=sources) as net, \
            alara.use_blocking_network(net, rekey=rekey) as chosen:
        assert chosen is net
        net.token_bytes(1)  # every worker has started once this is answered
        for source in sources:
            source.reset()
        alara.secrets.token_bytes()
        alara.secrets.token_hex()
        alara.secrets.token_urlsafe()
        alara.secrets.randbelow(8)  # a power of two: never redrawn
        alara.secrets.randbits(10)
        alara.secrets.choice("ab")
        alara.Random().random()
        # One round a call, or one round for this thread's key.
        assert [source.reads for source in sources] == [rounds, rounds]
    assert alara.sync.blocking_network() is not net


def test_use_blocking_network_refuses_what_is_not_a_blocking_network() -> None:
    with pytest.raises(TypeError, match="BlockingNetwork"), alara.use_blocking_network(
        alara.create_network(2)  # type: ignore[arg-type]
    ):
        pass


def test_the_default_is_shared_and_can_be_closed_and_restarted() -> None:
    first = alara.sync.blocking_network()
    assert alara.sync.blocking_network() is first
    alara.sync.close_blocking_network()
    assert first.closed
    second = alara.sync.blocking_network()
    assert second is not first
    assert len(alara.secrets.token_bytes(5)) == 5


def test_interpreter_exit_closes_the_default_network_quietly() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(EXIT_CHECK)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == ["True", "threads []"]


FORK_CHECK = """
import os, alara

parent = alara.secrets.token_hex()
pid = os.fork()
if pid == 0:  # the parent's network thread did not survive the fork: a new one starts
    child = alara.secrets.token_hex()
    os._exit(0 if len(child) == 64 and child != parent else 1)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_child_starts_its_own_network() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(FORK_CHECK)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
