"""``alara demo --ray`` tells its story on a cluster of its own (in its own process)."""

from __future__ import annotations

import re
import subprocess
import sys


def test_ray_demo_shows_a_node_down_and_back() -> None:
    result = subprocess.run([sys.executable, "-m", "alara", "demo", "--ray", "--quiet"],
                            capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "network of 1 local + 3 remote workers" in out
    assert len(re.findall(r"^  127\.0\.0\.\d\s+up ", out, re.MULTILINE)) == 3 + 2 + 3
    assert re.search(r"^  127\.0\.0\.4\s+down .*\(node died\)$", out, re.MULTILINE)
    assert re.search(r"request refused \(fail closed\): .*missing: ray@127\.0\.0\.4 down", out)
    assert re.search(r"random_bytes\(32\) = [0-9a-f]{64}  \(every machine again\)", out)


def test_plain_demo_does_not_load_ray() -> None:
    code = ("import sys\nfrom alara.__main__ import main\nassert main(['demo', '--quiet', "
            "'--workers', '2']) == 0\nassert 'ray' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
