"""structlog access for the library, silent unless the application asks for output.

Events go through structlog's configured processors (so ``structlog.testing.capture_logs``
and an application's own configuration see them) and end in the stdlib logger ``alara``,
which carries a ``NullHandler``: a library user who configures nothing sees nothing.
Named ``log`` rather than ``logging`` so it never shadows the standard library module.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

__all__ = ["get_logger"]

_ROOT = logging.getLogger("alara")
_ROOT.addHandler(logging.NullHandler())


def get_logger(component: str) -> Any:
    """A structlog logger for one component (``alara.actors``, ``alara.network``...)."""
    return structlog.wrap_logger(logging.getLogger(f"alara.{component}"), component=component)
