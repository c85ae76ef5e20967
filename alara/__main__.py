"""``python -m alara``: the same as the ``alara`` command."""

from __future__ import annotations

import sys

from alara._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
