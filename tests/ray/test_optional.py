"""Ray is an optional extra: the core never imports it."""

from __future__ import annotations

import subprocess
import sys


def test_core_does_not_import_ray() -> None:
    code = (
        "import sys, alara, alara.entropy\n"
        "assert 'ray' not in sys.modules, 'alara imported ray'\n"
        "assert 'alara.ray' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
