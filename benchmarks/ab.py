"""Old-against-new comparisons: one probe script run in a fresh process on either tree.

Shared by ``hotpath_ab`` and ``restart_ab``: a fresh interpreter per probe, with the tree's
``alara/`` first on the path, so each measurement imports exactly one version of the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def probe(tree: str, code: str, *args: str) -> dict[str, float]:
    """Run ``code`` with ``args`` in a fresh Python on ``tree``; its last stdout line is JSON."""
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, check=True,
                         capture_output=True, text=True, cwd=os.path.abspath(tree)).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result
