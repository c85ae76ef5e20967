"""Continuous health tests (NIST SP 800-90B section 4.4) for the bytes a source returns.

A source that breaks (stuck at one value, looping over a short pattern, replaced by an
attacker's counter) still returns the right number of bytes; only statistics can tell. The two
tests NIST approves for any noise source run on every contribution of every worker, with state
kept across contributions so a failure spread over many small reads is still seen:

* the Repetition Count Test (RCT) fails when one byte value repeats ``rct_cutoff`` times in a
  row, ``rct_cutoff = 1 + ceil(-log2(alpha) / H)``;
* the Adaptive Proportion Test (APT) fails when the first byte of a 512-byte window occurs
  ``apt_cutoff`` times in that window, ``apt_cutoff = 1 + CRITBINOM(512, 2**-H, 1 - alpha)``.

* the repeated-block test (FIPS 140-2's continuous test, on whole blocks) fails when a block
  begins with the same ``block_prefix`` bytes as the previous block long enough to compare,
  ``block_prefix = ceil(-log2(alpha) / H)``: a source returning the same block at every read
  (a generator restored from one snapshot, a driver returning a cached buffer) passes the two
  byte-level tests for ever.

``H`` is the min-entropy claimed per byte and ``alpha`` the false-positive rate for a source
that meets the claim. Both cutoffs are computed here exactly (integer arithmetic, no floating
point tail sums), and ``docs/health-tests.md`` has the derivation and the table.

The checks use bytes-level operations only (``bytes.count``, ``bytes.find``, a big-int XOR), no
per-byte Python loop, and keep two bytes of past output at most (the last sample and the
current window's reference sample) and a 64-bit keyed digest (``hash``) of the previous
block's prefix: no buffer of old entropy lingers in a worker.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial

from alara.actors import check_int, check_real
from alara.entropy._native import NativeHealthTests
from alara.errors import HealthTestError

__all__ = [
    "APT_WINDOW",
    "DEFAULT_ALPHA",
    "DEFAULT_HEALTH",
    "DEFAULT_MIN_ENTROPY",
    "MIN_ENTROPY_FLOOR",
    "STARTUP_SAMPLES",
    "HealthPolicy",
    "HealthTests",
    "apt_cutoff",
    "block_prefix",
    "critbinom",
    "rct_cutoff",
]

APT_WINDOW = 512
"""NIST's APT window for non-binary samples (bytes)."""
DEFAULT_MIN_ENTROPY = 4.0
"""Claimed min-entropy per byte, H: half of what a CSPRNG gives (see ``docs/health-tests.md``)."""
DEFAULT_ALPHA = 2.0**-40
"""False-positive rate per test for a source that meets the claim (NIST: 2**-20 .. 2**-40)."""
MIN_ENTROPY_FLOOR = 0.01
"""Lowest claim accepted: below it the RCT cutoff (``1 + 256 / H`` at worst) stops being a test."""
STARTUP_SAMPLES = 1024
"""Bytes read, tested and discarded when a worker starts (NIST SP 800-90B 4.3: at least 1024)."""

_from_bytes = int.from_bytes
_new_tests = object.__new__

HealthCheck = Callable[[bytes], None]
"""Called with every block a source returns; raises ``HealthTestError`` to reject it."""
_MAX_RCT_CUTOFF = 1 << 16  # above any policy's cutoff (25601 at H = 0.01, alpha = 2**-256)
_NO_BLOCK = -1  # the digest before any block was compared (``hash`` never returns -1)


