"""Under gevent's monkey-patching (``gunicorn -k gevent``), the sync API works from plain
sync code and from many greenlets at once, and the exit-time close is quiet. In a fresh
interpreter: the patching is for the whole process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PATCHED = """
from gevent import monkey
monkey.patch_all()

import gevent
import alara

print(len(alara.secrets.token_hex()), 0 <= alara.Random().randrange(10) < 10)
calls = [gevent.spawn(alara.secrets.token_hex) for _ in range(20)]
gevent.joinall(calls, timeout=20, raise_error=True)
print(len({call.value for call in calls}))
with alara.BlockingNetwork(2) as net, alara.use_blocking_network(net):
    print(len(alara.secrets.token_bytes(5)), len(net.token_bytes(7)))
"""


def test_the_sync_api_under_gevent_monkey_patching() -> None:
    result = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(PATCHED)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the exit-time close too
    assert result.stdout.splitlines() == ["64 True", "20", "5 7"]
