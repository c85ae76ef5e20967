"""structlog access for the library, silent unless the application asks for output.

Events go through structlog's configured processors (so ``structlog.testing.capture_logs``
and an application's own configuration see them) and end in the stdlib logger ``alara``,
which carries a ``NullHandler``: a library user who configures nothing sees nothing.
Named ``log`` rather than ``logging`` so it never shadows the standard library module.

Formatting an event costs more than the work it describes when a pool of 10,000 workers
starts, so an event is built only if the stdlib logger would pass it on, or if structlog's
test capture (``capture_logs``) is listening.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from structlog.testing import LogCapture

__all__ = ["EventLogger", "get_logger"]

_ROOT = logging.getLogger("alara")
_ROOT.addHandler(logging.NullHandler())


def _capturing() -> bool:
    return any(isinstance(p, LogCapture) for p in structlog.get_config()["processors"])


class EventLogger:
    """Emits one component's lifecycle events as structlog key-value events."""

    __slots__ = ("_bound", "_stdlib")

    def __init__(self, component: str) -> None:
        self._stdlib = logging.getLogger(f"alara.{component}")
        self._bound: Any = structlog.wrap_logger(self._stdlib, component=component)

    def _emit(self, level: int, method: str, event: str, fields: dict[str, Any]) -> None:
        if self._stdlib.isEnabledFor(level) or _capturing():
            getattr(self._bound, method)(event, **fields)

    def debug(self, event: str, **fields: Any) -> None:
        """A debug-level event."""
        self._emit(logging.DEBUG, "debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        """An info-level event (starts, stops, restarts)."""
        self._emit(logging.INFO, "info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """A warning-level event (crashes, quarantine)."""
        self._emit(logging.WARNING, "warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        """An error-level event (a supervisor giving up)."""
        self._emit(logging.ERROR, "error", event, fields)


def get_logger(component: str) -> EventLogger:
    """The event logger of one component (``alara.actors``, ``alara.network``...)."""
    return EventLogger(component)
