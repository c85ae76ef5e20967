"""The optional C module (``alara.entropy._accel``): whether it is in use, and its functions.

Two per-request computations of the entropy layer, the continuous health tests and the
mixer's input encoding, have a C twin: the same results, without the interpreter's cost
(about 9k machine instructions per 32-byte health test as Python, run three times per
request). The Python versions stay the reference: they run when the module was not built
(no C compiler at install) or when ``ALARA_PURE_PYTHON=1`` is set in the environment, and the
tests hold the twins to each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alara.entropy._accel import HealthTests as _NativeHealthTests

__all__ = ["ACCELERATED", "NativeHealthTests", "native_frame", "native_hex", "native_urlsafe"]

NativeHealthTests: type[_NativeHealthTests] | None = None
"""The C twin of ``alara.entropy._health.HealthTests``, or ``None``."""
native_frame: Callable[[bytes, object, int], bytes | None] | None = None
"""The C twin of the mixer's encoding of equal-length contributions, or ``None``."""
native_hex: Callable[[bytes], str] | None = None
"""``bytes.hex``, filling the str with the GIL released (for a worker thread), or ``None``."""
native_urlsafe: Callable[[bytes], str] | None = None
"""``secrets.token_urlsafe``'s encoding, likewise, or ``None``."""

if os.environ.get("ALARA_PURE_PYTHON", "") in ("", "0"):
    try:
        from alara.entropy import _accel
    except ImportError:
        pass
    else:
        NativeHealthTests, native_frame = _accel.HealthTests, _accel.frame
        native_hex, native_urlsafe = _accel.token_hex, _accel.token_urlsafe

ACCELERATED = NativeHealthTests is not None
"""Whether the C twins are in use (the module was built, and ``ALARA_PURE_PYTHON`` is unset)."""
