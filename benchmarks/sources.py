"""The default pool (one worker per discovered kind: ``os``, ``hwrng`` behind its reservoir,
``cpu``, as the machine offers) next to the OS-only pool, 3 workers each, open at once, their
calls taking turns. The goal: the default pool within 1.5x of the OS-only pool."""

from __future__ import annotations

import alara
from benchmarks._harness import LoopKind, Row, percentile, run_on
from benchmarks.requests import REQUEST, WORKERS, Settings, alternating, rates


def source_rows(s: Settings, loop: LoopKind) -> list[Row]:
    """Sequential p50/p99 and 500-caller rate of the default pool against the OS-only pool."""
    sources = alara.default_sources(WORKERS)
    kinds = "+".join(getattr(source, "kind", type(source).__name__) for source in sources)

    async def measure() -> tuple[dict[str, list[int]], dict[str, float]]:
        async with alara.create_network(sources=sources) as default, \
                alara.create_network(sources=[alara.OsSource()] * WORKERS) as plain:
            sides = {"default": lambda: default.random_bytes(REQUEST),
                     "plain": lambda: plain.random_bytes(REQUEST)}
            return (await alternating(sides, s.sequential_calls, s.sequential_rounds),
                    await rates(sides, s.callers, s.caller_calls, s.concurrent_rounds))

    samples, found = run_on(loop, measure)
    rows = [Row(f"sources.sequential.{name}", f"sequential 32 B, default pool ({kinds}), {name}",
                "µs", percentile(samples["default"], q) / 1e3,
                percentile(samples["plain"], q) / 1e3, "OS-only pool",
                note=f"{len(samples['default']):,} calls")
            for name, q in (("p50", 0.5), ("p99", 0.99))]
    rows.append(Row("sources.concurrent", f"{s.callers} callers, 32 B, default pool ({kinds})",
                    "calls/s", found["default"], found["plain"], "OS-only pool",
                    higher_is_better=True, note=f"median of {s.concurrent_rounds} rounds"))
    return rows
