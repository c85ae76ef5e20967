"""The sync networks against what a process does to them: a signal handler calling the
process default while its own thread starts it, calls after the exit-time close (daemon
threads, ``__del__`` during finalization), a ``BlockingNetwork`` left open at exit. Each runs
in a fresh interpreter with a deadline, so a hang fails the test."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SIGNAL_DURING_START = """
import os, signal, threading, alara

drawn, sent = [], []

def handler(signum, frame):
    drawn.append(alara.secrets.token_hex())

signal.signal(signal.SIGUSR1, handler)
real_start = threading.Thread.start

def start_then_signal(thread):
    real_start(thread)
    if thread.name == "alara-network" and not sent:  # the default network is starting
        sent.append(True)
        os.kill(os.getpid(), signal.SIGUSR1)  # handled in this thread, inside the start

threading.Thread.start = start_then_signal
first = alara.secrets.token_hex()
threads = [t for t in threading.enumerate() if t.name == "alara-network"]
print(len(drawn), drawn[0] != first, len(threads))
"""

DAEMON_AFTER_EXIT = """
import atexit, threading

go, result = threading.Event(), []

def after_alara_closed():  # registered before alara's own exit handler: runs after it
    go.set()
    late.join(10)
    print(result)

atexit.register(after_alara_closed)

import alara

def late_caller():
    go.wait()
    try:
        alara.secrets.token_hex()
        result.append("served")
    except alara.NetworkClosedError as error:
        result.append("refused" if "exiting" in str(error) else str(error))
    result.append(sum(t.name == "alara-network" for t in threading.enumerate()))

alara.secrets.token_hex()
late = threading.Thread(target=late_caller, daemon=True)
late.start()
"""

DEL_AT_FINALIZATION = """
import os, alara

class Late:
    # everything bound now: module globals may be gone when __del__ runs
    def __init__(self):
        self.secrets, self.error, self.write = alara.secrets, alara.NetworkClosedError, os.write

    def __del__(self):
        try:
            self.secrets.token_hex()
            self.write(1, b"served\\n")
        except self.error:
            self.write(1, b"refused\\n")

alara.secrets.token_hex()
late = Late()  # a module global: collected while the interpreter finalizes
"""

LEFT_OPEN = """
import atexit
atexit.register(lambda: print("closed at exit:", net.closed))  # runs after alara's handler

import alara

net = alara.BlockingNetwork(2).start()
print(len(net.token_hex(4)))
"""


def run(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_a_signal_handler_may_call_while_its_thread_starts_the_default() -> None:
    # the handler's call starts (and keeps) the default; the interrupted start closes its own
    assert run(SIGNAL_DURING_START) == ["1 True 1"]


def test_a_daemon_thread_calling_after_the_exit_time_close_is_refused() -> None:
    assert run(DAEMON_AFTER_EXIT) == ["['refused', 0]"]


def test_a_call_from_del_during_finalization_is_refused_instead_of_hanging() -> None:
    assert run(DEL_AT_FINALIZATION) == ["refused"]


def test_a_blocking_network_left_open_is_closed_quietly_at_exit() -> None:
    assert run(LEFT_OPEN) == ["8", "closed at exit: True"]
