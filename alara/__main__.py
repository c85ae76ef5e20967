"""``python -m alara``: the same as the ``alara`` command."""

from __future__ import annotations

import sys

from alara._cli import main

sys.exit(main())
