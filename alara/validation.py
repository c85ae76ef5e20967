"""Argument checks shared by every public entry point.

Centralised so that every function rejects bad input the same way: a ``TypeError`` for the
wrong type (``bool`` included, although it is an ``int``), a ``ValueError`` naming the
argument and the allowed range otherwise. Checks run before any state changes, so a
rejected call leaves the network exactly as it was.
"""

from __future__ import annotations

import math

__all__ = ["check_int", "check_positive_float"]


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` if it is an ``int`` (not ``bool``) in ``[low, high]``."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{name} must be an int in [{low}, {high}], got {type(value).__name__}"
            )
        value = int(value)  # an int subclass such as IntEnum: keep only its value
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def check_positive_float(name: str, value: object, high: float = math.inf) -> float:
    """Return ``value`` as a float if it is a finite real number in ``(0, high]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in (0, {high}], got {type(value).__name__}")
    result = float(value)
    if math.isnan(result) or not 0 < result <= high:
        raise ValueError(f"{name} must be in (0, {high}], got {value!r}")
    return result
