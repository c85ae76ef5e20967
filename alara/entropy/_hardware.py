"""Hardware sources: a hardware RNG device (``/dev/hwrng``) and the CPU's random instruction.

Each is independent of the kernel's CSPRNG, which is the point: a VM restored from a snapshot
repeats its kernel generator's state, a CPU generator may be broken or backdoored, a device
may be stuck; each of those is one source's failure, and the mix stays unpredictable while
one source is honest (``docs/security.md``).

A source that cannot work on this machine raises ``SourceUnavailableError`` when it is made,
saying why (no device, not a character device, not readable by this user, no instruction,
no C module). It never quietly reads something else instead.

**Claims.** Each kind states the min-entropy per byte (``min_entropy``) its health-test
cutoffs are computed for, and why (``docs/security.md``, "Sources and their claims"):

* ``HwrngSource``: 2 bits per byte. A hardware RNG device may hand out conditioned output
  (virtio-rng passes the host's generator, TPMs condition) or raw noise that is only partly
  random (some SoC generators); the claim is low enough for the latter, so an honest raw
  device is not quarantined, and still catches a stuck or constant one.
* ``CpuSource``: 4 bits per byte. RDSEED and RNDRRS return conditioned values from a hardware
  noise source, specified as full entropy; the claim keeps the same margin as the OS source's.
"""

from __future__ import annotations

import os
import stat
from types import ModuleType
from typing import Final

from alara.actors import check_int
from alara.errors import SourceError, SourceUnavailableError

_cpurng: ModuleType | None = None
_NO_MODULE = ""
try:
    if os.environ.get("ALARA_PURE_PYTHON", "") not in ("", "0"):
        raise ImportError("ALARA_PURE_PYTHON is set")
    from alara.entropy import _cpurng
except ImportError as error:  # a pure-Python install (no compiler), or forced by the variable
    _NO_MODULE = (f"CpuSource needs alara's optional C module alara.entropy._cpurng, which is "
                  f"not in use ({error}); reinstall with a C compiler to enable it")

__all__ = [
    "CPU_MIN_ENTROPY",
    "CPU_RETRIES",
    "DEFAULT_HWRNG_PATH",
    "HWRNG_MIN_ENTROPY",
    "CpuSource",
    "HwrngSource",
]

DEFAULT_HWRNG_PATH: Final = "/dev/hwrng"
"""Where Linux exposes the current hardware RNG device (``rng-core``)."""
HWRNG_MIN_ENTROPY: Final = 2.0
"""``HwrngSource``'s claimed min-entropy per byte (see the module docstring)."""
CPU_MIN_ENTROPY: Final = 4.0
"""``CpuSource``'s claimed min-entropy per byte (see the module docstring)."""
CPU_RETRIES: Final = 1024
"""Attempts, with a pause between, before one missing 64-bit value counts as a failure."""
CPU_INLINE_READ: Final = 512
"""Largest ``CpuSource`` read done on the event loop (64 instructions: tens of microseconds)."""


class HwrngSource:
    """A hardware RNG character device, ``/dev/hwrng`` by default (Linux ``rng-core``).

    The device is checked when the source is made: it must exist, be a character device and
    be readable by this process, else ``SourceUnavailableError`` says which. Reads block
    (a device gives some kilobytes per second), so workers make them in a thread of their own;
    ``alara.ReservoirSource`` keeps a slow device from setting the request rate. Each read
    opens the device afresh, so a forked child shares no descriptor with its parent.

    Raises:
        TypeError: ``path`` is not a ``str`` or path-like object.
        SourceUnavailableError: the device is missing, not a character device, or unreadable.
    """

    __slots__ = ("path",)

    kind: Final = "hwrng"
    min_entropy: Final = HWRNG_MIN_ENTROPY
    max_inline_read: Final = 0

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_HWRNG_PATH) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path-like object, got {type(path).__name__}")
        self.path: str = os.fspath(path)
        if not isinstance(self.path, str):
            raise TypeError("path must name the device as text, not bytes")
        try:
            mode = os.stat(self.path).st_mode
        except PermissionError as error:
            raise self._unreadable(error) from None
        except OSError as error:
            raise SourceUnavailableError(f"{self.path}: {error.strerror}") from None
        if not stat.S_ISCHR(mode):
            raise SourceUnavailableError(f"{self.path} is not a character device")
        os.close(self._open())

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as error:
            raise self._unreadable(error) from None

    def _unreadable(self, error: OSError) -> SourceUnavailableError:
        return SourceUnavailableError(
            f"{self.path} is not readable by this process (uid {os.getuid()}): "
            f"{error.strerror}")

    def read(self, n: int) -> bytes:
        """``n`` bytes from the device; blocks until they came (a device may read short).

        Raises:
            SourceError: the device ended (end of file) or failed with an OS error.
        """
        n = check_int("n", n, 0, 1 << 30)
        parts: list[bytes] = []
        got = 0
        fd = self._open()
        try:
            while got < n:
                try:
                    part = os.read(fd, n - got)
                except OSError as error:
                    raise SourceError(f"reading {self.path} failed: {error.strerror}") from None
                if not part:
                    raise SourceError(f"{self.path} ended after {got} of {n} bytes")
                parts.append(part)
                got += len(part)
        finally:
            os.close(fd)
        return b"".join(parts)

    def __repr__(self) -> str:
        return f"HwrngSource(path={self.path!r})"


class CpuSource:
    """The CPU's own random instruction: RDSEED on x86-64, RNDRRS on arm64.

    Made only where the instruction is there and alara's C module ``_cpurng`` was built;
    otherwise ``SourceUnavailableError`` says which is missing. Each 64-bit value is retried
    up to ``retries`` times with a pause in between (the instruction may report a transient
    shortfall); a value that still does not come fails the read with ``SourceError``.

    Raises:
        TypeError, ValueError: ``retries`` is not an int in ``[1, 1_000_000]``.
        SourceUnavailableError: no instruction, or the C module is not in use.
    """

    __slots__ = ("instruction", "retries")

    kind: Final = "cpu"
    min_entropy: Final = CPU_MIN_ENTROPY
    max_inline_read: Final = CPU_INLINE_READ

    def __init__(self, *, retries: int = CPU_RETRIES) -> None:
        self.retries = check_int("retries", retries, 1, 1_000_000)
        if _cpurng is None:
            raise SourceUnavailableError(_NO_MODULE)
        if not _cpurng.instruction():
            raise SourceUnavailableError(_cpurng.reason())
        self.instruction: str = _cpurng.instruction()

    def read(self, n: int) -> bytes:
        """``n`` bytes from the instruction (reads above 4 KiB release the GIL).

        Raises:
            SourceError: a value did not come within ``retries`` attempts.
        """
        assert _cpurng is not None  # checked when the source was made
        try:
            data: bytes = _cpurng.read(check_int("n", n, 0, 1 << 30), self.retries)
        except RuntimeError as error:
            raise SourceError(f"cpu: {error}") from None
        return data

    def __repr__(self) -> str:
        return f"CpuSource(instruction={self.instruction!r})"
