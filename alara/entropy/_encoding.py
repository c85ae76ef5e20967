"""Tokens as text (``token_hex``, ``token_urlsafe``) without holding the event loop.

Encoding grows with the size: 64 MiB as hex is a 128 MiB ``str``, a few hundred milliseconds
in one C call. Up to ``INLINE_ENCODE`` bytes are encoded on the loop (well under a
millisecond). Larger ones are encoded by the C twins (``_accel.token_hex``/``token_urlsafe``),
which fill the new ``str`` with the GIL released, in a worker thread: the loop runs meanwhile.
The blocking drop-ins (``alara.secrets``) call the same C twins in the caller's thread, so a
large token there does not hold the ``BlockingNetwork``'s loop thread either.
Without the C module, the encoding is done slice by slice on the loop, with ``pause()`` between
slices; the final ``str.join`` is then one step that copies the whole text (about 10 ms per
64 MiB of text here), the one step that pure Python cannot cut.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import anyio.to_thread

from alara.entropy._native import native_hex, native_urlsafe
from alara.entropy._pausing import pause

__all__ = [
    "ENCODE_SLICE",
    "INLINE_ENCODE",
    "hex_text",
    "to_hex",
    "to_urlsafe",
    "urlsafe",
    "urlsafe_text",
]

INLINE_ENCODE = 1 << 16
"""Largest token (bytes) encoded on the loop in one go."""
ENCODE_SLICE = 3 << 16
"""Bytes encoded per loop step by the pure-Python path (a multiple of 3: base64 groups)."""


def urlsafe(data: bytes) -> str:
    """``secrets.token_urlsafe``'s encoding: URL-safe base64 without the ``=`` padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hex_text(data: bytes) -> str:
    """``data.hex()`` for a blocking caller: a large one is filled by the C module with the
    GIL released, so the other threads (a ``BlockingNetwork``'s loop among them) run."""
    if native_hex is not None and len(data) > INLINE_ENCODE:
        return native_hex(data)
    return data.hex()


def urlsafe_text(data: bytes) -> str:
    """``urlsafe(data)`` for a blocking caller, as ``hex_text``."""
    if native_urlsafe is not None and len(data) > INLINE_ENCODE:
        return native_urlsafe(data)
    return urlsafe(data)


async def to_hex(data: bytes) -> str:
    """``data.hex()``, without holding the loop for a large ``data``."""
    held = [data]
    del data  # see _encode: the worker thread must hold the last reference
    return await _encode(held, bytes.hex, native_hex)


async def to_urlsafe(data: bytes) -> str:
    """``urlsafe(data)``, without holding the loop for a large ``data``."""
    held = [data]
    del data
    return await _encode(held, urlsafe, native_urlsafe)


async def _encode(
    held: list[bytes], python: Callable[[bytes], str], native: Callable[[bytes], str] | None
) -> str:
    """Encode the one item of ``held``, taking it out. On the C path the worker thread holds
    the last reference, so the input is freed there too: freeing 64 MiB returns its pages to
    the system, milliseconds that would otherwise be spent on the loop."""
    if len(held[0]) <= INLINE_ENCODE:
        return python(held.pop())
    if native is not None:
        return await anyio.to_thread.run_sync(_encode_and_free, native, held)
    data = held.pop()
    parts = []
    view = memoryview(data)
    for start in range(0, len(data), ENCODE_SLICE):
        parts.append(python(bytes(view[start : start + ENCODE_SLICE])))
        await pause()
    return "".join(parts)


def _encode_and_free(native: Callable[[bytes], str], held: list[bytes]) -> str:
    return native(held.pop())  # the input's last reference ends with this call, here
