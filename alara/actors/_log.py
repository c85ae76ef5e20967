"""structlog access for the library, silent unless the application asks for output.

Events go through structlog's configured processors (so ``structlog.testing.capture_logs``
and an application's own configuration see them) and end in the stdlib logger ``alara``,
which carries a ``NullHandler``: a library user who configures nothing sees nothing.
Named ``_log`` rather than ``logging`` so it never shadows the standard library module.

An event is rendered only when the stdlib logger is enabled for its level (or structlog's
test capture is active): that is the stdlib's own, cached, answer, so a disabled level costs
one call.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from structlog.testing import LogCapture

__all__ = ["EventLogger", "get_logger"]

logging.getLogger("alara").addHandler(logging.NullHandler())


def _capturing() -> bool:
    """Whether ``structlog.testing.capture_logs`` is active (it configures structlog and
    appends its capture last)."""
    if not structlog.is_configured():
        return False
    processors = structlog.get_config()["processors"]
    return bool(processors) and isinstance(processors[-1], LogCapture)


class EventLogger:
    """Emits one component's lifecycle events as structlog key-value events."""

    __slots__ = ("_bound", "_stdlib")

    def __init__(self, component: str) -> None:
        self._stdlib = logging.getLogger(f"alara.{component}")
        self._bound: Any = structlog.wrap_logger(self._stdlib, component=component)

    def enabled_for(self, level: int) -> bool:
        """Whether an event at ``level`` (``logging.INFO``...) would be emitted at all.

        The standard library decides (``Logger.isEnabledFor``: the effective level and
        ``logging.disable``, cached by the stdlib and refreshed when levels change), or
        structlog's test capture, which sees every event. With unconfigured logging the
        root's WARNING level means info events are not even built; warnings and errors are
        rare (crashes are bounded by restart intensity) and end in the ``NullHandler``.
        """
        return self._stdlib.isEnabledFor(level) or _capturing()

    def _emit(self, level: int, method: str, event: str, fields: dict[str, Any]) -> None:
        if self.enabled_for(level):
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