def critbinom(trials: int, p: float, alpha: float) -> int:
    """Excel's ``CRITBINOM(trials, p, 1 - alpha)``: least ``k`` with ``P(X > k) <= alpha``.

    ``X ~ Binomial(trials, p)``. Exact: a float is a dyadic rational ``m / 2**e``, so every
    binomial term is an integer over ``d**trials`` and the tail is compared without rounding.
    """
    if type(trials) is not int or trials < 1:
        raise ValueError(f"trials must be a positive int, got {trials!r}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    num, den = p.as_integer_ratio()
    alpha_num, alpha_den = alpha.as_integer_ratio()
    bound = alpha_num * den**trials  # P(X > k) <= alpha  <=>  tail * alpha_den <= bound
    tail = 0  # P(X > k) * den**trials, built from k = trials downwards
    miss = den - num
    hits, misses, ways = num**trials, 1, 1  # num**k, miss**(trials - k), comb(trials, k)
    for k in range(trials, -1, -1):
        if tail * alpha_den > bound:
            return k + 1
        tail += ways * hits * misses
        hits //= num  # exact: num**k // num == num**(k - 1)
        misses *= miss
        ways = ways * k // (trials - k + 1)  # exact: comb(trials, k - 1)
    return 0


def rct_cutoff(min_entropy: float, alpha: float) -> int:
    """NIST 4.4.1: ``C = 1 + ceil(-log2(alpha) / H)``."""
    return 1 + math.ceil(-math.log2(alpha) / min_entropy)


def block_prefix(min_entropy: float, alpha: float) -> int:
    """Bytes the repeated-block test compares: ``ceil(-log2(alpha) / H)``, so that an honest
    block repeats the previous one's prefix with probability at most ``alpha``."""
    return math.ceil(-math.log2(alpha) / min_entropy)


@lru_cache(maxsize=32)
def apt_cutoff(min_entropy: float, alpha: float, window: int = APT_WINDOW) -> int:
    """NIST 4.4.2: ``C = 1 + CRITBINOM(W, 2**-H, 1 - alpha)`` (cached: it costs milliseconds)."""
    return 1 + critbinom(window, 2.0**-min_entropy, alpha)


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """The entropy claim and error rate the tests are tuned for; a factory of ``HealthTests``.

    Give one to ``create_network(health=...)``: the network calls it at every worker (re)start,
    so each worker gets fresh test state. ``startup_samples`` bytes (NIST asks for
    ``STARTUP_SAMPLES`` = 1024) are read, tested and discarded before a worker serves anyone;
    the default 0 skips that start-up test, so a worker's reads are exactly its requests.
    """

    min_entropy: float = DEFAULT_MIN_ENTROPY
    alpha: float = DEFAULT_ALPHA
    startup_samples: int = 0
    rct_cutoff: int = field(init=False)
    apt_cutoff: int = field(init=False)
    block_prefix: int = field(init=False)

    def __post_init__(self) -> None:
        min_entropy = check_real("min_entropy", self.min_entropy, MIN_ENTROPY_FLOOR, 8.0,
                            f"[{MIN_ENTROPY_FLOOR}, 8] bits per byte")
        alpha = check_real("alpha", self.alpha, 2.0**-256, 2.0**-10, "[2**-256, 2**-10]")
        startup = check_int("startup_samples", self.startup_samples, 0, 1 << 20)
        object.__setattr__(self, "min_entropy", min_entropy)
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "startup_samples", startup)
        object.__setattr__(self, "rct_cutoff", rct_cutoff(min_entropy, alpha))
        object.__setattr__(self, "apt_cutoff", apt_cutoff(min_entropy, alpha))
        object.__setattr__(self, "block_prefix", block_prefix(min_entropy, alpha))

    def __call__(self) -> Callable[[bytes], None]:
        """Fresh test state for one worker: the C twin of ``HealthTests`` where it is built
        (``alara.entropy._native``), else a ``HealthTests``."""
        if NativeHealthTests is not None:
            return NativeHealthTests(self.rct_cutoff, self.apt_cutoff, self.block_prefix)
        # The cutoffs were checked when the policy was made: a restart skips the checks.
        tests = _new_tests(HealthTests)
        tests._start(self.rct_cutoff, self.apt_cutoff, self.block_prefix)
        return tests


def fast_maker(health: Callable[[], HealthCheck]) -> Callable[[], HealthCheck]:
    """What makes the same fresh test state as ``health()``, as cheaply as it can be called.

    For a ``HealthPolicy`` and the C twin: the C type itself, with the policy's cutoffs
    bound (``functools.partial``), which skips the policy's ``__call__`` (a Python call at
    every worker restart). Any other ``health`` (a ``HealthPolicy`` without the C twin, a
    factory of the caller's own) is returned as it is.
    """
    if type(health) is HealthPolicy and NativeHealthTests is not None:
        return partial(NativeHealthTests, health.rct_cutoff, health.apt_cutoff,
                       health.block_prefix)
    return health


DEFAULT_HEALTH = HealthPolicy()
"""What a network uses unless told otherwise: H = 4 bits/byte, alpha = 2**-40."""


