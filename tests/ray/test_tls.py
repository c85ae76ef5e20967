"""A network over a TLS-only Ray cluster works end to end (in its own process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tls_cluster_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.ray.tls_cluster"], cwd=ROOT, capture_output=True,
        text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "bytes": 64,
        "transport": "tls",
        "nodes": [["127.0.0.6", "up"], ["127.0.0.7", "up"]],
        "gcs_handshake": True,  # the GCS port completed a mutual-TLS handshake
    }
