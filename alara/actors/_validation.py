"""Argument checks shared by every public entry point.

Centralised so that every function rejects bad input the same way: a ``TypeError`` for the
wrong type (``bool`` included, although it is an ``int``), a ``ValueError`` naming the
argument and the allowed range otherwise. Checks run before any state changes, so a
rejected call leaves the network exactly as it was.
"""

from __future__ import annotations

import operator
from typing import SupportsIndex, TypeVar

__all__ = ["check_callable", "check_int", "check_positive_float", "check_real"]

_C = TypeVar("_C")


def check_callable(name: str, value: _C, returning: str) -> _C:
    """``value`` if it is callable; else a ``TypeError`` saying that ``name`` must be a
    callable returning ``returning`` (what a call gives: "seconds", "an Actor")."""
    if not callable(value):
        raise TypeError(f"{name} must be a callable returning {returning}")
    return value


def check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an ``int`` if it is an integer (``__index__``, not ``bool``) in range."""
    if type(value) is not int:
        # Integer-like objects (``__index__``: numpy ints, IntEnum) are accepted as
        # ``os.urandom`` accepts them; ``bool`` is refused although it is an ``int``.
        if isinstance(value, bool) or not isinstance(value, SupportsIndex):
            raise TypeError(
                f"{name} must be an int in [{_show(low)}, {_show(high)}], "
                f"got {type(value).__name__}"
            )
        value = operator.index(value)  # keep only the integer value
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{_show(low)}, {_show(high)}], got {_show(value)}")
    return value


def _show(number: int) -> str:
    """``number`` in decimal, or as a power of two / a bit length when it is huge.

    ``str()`` of an int over 4300 digits raises ``ValueError`` (CPython's conversion limit),
    which would replace the message that names the argument with an unrelated one.
    """
    if -(10**18) < number < 10**18:
        return str(number)
    sign = "-" if number < 0 else ""
    magnitude = abs(number)
    if magnitude & (magnitude - 1) == 0:
        return f"{sign}2**{magnitude.bit_length() - 1}"
    return f"{'a negative' if sign else 'an'} int of {magnitude.bit_length()} bits"


def check_real(name: str, value: object, low: float, high: float, shown: str, *,
               open_low: bool = False) -> float:
    """Return ``value`` as a float if it is a real number (not ``bool``) in the interval.

    The interval is ``[low, high]``, or ``(low, high]`` with ``open_low``; ``shown`` is how
    messages write it. NaN is never inside, and neither is infinity unless ``high`` is.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in {shown}, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be in {shown}, got a number too large") from None
    inside = low < result <= high if open_low else low <= result <= high
    if not inside:
        raise ValueError(f"{name} must be in {shown}, got {value!r}")
    return result


def check_positive_float(name: str, value: object, high: float = 1e9) -> float:
    """Return ``value`` as a float if it is a finite real number in ``(0, high]``.

    Infinity is refused: "wait forever" is spelled ``None`` where an API allows it.
    """
    if type(value) is float and 0.0 < value <= high:
        return value  # the common case, without building the message it would need
    return check_real(name, value, 0.0, high, f"(0, {high:g}]", open_low=True)
