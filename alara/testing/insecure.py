"""The gate that keeps predictable sources out of production.

A deterministic source passes every health test (its output looks perfectly random) while an
attacker who learns its seed knows every byte. So it runs only where someone said, in code or
in the environment, that predictable entropy is wanted:

* ``allow_insecure=True`` at construction, in the test code itself;
* ``ALARA_ALLOW_INSECURE_SOURCES=1`` in the environment;
* a pytest session with alara's plugin loaded (the plugin opens the gate while pytest runs).

Anything else raises ``InsecureSourceError``.
"""

from __future__ import annotations

import os

from alara import AlaraError

__all__ = ["ENV_VAR", "InsecureSourceError", "allowed_by", "close_for_pytest", "open_for_pytest"]

ENV_VAR = "ALARA_ALLOW_INSECURE_SOURCES"
"""Set to ``1`` to allow insecure (deterministic) sources outside pytest."""

_pytest_sessions = 0  # counted: pytester runs a session inside a session


class InsecureSourceError(AlaraError):
    """A deterministic (insecure) source was created where nobody allowed one."""


def open_for_pytest() -> None:
    """Allow insecure sources while a pytest session runs (called by the plugin)."""
    global _pytest_sessions
    _pytest_sessions += 1


def close_for_pytest() -> None:
    """End one pytest session's permission (called by the plugin)."""
    global _pytest_sessions
    _pytest_sessions = max(_pytest_sessions - 1, 0)


def allowed_by(name: str, allow_insecure: bool) -> str:
    """Who allowed ``name`` to run: ``"argument"``, ``"environment"`` or ``"pytest"``.

    Raises:
        TypeError: ``allow_insecure`` is not a bool.
        InsecureSourceError: nobody did.
    """
    if type(allow_insecure) is not bool:
        raise TypeError(f"allow_insecure must be a bool, got {type(allow_insecure).__name__}")
    if allow_insecure:
        return "argument"
    if os.environ.get(ENV_VAR) == "1":
        return "environment"
    if _pytest_sessions:
        return "pytest"
    raise InsecureSourceError(
        f"{name} produces predictable bytes and is for tests only; it runs inside pytest "
        f"(with alara's plugin), with allow_insecure=True, or with {ENV_VAR}=1"
    )
