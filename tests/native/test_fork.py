"""A ``BlockingNetwork`` made before ``fork()`` in a child process: restarted there (never
sharing state or output with the parent) or refused at once with a clear error; never a hang.

Each scenario runs in a fresh interpreter with a deadline, so a hang fails the test instead
of stalling the suite; the child also arms ``alarm`` so that it can never outlive the test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

FORKED_CALLS = """
import os, signal, alara

net = alara.BlockingNetwork(2).start()
parent = {net.token_hex(), alara.Random(network=net).getrandbits(128)}
with alara.use_blocking_network(net):
    parent.add(alara.secrets.token_hex())
pid = os.fork()
if pid == 0:
    signal.alarm(20)
    with net:  # starts it again here, and closes it
        child = {net.token_hex(), alara.Random(network=net).getrandbits(128)}
        with alara.use_blocking_network(net):
            child.add(alara.secrets.token_hex())
    os._exit(0 if len(child) == 3 and not child & parent else 1)
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))
print("parent still serves", len(net.token_hex(4)) == 8)
net.close()
"""

REFUSED_IN_CHILD = """
import ctypes, os, signal, time, alara
from tests.native.sources import CountingSource

net = {network}.start()
net.token_hex()
pid = {fork}
if pid == 0:
    signal.alarm(20)
    began = time.monotonic()
    try:
        net.token_hex()
        os._exit(1)
    except alara.NetworkClosedError as error:
        print("refused:", error, flush=True)
    net.close()  # nothing to close here: returns at once
    os._exit(0 if time.monotonic() - began < 2 else 2)
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))
net.close()
"""
OWN_SOURCES = "alara.BlockingNetwork(sources=[CountingSource(), CountingSource()])"
LIBC_FORK = "ctypes.CDLL(None).fork()"  # Python's at-fork hooks do not run

MULTIPROCESSING = """
import multiprocessing, alara

net = alara.BlockingNetwork(2).start()
alara.secrets.token_hex()  # the process default is started before the fork too

def draw(_):
    import os
    return os.getpid(), net.token_hex(), alara.secrets.token_hex()

if __name__ == "__main__":
    parent = {net.token_hex(), alara.secrets.token_hex()}
    with multiprocessing.get_context("fork").Pool(3) as pool:
        rows = pool.map(draw, range(9), chunksize=1)
    tokens = [token for _, *pair in rows for token in pair]
    print("distinct", len(set(tokens)) == len(tokens), "not the parent's", not parent & set(tokens))
    net.close()
"""

def run(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_a_network_made_before_fork_restarts_in_the_child_with_its_own_output() -> None:
    assert run(FORKED_CALLS) == ["child 0", "parent still serves True"]


def test_a_network_of_given_sources_is_refused_in_the_child_at_once() -> None:
    lines = run(REFUSED_IN_CHILD.format(network=OWN_SOURCES, fork="os.fork()"))
    assert lines[-1] == "child 0"
    assert lines[0].startswith("refused: BlockingNetwork was started in process")
    assert "create it in this process" in lines[0]


def test_multiprocessing_fork_workers_each_get_their_own_output() -> None:
    assert run(MULTIPROCESSING) == ["distinct True not the parent's True"]


def test_a_call_in_a_child_forked_without_python_hooks_fails_instead_of_hanging() -> None:
    lines = run(REFUSED_IN_CHILD.format(network="alara.BlockingNetwork(2)", fork=LIBC_FORK))
    assert lines[-1] == "child 0"
    assert lines[0].startswith("refused: the network's event-loop thread is gone")
