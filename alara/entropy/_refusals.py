"""What a caller is told when the collector cannot serve it: one error per cause, worded so
that it says what happened (who is missing, and whether anything failed at all).

* too few workers in the registry: ``PoolDegradedError`` when configured workers are gone and
  the pool fails closed, ``NoWorkersError`` below ``min_sources``;
* too few contributions by the request's deadline: ``RequestTimeoutError`` when no worker
  failed (they were only slower than the request: overload, a slow source, a read not yet
  judged hung), ``WorkerDiedError`` when some died or hung and no replacement answered.
"""

from __future__ import annotations

from alara.errors import (
    AlaraError,
    NoWorkersError,
    PoolDegradedError,
    RequestTimeoutError,
    WorkerDiedError,
)

__all__ = ["too_few_contributions", "too_few_workers"]


def too_few_workers(
    live: int, configured: int, required: int, missing: list[str], fail_closed: bool
) -> AlaraError:
    """The error for a pool of ``live`` workers when ``required`` must contribute."""
    if missing and fail_closed:
        return PoolDegradedError(
            f"refusing to serve from {live} of {configured} configured workers (fail closed; "
            f"min_sources opts in to fewer); missing: " + "; ".join(missing)
        )
    return NoWorkersError(
        f"{live} live worker(s), at least {required} required"
        + (f"; missing: {'; '.join(missing)}" if missing else "")
    )


def too_few_contributions(
    failed: list[str],
    late: list[str],
    lost: list[str],
    last_error: str,
    timeout: float,
    *,
    died: bool,
) -> AlaraError:
    """The error for a request whose deadline (``timeout`` after its call) passed with
    ``late`` workers still reading or queued, ``failed`` ones dead or hung without a
    replacement in time, and ``lost`` ones gone for good (quarantined, terminated);
    ``died``: whether any worker died or hung during the request (its replacement may be
    among the late ones). ``last_error`` is the last failure's reason."""
    if late and not died and not failed and not lost:
        return RequestTimeoutError(
            f"the request's deadline (timeout={timeout:g}s from its call) passed before "
            f"{', '.join(sorted(late))} answered; no worker failed: the sources were slower "
            f"than the requests (overload, or a slow source)"
        )
    names = sorted({*failed, *late}) + [f"{name} (lost)" for name in lost]
    return WorkerDiedError(", ".join(names) or "all workers", last_error)
