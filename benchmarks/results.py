"""The result model: flat rows of (figure, baseline, ratio), and the issue-3 targets over them.

Every scenario produces ``Row`` objects; the table, the JSON file, the plot and the targets are
all computed from the same rows, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["TARGETS", "Results", "Row", "Target", "TargetResult", "evaluate"]


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure next to its baseline.

    ``key`` is stable across runs (``latency.default.w3.p50``) so that runs can be compared
    and targets can find their figure. ``ratio`` is always ``value / baseline``: for a time,
    how many times slower than the baseline; for a rate, the fraction of the baseline's rate.
    """

    key: str
    scenario: str
    case: str
    metric: str
    unit: str
    value: float
    baseline: float | None = None
    baseline_name: str = ""
    higher_is_better: bool = False
    workers: int | None = None
    loop: str = "default"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """``value / baseline``, or ``None`` when there is no baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def to_json(self) -> dict[str, Any]:
        """The row as JSON-ready data, ratio included."""
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


@dataclass(frozen=True, slots=True)
class Target:
    """One performance target of issue 3, checked against one row.

    ``on_ratio`` picks the row's ratio instead of its value; ``at_most`` says which side of
    ``limit`` is good; ``strict`` turns ``<=``/``>=`` into ``<``/``>``.
    """

    text: str
    keys: tuple[str, ...]
    limit: float
    at_most: bool
    on_ratio: bool = False
    strict: bool = False

    def passes(self, measured: float) -> bool:
        """Whether ``measured`` meets the target."""
        if self.at_most:
            return measured < self.limit if self.strict else measured <= self.limit
        return measured > self.limit if self.strict else measured >= self.limit


@dataclass(frozen=True, slots=True)
class TargetResult:
    """A target with what was measured; ``met`` is ``None`` when the figure is missing."""

    text: str
    limit: float
    measured: float | None
    met: bool | None
    key: str


TARGETS: tuple[Target, ...] = (
    Target("Sequential 32 B, 3 workers: p50 ≤ 6x direct",
           ("latency.default.w3.p50",), 6.0, at_most=True, on_ratio=True),
    Target("Concurrent 32 B, 3 workers, 500 callers: ≥ 50% of direct calls/s",
           ("throughput.default.w3",), 0.5, at_most=False, on_ratio=True),
    Target("1 MiB: ≥ 85% of SHAKE256's own MB/s",
           ("large.1MiB.vs_shake",), 0.85, at_most=False, on_ratio=True),
    Target("1 MiB: peak extra memory ≤ 2x the request",
           ("large.1MiB.memory",), 2.0, at_most=True),
    Target("1,000-worker network starts in < 0.5 s",
           ("scale.w1000.start",), 0.5, at_most=True, strict=True),
    Target("< 10 KiB per idle worker (1,000 and 10,000 workers)",
           ("scale.w1000.memory", "scale.w10000.memory"), 10.0, at_most=True, strict=True),
    Target("Restart p50 < 1 ms (kill() to new child in the registry)",
           ("restart.registry.p50",), 1000.0, at_most=True, strict=True),
)


def evaluate(rows: list[Row], targets: tuple[Target, ...] = TARGETS) -> list[TargetResult]:
    """Check every target; for a multi-row target the worst figure decides."""
    by_key = {row.key: row for row in rows}
    outcome = []
    for target in targets:
        figures: list[tuple[float, str]] = []
        for key in target.keys:
            row = by_key.get(key)
            figure = None if row is None else (row.ratio if target.on_ratio else row.value)
            if figure is not None:
                figures.append((figure, key))
        if len(figures) < len(target.keys):
            missing = ",".join(target.keys)
            outcome.append(TargetResult(target.text, target.limit, None, None, missing))
            continue
        worst = max(figures) if target.at_most else min(figures)
        outcome.append(
            TargetResult(target.text, target.limit, worst[0], target.passes(worst[0]), worst[1])
        )
    return outcome


@dataclass(slots=True)
class Results:
    """Everything one run produced: rows, skipped parts and the context to read them in."""

    meta: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The run as JSON-ready data, targets evaluated."""
        return {
            "meta": self.meta,
            "rows": [row.to_json() for row in self.rows],
            "targets": [asdict(result) for result in evaluate(self.rows)],
            "skipped": self.skipped,
        }
