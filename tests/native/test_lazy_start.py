"""``import alara`` leaves the process as it found it: no thread, no exit or fork hook, until
the sync API is first used (a ``BlockingNetwork`` started, an ``alara.secrets`` call, a
``Random`` draw)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Records every exit and fork hook registered by an alara module, and alara's threads, at
# each stage; run in a fresh interpreter so nothing else has imported alara yet.
STAGES = """
import atexit, os, sys, threading

hooks = []
real_atexit, real_at_fork = atexit.register, os.register_at_fork

def record(kind, function):
    if getattr(function, "__module__", "").startswith("alara"):
        hooks.append(kind)

def recording_atexit(function, *args, **kwargs):
    record("atexit", function)
    return real_atexit(function, *args, **kwargs)

def recording_at_fork(**callbacks):
    for function in callbacks.values():
        record("at_fork", function)
    return real_at_fork(**callbacks)

atexit.register, os.register_at_fork = recording_atexit, recording_at_fork

def show(stage):
    threads = sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
    print(stage, sorted(set(hooks)), threads)

import alara, alara.aio, alara.secrets, alara.sync
show("import")
generator = alara.Random()
net = alara.BlockingNetwork(2)
show("made")
{first_use}
show("used")
"""

USES = {
    "secrets": "alara.secrets.token_hex()",
    "random": "generator.randrange(10)",
    "blocking_network": "net.start()",
}


@pytest.mark.parametrize("use", sorted(USES))
def test_nothing_starts_before_the_sync_api_is_used(use: str) -> None:
    code = textwrap.dedent(STAGES).format(first_use=USES[use])
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["import [] []", "made [] []"]
    stage, _, rest = lines[2].partition(" ")
    assert stage == "used"
    # the first use started the loop thread and registered the hooks, and only then: a
    # started network lets go of its loop in a forked child, and is closed at exit
    assert rest == "['at_fork', 'atexit'] ['alara-network']"
