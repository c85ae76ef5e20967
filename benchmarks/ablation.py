"""Ablation: what each hot-path change of issue 3 bought, one change switched off at a time.

``python -m benchmarks.ablation`` (``make bench-ablation``, about a minute) runs, in
one process and against a direct baseline measured in the same run:

* sequential p50 (one caller, 32 B, 3 workers) and concurrent calls/s (3 workers, 500 callers
  x 100 calls), for HEAD, for HEAD with one change switched off (``benchmarks.switches``),
  with all four off (which should reproduce the figures of the code before, ``5d2e16e``), with
  all off but one (what each change buys alone), with the health tests off, and on uvloop;
* the *floor* of the architecture (``benchmarks.floor``): bare tasks, a deque mailbox, one
  ``asyncio.gather`` per request; with and without the mix and the health tests;
* start, close and restart with the level-filtered logging switched off (change 5 touches
  nothing else).

Every variant gets a fresh event loop and a fresh network; the variants run in several passes,
in reverse order every other pass, so slow drift of the machine spreads over all of them. Each
variant's ratio is to the direct baseline timed in alternation with it, and the sequential
samples of all passes are pooled before the p50 is taken.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

import alara
from alara.entropy.health import DEFAULT_HEALTH
from benchmarks.baseline import direct_request
from benchmarks.floor import FloorPool
from benchmarks.latency import REQUEST
from benchmarks.measure import LoopKind, clock, loop_available, percentile, run_on, settle
from benchmarks.restart import measure_restart
from benchmarks.runs import Progress, provenance, write_files
from benchmarks.switches import (
    Switch,
    log_always_formatted,
    no_rounds,
    no_worker_fast_path,
    queue_mailbox,
    timeout_per_request,
)

__all__ = [
    "FULL_ABLATION",
    "TINY_ABLATION",
    "VARIANTS",
    "AblationConfig",
    "AblationResults",
    "LifecycleResult",
    "Variant",
    "VariantResult",
    "main",
    "markdown",
    "run_ablation",
    "text_table",
]

WORKERS = 3


@dataclass(frozen=True, slots=True)
class AblationConfig:
    """Sample counts. Sequential calls and concurrent rounds are per variant and per pass."""

    name: str
    passes: int
    sequential_calls: int
    sequential_rounds: int
    warmup: int
    callers: int
    calls: int
    lifecycle_workers: int
    lifecycle_repeats: int
    restart_kills: int


FULL_ABLATION = AblationConfig(name="full", passes=3, sequential_calls=8_000, sequential_rounds=4,
                               warmup=300, callers=500, calls=100, lifecycle_workers=10_000,
                               lifecycle_repeats=3, restart_kills=1_000)
TINY_ABLATION = AblationConfig(name="tiny", passes=1, sequential_calls=40, sequential_rounds=2,
                               warmup=5, callers=10, calls=3, lifecycle_workers=20,
                               lifecycle_repeats=1, restart_kills=5)
"""A smoke run of every variant in a second or two (``tests/test_ablation.py``)."""


def _switches(*switches: Switch) -> Switch:
    """One switch holding every switch in ``switches`` off."""

    @contextmanager
    def held() -> Iterator[None]:
        with ExitStack() as stack:
            for switch in switches:
                stack.enter_context(switch())
            yield

    return held


@dataclass(frozen=True, slots=True)
class Variant:
    """One configuration of the hot path. ``floor``: ``None`` (alara), or what the floor does."""

    key: str
    label: str
    switch: Switch = nullcontext
    loop: LoopKind = "default"
    health: bool = True
    floor: Literal["bare", "mix", "mix+health"] | None = None


VARIANTS: tuple[Variant, ...] = (
    Variant("head", "(a) all on (HEAD)"),
    Variant("no_rounds", "(b) 1 off: no rounds, one gather per caller", _switches(no_rounds)),
    Variant("timeout_per_request", "(c) 2 off: asyncio.timeout per request",
            _switches(timeout_per_request)),
    Variant("queue_mailbox", "(d) 3 off: plain asyncio.Queue mailbox", _switches(queue_mailbox)),
    Variant("no_worker_fast_path", "(e) 4 off: no worker fast path",
            _switches(no_worker_fast_path)),
    Variant("all_off", "1-4 all off (≈ the code before)",
            _switches(no_rounds, timeout_per_request, queue_mailbox, no_worker_fast_path)),
    Variant("only_rounds", "only 1 on (rounds)",
            _switches(timeout_per_request, queue_mailbox, no_worker_fast_path)),
    Variant("only_watch", "only 2 on (deadline watch)",
            _switches(no_rounds, queue_mailbox, no_worker_fast_path)),
    Variant("only_mailbox", "only 3 on (mailbox)",
            _switches(no_rounds, timeout_per_request, no_worker_fast_path)),
    Variant("only_fast_path", "only 4 on (worker fast path)",
            _switches(no_rounds, timeout_per_request, queue_mailbox)),
    Variant("health_off", "(f) HEAD, health=None", health=False),
    Variant("uvloop", "(g) HEAD on uvloop", loop="uvloop"),
    Variant("floor", "floor: bare tasks + gather, no mix", floor="bare"),
    Variant("floor_mix", "floor + mix", floor="mix"),
    Variant("floor_mix_health", "floor + mix + health tests", floor="mix+health"),
    Variant("floor_mix_health_uvloop", "floor + mix + health tests, uvloop", loop="uvloop",
            floor="mix+health"),
)


@dataclass(slots=True)
class _Samples:
    """Raw figures of one variant, pooled over the passes."""

    alara_ns: list[int] = field(default_factory=list)
    direct_ns: list[int] = field(default_factory=list)
    alara_rates: list[float] = field(default_factory=list)
    direct_rates: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VariantResult:
    """What one variant measured, in µs and calls/s, with its ratios to direct."""

    key: str
    label: str
    loop: str
    p50_us: float
    p99_us: float
    direct_p50_us: float
    p50_ratio: float
    calls_per_s: float
    direct_calls_per_s: float
    rate_ratio: float
    calls: int
    passes: int


@dataclass(frozen=True, slots=True)
class LifecycleResult:
    """Change 5: start, close and restart with the log filter on (HEAD) and off."""

    workers: int
    start_ms: float
    start_ms_unfiltered: float
    close_ms: float
    close_ms_unfiltered: float
    restart_p50_us: float
    restart_p50_us_unfiltered: float


@dataclass(slots=True)
class AblationResults:
    """The whole run: context, variants, lifecycle, and what was skipped."""

    meta: dict[str, Any]
    variants: list[VariantResult] = field(default_factory=list)
    lifecycle: LifecycleResult | None = None
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "meta": self.meta,
            "variants": [asdict(result) for result in self.variants],
            "lifecycle": None if self.lifecycle is None else asdict(self.lifecycle),
            "skipped": self.skipped,
        }


# -- measuring -------------------------------------------------------------------------------

Request = Callable[[int], Awaitable[bytes]]


async def _sequential(request: Request, config: AblationConfig, into: _Samples) -> None:
    """Alternating rounds of direct and ``request`` calls, one at a time, timed per call."""
    per_round = max(1, config.sequential_calls // config.sequential_rounds)
    for _ in range(config.sequential_rounds):
        for _ in range(per_round):
            start = clock()
            direct_request(WORKERS, REQUEST)
            into.direct_ns.append(clock() - start)
        for _ in range(per_round):
            start = clock()
            await request(REQUEST)
            into.alara_ns.append(clock() - start)


def _direct_rate(requests: int) -> float:
    start = clock()
    for _ in range(requests):
        direct_request(WORKERS, REQUEST)
    return requests / ((clock() - start) / 1e9)


async def _concurrent(request: Request, config: AblationConfig, into: _Samples) -> None:
    """``callers`` tasks of ``calls`` requests each; direct rate timed before and after."""

    async def caller() -> None:
        for _ in range(config.calls):
            await request(REQUEST)

    total = config.callers * config.calls
    before = _direct_rate(total)
    start = clock()
    await asyncio.gather(*(caller() for _ in range(config.callers)))
    into.alara_rates.append(total / ((clock() - start) / 1e9))
    into.direct_rates.append((before + _direct_rate(total)) / 2)


async def _one_pass(variant: Variant, config: AblationConfig, into: _Samples) -> None:
    if variant.floor is not None:
        pool = FloorPool(WORKERS, REQUEST, mixed=variant.floor != "bare",
                         health=DEFAULT_HEALTH if variant.floor == "mix+health" else None)
        try:
            await _measure(pool.request, config, into)
        finally:
            await pool.close()
        return
    options: dict[str, Any] = {} if variant.health else {"health": None}
    async with alara.create_network(WORKERS, **options) as net:
        await _measure(net.random_bytes, config, into)


async def _measure(request: Request, config: AblationConfig, into: _Samples) -> None:
    for _ in range(config.warmup):
        direct_request(WORKERS, REQUEST)
        await request(REQUEST)
    warm = replace(config, callers=min(config.callers, 50), calls=2)
    await _concurrent(request, warm, _Samples())  # the concurrent path warmed up too
    await settle()
    await _sequential(request, config, into)
    await settle()
    await _concurrent(request, config, into)


def _summarize(variant: Variant, samples: _Samples, passes: int) -> VariantResult:
    alara_ns, direct_ns = sorted(samples.alara_ns), sorted(samples.direct_ns)
    p50, direct_p50 = percentile(alara_ns, 0.5) / 1e3, percentile(direct_ns, 0.5) / 1e3
    rate, direct_rate = (statistics.median(samples.alara_rates),
                         statistics.median(samples.direct_rates))
    return VariantResult(
        key=variant.key, label=variant.label, loop=variant.loop,
        p50_us=p50, p99_us=percentile(alara_ns, 0.99) / 1e3, direct_p50_us=direct_p50,
        p50_ratio=p50 / direct_p50, calls_per_s=rate, direct_calls_per_s=direct_rate,
        rate_ratio=rate / direct_rate, calls=len(alara_ns), passes=passes,
    )


def _order(variants: list[Variant], passes: int) -> Iterator[Variant]:
    """Every variant once per pass; odd passes in reverse, so drift hits all of them alike."""
    for index in range(passes):
        yield from (variants if index % 2 == 0 else reversed(variants))


async def _start_close(workers: int) -> tuple[float, float]:
    """ms from ``create_network`` to the first reply, and ms for ``close()``."""
    begin = clock()
    net = alara.create_network(workers)
    await net.start()
    await net.random_bytes(REQUEST)
    ready = clock()
    await net.close()
    return (ready - begin) / 1e6, (clock() - ready) / 1e6


def _lifecycle(config: AblationConfig, say: Callable[[str], None]) -> LifecycleResult:
    """Change 5: the same start/close/restart with and without the log-level filter."""
    figures: dict[bool, dict[str, list[float]]] = {
        filtered: {"start": [], "close": [], "restart": []} for filtered in (True, False)
    }
    for index in range(config.lifecycle_repeats):
        for filtered in (True, False) if index % 2 == 0 else (False, True):
            say(f"lifecycle: {config.lifecycle_workers:,} workers, log filter "
                f"{'on' if filtered else 'off'}")
            with nullcontext() if filtered else log_always_formatted():
                start, close = run_on("default", lambda: _start_close(config.lifecycle_workers))
                rows = measure_restart(config.restart_kills, min(50, config.restart_kills))
            figures[filtered]["start"].append(start)
            figures[filtered]["close"].append(close)
            figures[filtered]["restart"].extend(
                row.value for row in rows if row.key == "restart.registry.p50")
    on, off = figures[True], figures[False]
    median = statistics.median
    return LifecycleResult(
        workers=config.lifecycle_workers,
        start_ms=median(on["start"]), start_ms_unfiltered=median(off["start"]),
        close_ms=median(on["close"]), close_ms_unfiltered=median(off["close"]),
        restart_p50_us=median(on["restart"]), restart_p50_us_unfiltered=median(off["restart"]),
    )


def run_ablation(config: AblationConfig, *, only: list[str] | None = None,
                 use_uvloop: bool = True, lifecycle: bool = True,
                 say: Callable[[str], None] = lambda message: None) -> AblationResults:
    """Measure every variant (or the ``only`` ones) and, optionally, the lifecycle figures."""
    results = AblationResults(_meta(config))
    variants = [variant for variant in VARIANTS if only is None or variant.key in only]
    if not (use_uvloop and loop_available("uvloop")):
        dropped = [variant.key for variant in variants if variant.loop == "uvloop"]
        variants = [variant for variant in variants if variant.loop != "uvloop"]
        if dropped:
            results.skipped.append(f"{', '.join(dropped)}: uvloop "
                                   + ("disabled" if not use_uvloop else "not installed"))
    samples = {variant.key: _Samples() for variant in variants}
    for variant in _order(variants, config.passes):
        say(f"{variant.label} [{variant.loop}]")
        with variant.switch():
            run_on(variant.loop, partial(_one_pass, variant, config, samples[variant.key]))
    results.variants = [_summarize(variant, samples[variant.key], config.passes)
                        for variant in variants]
    if lifecycle:
        results.lifecycle = _lifecycle(config, say)
    results.meta["load_after"] = os.getloadavg()
    return results


def _meta(config: AblationConfig) -> dict[str, Any]:
    return {
        "suite": f"ablation-{config.name}",
        "config": asdict(config),
        **provenance(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }


# -- reporting -------------------------------------------------------------------------------

_HEADER = ("variant", "loop", "seq p50", "vs direct", "vs HEAD", "concurrent", "of direct",
           "vs HEAD")


def _cells(result: VariantResult, head: VariantResult | None) -> tuple[str, ...]:
    seq_change = conc_change = ""
    if head is not None and result.key != head.key:
        seq_change = f"{result.p50_us / head.p50_us - 1:+.0%}"
        conc_change = f"{result.calls_per_s / head.calls_per_s - 1:+.0%}"
    return (result.label, result.loop, f"{result.p50_us:.1f} µs", f"{result.p50_ratio:.2f}x",
            seq_change, f"{result.calls_per_s:,.0f}/s", f"{result.rate_ratio:.0%}", conc_change)


def _direct_line(results: AblationResults) -> str:
    direct_p50 = statistics.median(result.direct_p50_us for result in results.variants)
    direct_rate = statistics.median(result.direct_calls_per_s for result in results.variants)
    return (f"direct baseline (median over the variants' own): {direct_p50:.2f} µs per request, "
            f"{direct_rate:,.0f} requests/s")


def _lifecycle_rows(life: LifecycleResult) -> list[tuple[str, str, str]]:
    return [
        (f"{life.workers:,} workers: start to first reply", f"{life.start_ms_unfiltered:.1f} ms",
         f"{life.start_ms:.1f} ms"),
        (f"{life.workers:,} workers: close()", f"{life.close_ms_unfiltered:.1f} ms",
         f"{life.close_ms:.1f} ms"),
        ("restart p50, kill() to registry", f"{life.restart_p50_us_unfiltered:.1f} µs",
         f"{life.restart_p50_us:.1f} µs"),
    ]


def _head(results: AblationResults) -> VariantResult | None:
    return next((result for result in results.variants if result.key == "head"), None)


def text_table(results: AblationResults) -> str:
    """The fixed-width tables printed at the end of a run."""
    head = _head(results)
    rows = [_HEADER, *(_cells(result, head) for result in results.variants)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = ["\n== ablation: 3 workers, 32 B; sequential p50, concurrent "
             f"{results.meta['config']['callers']} callers x {results.meta['config']['calls']}"
             " calls =="]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip() for row in rows]
    lines.append(_direct_line(results))
    if results.lifecycle is not None:
        lines.append("\n== change 5: log filter (off -> on) ==")
        lines += [f"{what}: {off} -> {on}" for what, off, on in _lifecycle_rows(results.lifecycle)]
    lines += [f"skipped: {reason}" for reason in results.skipped]
    return "\n".join(lines)


def markdown(results: AblationResults) -> str:
    """The same tables as Markdown."""
    head = _head(results)
    out = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    out += ["| " + " | ".join(_cells(result, head)) + " |" for result in results.variants]
    out += ["", _direct_line(results) + "."]
    if results.lifecycle is not None:
        out += ["", "| change 5, log filter | off | on (HEAD) |", "|---|---|---|"]
        out += [f"| {what} | {off} | {on} |" for what, off, on in
                _lifecycle_rows(results.lifecycle)]
    if results.skipped:
        out += [""] + [f"- skipped: {reason}" for reason in results.skipped]
    return "\n".join(out) + "\n"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ablation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="smoke run, figures meaningless")
    parser.add_argument("--only", nargs="+", choices=[v.key for v in VARIANTS], default=None,
                        help="run only these variants")
    parser.add_argument("--no-uvloop", action="store_true", help="skip the uvloop variants")
    parser.add_argument("--no-lifecycle", action="store_true",
                        help="skip the start/close/restart figures of change 5")
    parser.add_argument("--json", type=Path, default=None,
                        help="JSON output (default benchmarks/results/ablation-<config>.json)")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="write the Markdown tables here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the ablation, print the tables, write the JSON (and Markdown); 0 unless a crash."""
    args = _arguments(argv)
    config = TINY_ABLATION if args.tiny else FULL_ABLATION
    say = Progress()
    results = run_ablation(config, only=args.only, use_uvloop=not args.no_uvloop,
                           lifecycle=not args.no_lifecycle, say=say)
    results.meta["seconds"] = round((clock() - say.begin) / 1e9, 1)
    say("done")
    print(text_table(results))
    path = args.json or Path("benchmarks/results") / f"ablation-{config.name}.json"
    write_files(path, results.to_json(), args.markdown, lambda: markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