class HealthTests:
    """RCT, APT and repeated-block state for one source: call it with every block it returns.

    ``block_prefix`` is how many leading bytes of consecutive blocks the repeated-block test
    compares (0: that test is off); blocks shorter than it are not compared. Raises
    ``HealthTestError`` (message starting with ``health_test:``) on the first block that fails;
    the worker lets it crash the actor. Messages and the repr never show sample values.
    """

    __slots__ = ("_apt_count", "_apt_cutoff", "_apt_ref", "_apt_seen", "_block", "_block_prefix",
                 "_last", "_rct_cutoff", "_rct_run", "_rct_zeros")

    def __init__(self, rct_cutoff: int, apt_cutoff: int, block_prefix: int = 0) -> None:
        self._start(check_int("rct_cutoff", rct_cutoff, 2, _MAX_RCT_CUTOFF),
                    check_int("apt_cutoff", apt_cutoff, 2, APT_WINDOW + 1),
                    check_int("block_prefix", block_prefix, 0, _MAX_RCT_CUTOFF))

    def _start(self, rct_cutoff: int, apt_cutoff: int, block_prefix: int = 0) -> None:
        """Fresh state for cutoffs already checked."""
        self._block_prefix = block_prefix
        self._block = _NO_BLOCK  # digest of the last compared block's prefix
        self._rct_cutoff = rct_cutoff
        self._rct_zeros = bytes(rct_cutoff - 1)
        self._last = -1  # no sample yet
        self._rct_run = 0
        self._apt_cutoff = apt_cutoff
        self._apt_ref = 0
        self._apt_seen = 0  # samples of the current window seen so far; 0: a new window starts
        self._apt_count = 0

    def __repr__(self) -> str:
        return (f"HealthTests(rct_cutoff={self._rct_cutoff}, apt_cutoff={self._apt_cutoff}, "
                f"block_prefix={self._block_prefix})")

    def __call__(self, data: bytes) -> None:
        """Run the tests over ``data``, continuing from the previous call's state."""
        n = len(data)
        if not n:
            return
        block = self._digest(data, n)
        cutoff = self._rct_cutoff
        first, last = data[0], self._last
        # RCT, across the boundary: does data extend the previous run to the cutoff?
        if first == last:
            need = cutoff - self._rct_run
            if data.count(last, 0, need) == need:
                raise self._rct_failure()
        # RCT, inside data: XOR-ing the bytes with themselves shifted by one byte leaves a zero
        # byte wherever two neighbours are equal (byte 0 keeps data[0] and is skipped), so a
        # run of ``cutoff`` equal bytes is a run of ``cutoff - 1`` zero bytes: one C-level find.
        if n >= cutoff:
            value = _from_bytes(data)
            if (value ^ (value >> 8)).to_bytes(n).find(self._rct_zeros, 1) >= 0:
                raise self._rct_failure()
        # RCT state: the length of the run data ends with (1 unless its last two bytes match).
        # Like all the state, it is stored only once data has passed both tests.
        end = data[-1]
        if n > 1 and data[-2] != end:
            run = 1
        else:
            tail = data[-cutoff:]
            run = len(tail) - len(tail.rstrip(tail[-1:]))
            if run == n and first == last:
                run += self._rct_run
        # APT: the window's first sample must not fill ``apt_cutoff`` of its 512 slots.
        seen = self._apt_seen
        if seen + n < APT_WINDOW:  # the common case: data falls inside one window
            ref = self._apt_ref if seen else first  # else a window starts with data
            count = (self._apt_count if seen else 0) + data.count(ref)
            if count >= self._apt_cutoff:
                raise self._apt_failure()
            self._last, self._rct_run, self._block = end, run, block
            self._apt_seen, self._apt_count, self._apt_ref = seen + n, count, ref
            return
        seen, count, ref = self._apt_windows(data, n, seen)
        self._last, self._rct_run, self._block = end, run, block
        self._apt_seen, self._apt_count, self._apt_ref = seen, count, ref

    def _digest(self, data: bytes, n: int) -> int:
        """The repeated-block test: the digest of ``data``'s prefix, which must differ from
        the previous block's (the previous one stays when ``data`` is too short to compare)."""
        prefix = self._block_prefix
        if not prefix or n < prefix:
            return self._block
        block = hash(bytes(data[:prefix]))
        if block == self._block:
            raise self._block_failure()
        return block

    def _apt_windows(self, data: bytes, n: int, seen: int) -> tuple[int, int, int]:
        """The APT over ``data`` when it reaches past the current window (``seen`` samples
        of it so far): the state after it, ``(seen, count, ref)``."""
        count, ref = self._apt_count, self._apt_ref
        pos = 0
        while pos < n:
            if not seen:
                ref = data[pos]
            stop = min(pos + APT_WINDOW - seen, n)
            count += data.count(ref, pos, stop)
            if count >= self._apt_cutoff:
                raise self._apt_failure()
            seen += stop - pos
            pos = stop
            if seen == APT_WINDOW:
                seen = count = 0
        return seen, count, ref

    def _block_failure(self) -> HealthTestError:
        return HealthTestError(
            f"health_test: repeated block test failed: a block began with the same "
            f"{self._block_prefix} bytes as the previous one"
        )

    def _apt_failure(self) -> HealthTestError:
        return HealthTestError(
            f"health_test: adaptive proportion test failed: one sample value filled "
            f"{self._apt_cutoff} or more of a {APT_WINDOW}-sample window "
            f"(cutoff {self._apt_cutoff})"
        )

    def _rct_failure(self) -> HealthTestError:
        return HealthTestError(
            f"health_test: repetition count test failed: {self._rct_cutoff} or more identical "
            f"samples in a row (cutoff {self._rct_cutoff})"
        )

