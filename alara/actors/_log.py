"""structlog access for the library, silent unless the application asks for output.

Events go through structlog's configured processors (so ``structlog.testing.capture_logs``
and an application's own configuration see them) and end in the stdlib logger ``alara``,
which carries a ``NullHandler``: a library user who configures nothing sees nothing.
Named ``log`` rather than ``logging`` so it never shadows the standard library module.

Formatting an event costs more than the work it describes (a restart takes ~20 µs, rendering
its events took ~40 µs), so an event is built only when someone listens: the stdlib logger is
enabled for its level *and* a handler other than a ``NullHandler`` would receive it, or
structlog's test capture (``capture_logs``) is active. Hot paths ask ``enabled_for(level)``
first, so that when nobody listens not even the event's fields are built.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from structlog.testing import LogCapture

__all__ = ["EventLogger", "get_logger"]

_is_configured = structlog.is_configured
_ROOT = logging.getLogger("alara")
_QUIET = logging.NullHandler()
_ROOT.addHandler(_QUIET)
_QUIET_ONLY = [_QUIET]


def _capturing() -> bool:
    """Whether ``structlog.testing.capture_logs`` is active (it appends its capture last).

    Callers first ask ``structlog.is_configured()`` (``capture_logs`` configures structlog):
    an application that leaves structlog alone pays that one cheap check, nothing more.
    """
    processors = structlog.get_config()["processors"]
    return bool(processors) and isinstance(processors[-1], LogCapture)


class EventLogger:
    """Emits one component's lifecycle events as structlog key-value events."""

    __slots__ = ("_bound", "_chain", "_stdlib", "_trio")

    def __init__(self, component: str) -> None:
        self._stdlib = logging.getLogger(f"alara.{component}")
        self._bound: Any = structlog.wrap_logger(self._stdlib, component=component)
        # The logger and its ancestors (``alara``, the root), whose handlers an event reaches:
        # fixed once the logger exists, so walked from a tuple rather than parent by parent.
        chain: list[logging.Logger] = []
        logger: logging.Logger | None = self._stdlib
        while logger is not None:
            chain.append(logger)
            logger = logger.parent
        self._chain = tuple(chain)
        # The usual chain, ``alara.<component>`` -> ``alara`` -> root, for the fast look below.
        self._trio = self._chain if self._chain == (self._stdlib, _ROOT, logging.root) else None

    def enabled_for(self, level: int) -> bool:
        """Whether an event at ``level`` (``logging.INFO``...) would be seen by anyone.

        Hot paths check this before building an event's fields: with the library's default
        (silent) logging, an event then costs one cheap check and nothing else. Handlers,
        levels and structlog's configuration are read afresh at every call, so a handler an
        application adds at any time hears the very next event.

        First a look that settles the usual case in a few attribute reads: no logger on the
        way holds a handler but ``alara``'s own ``NullHandler``, so no level can make the
        event heard (on a restart, counted in microseconds, this check runs twice).
        """
        trio = self._trio
        if trio is not None:
            component, alara, root = trio
            if (not component.handlers and component.propagate and alara.handlers == _QUIET_ONLY
                    and (not alara.propagate or not root.handlers)):
                return _is_configured() and _capturing()
        if self._stdlib.isEnabledFor(level):
            # Enabled is not heard: would a handler other than a ``NullHandler`` get it?
            for logger in self._chain:
                handlers = logger.handlers
                if handlers and (handlers[0] is not _QUIET or len(handlers) > 1):
                    for handler in handlers:
                        if level >= handler.level and type(handler) is not logging.NullHandler:
                            return True
                if not logger.propagate:
                    break
        return _is_configured() and _capturing()

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
