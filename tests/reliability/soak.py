"""Chaos soak: many callers, workers killed every 10 ms, hangs, a give-up, hostile stallers.

``make soak`` runs ``python -m tests.reliability.soak --seconds $(SOAK_SECONDS)``; the test
suite runs a shorter version. Four phases, each on its own network:

1. **Chaos** (``seconds`` long): 1,000 concurrent callers ask for 1 B - 64 KiB each, over and
   over, while a chaos task kills a random live worker every 10 ms and, now and then, arms a
   source so that its next read hangs (the collector's per-contribution deadline must catch
   it). The network's restart intensity allows that rate. Every call must end, with exactly
   the bytes asked for, no output may repeat, and the pool must be whole at the end.
2. **Give-up**: the same callers on a network with ALARA's intensity (10 restarts in 5 s)
   while workers are killed every millisecond. The supervisor must give up, and every caller
   must then get an ``AlaraError`` promptly: no caller may hang on a dead pool.
3. **Isolation** (a third of ``seconds``, 5 to 20 s): honest sources of every kind (the OS
   CSPRNG, an ``async def`` source, a synchronous source that blocks on every read) next to a
   hostile synchronous staller that blocks just past the contribution timeout on every read;
   a fresh staller joins every ``STALLER_EVERY`` seconds once the last one is quarantined.
   Floor: ``min_sources`` = the honest sources. No call may outlast its ``timeout`` (plus
   ``ISOLATION_SLACK``), no honest source may be quarantined, and no output may be mixed
   from fewer contributions than the floor.
4. **Loop staller** (as long as phase 3): a source read on the loop (it declares
   ``max_inline_read``) holds the loop for the contribution timeout plus 5 ms at every read,
   next to honest async sources (a plain one, one that needs one more ``await`` after its I/O,
   one with ``asyncio.wait_for`` around it) and the OS source, under load, with
   ``quarantine_after=1`` (one wrong judgement retires a source). No honest worker may be
   judged hung (killed or quarantined) for the loop's stalls; no call may hang.

Sizes and victims come from ``secrets`` (the harness's choices need no reproducibility and
this keeps ``random`` out of the project entirely). Peak memory is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from alara import AlaraError, Network, OsSource, SupervisorGaveUpError, create_network
from alara.testing.sources import AsyncSource
from tests.doubles.blocking import BlockingSource, HostileStaller, LoopStaller, SteppingSource

__all__ = [
    "HangingSometimes",
    "PhaseReport",
    "SoakReport",
    "isolation_phase",
    "loop_stall_phase",
    "main",
    "run_soak",
]

CALLERS = 1000
WORKERS = 10  # enough that a kill falls due on a live worker every 10 ms under load
MAX_SIZE = 64 * 1024
KILL_EVERY = 0.010  # seconds between chaos kills in phase 1
HANG_EVERY = 0.5  # seconds between armed hangs in phase 1
GIVE_UP_KILL_EVERY = 0.001  # phase 2: far beyond 10 restarts in 5 s
CONTRIBUTION_TIMEOUT = 0.05  # a hung source is cut off after this long
REQUEST_TIMEOUT = 5.0  # a request's deadline, retries on restarted workers included
HANG_LIMIT = 15.0  # a call still running after this long is counted as hung
PROMPT = 2.0  # after a give-up, every caller must have its error within this many seconds
GIVE_UP_WITHIN = 10.0  # phase 2 fails if the supervisor has not given up by then
POOL_WHOLE_WITHIN = 5.0  # after phase 1, every worker must be running again within this
PEAK_RSS_LIMIT_MIB = 1024
KEY_PREFIX = 32  # outputs of at least this many bytes are checked for repeats
ISOLATION_TIMEOUT = 2.0  # phase 3: the request deadline
ISOLATION_CONTRIBUTION_TIMEOUT = 0.2  # phase 3: a read longer than this is a hang
ISOLATION_SLACK = 1.0  # phase 3: a call longer than ISOLATION_TIMEOUT + this counts as hung
STALLER_EVERY = 1.0  # phase 3: seconds between hostile stallers joining the pool
ISOLATION_MAX_RESTARTS = 50  # phase 3: restarts allowed in 5 s (stallers make up to ~12)
STALL_CALLERS = 100  # phase 4: every round holds the loop 0.2 s, so fewer callers keep it busy


class HangingSometimes:
    """Wraps a source; once armed, its next read hangs until the worker is killed.

    Models a device that stalls now and then. The worker cannot tell; only the collector's
    ``contribution_timeout`` can, by killing the worker so the supervisor restarts it.
    """

    def __init__(self, inner: OsSource) -> None:
        self.inner = inner
        self.armed = False
        self.hangs = 0
        self.hanging = asyncio.Event()  # set at the first hang, for tests to wait on

    async def read(self, n: int) -> bytes:
        """``n`` bytes from the inner source, unless armed: then never (until cancelled)."""
        if self.armed:
            self.armed = False
            self.hangs += 1
            self.hanging.set()
            await asyncio.Event().wait()  # never set: only the kill ends this read
        return self.inner.read(n)


@dataclass
class PhaseReport:
    """What one phase measured, and the checks it failed (empty: passed)."""

    name: str
    seconds: float = 0.0
    calls: int = 0
    bytes_out: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    hung: int = 0
    wrong_length: int = 0
    duplicates: int = 0
    kills: int = 0
    hangs: int = 0
    restarts: int = 0
    gave_up: bool = False
    pool_whole: bool | None = None
    slowest_call: float = 0.0
    last_error_after_give_up: float | None = None
    honest_quarantined: int | None = None
    below_floor: int | None = None
    stallers_quarantined: int | None = None
    honest_blamed: int | None = None
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        """Record ``what`` as a failed check unless ``ok``."""
        if not ok:
            self.failures.append(what)

    def lines(self) -> list[str]:
        """The phase as printable ``key: value`` lines."""
        errors = ", ".join(f"{name} {count}" for name, count in sorted(self.errors.items()))
        unexpected = ", ".join(f"{name} {count}" for name, count in self.unexpected.items())
        rows = [
            f"phase {self.name} ({self.seconds:.1f} s)",
            f"  calls completed       {self.calls} ({self.calls / max(self.seconds, 1e-9):.0f}/s,"
            f" {self.bytes_out / 2**20:.1f} MiB)",
            f"  errors by type        {errors or 'none'}",
            f"  unexpected errors     {unexpected or 'none'}",
            f"  hung calls            {self.hung}",
            f"  wrong-length outputs  {self.wrong_length}",
            f"  duplicate 32-byte     {self.duplicates}",
            f"  kills / hangs         {self.kills} ({self.kills / max(self.seconds, 1e-9):.0f}/s)"
            f" / {self.hangs}",
            f"  restarts              {self.restarts}",
            f"  give-ups              {int(self.gave_up)}",
            f"  slowest call          {self.slowest_call * 1000:.0f} ms",
        ]
        if self.pool_whole is not None:
            rows.append(f"  pool whole at end     {'yes' if self.pool_whole else 'NO'}")
        if self.honest_quarantined is not None:
            rows.append(f"  honest quarantined    {self.honest_quarantined}")
            rows.append(f"  outputs below floor   {self.below_floor}")
            rows.append(f"  stallers quarantined  {self.stallers_quarantined}")
        if self.honest_blamed is not None:
            rows.append(f"  honest blamed         {self.honest_blamed}")
        if self.last_error_after_give_up is not None:
            rows.append(f"  last caller error     {self.last_error_after_give_up * 1000:.0f} ms "
                        "after the give-up")
        rows.extend(f"  FAILED: {failure}" for failure in self.failures)
        return rows


@dataclass
class SoakReport:
    """Both phases, peak memory, and the verdict."""

    phases: list[PhaseReport]
    peak_rss_mib: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check of every phase passed."""
        return not self.failures and all(not phase.failures for phase in self.phases)

    def render(self) -> str:
        """The printable summary ``make soak`` shows."""
        rows = ["alara chaos soak"]
        for phase in self.phases:
            rows.extend(phase.lines())
        rows.append(f"peak memory (RSS)       {self.peak_rss_mib:.0f} MiB")
        rows.extend(f"FAILED: {failure}" for failure in self.failures)
        rows.append("result: " + ("PASS" if self.ok else "FAIL"))
        return "\n".join(rows)


class _Outputs:
    """Checks every output's length, and the first 32 bytes of each for repeats."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()

    def record(self, report: PhaseReport, size: int, data: bytes) -> None:
        if len(data) != size:
            report.wrong_length += 1
            return
        report.calls += 1
        report.bytes_out += size
        if size >= KEY_PREFIX:
            prefix = data[:KEY_PREFIX]
            if prefix in self.seen:
                report.duplicates += 1
            self.seen.add(prefix)


async def _one_call(
    net: Network, report: PhaseReport, outputs: _Outputs
) -> BaseException | None:
    """One request of a random size; returns the error it raised, if any."""
    size = 1 + secrets.randbelow(MAX_SIZE)
    started = time.monotonic()
    deadline = asyncio.timeout(HANG_LIMIT)
    try:
        async with deadline:
            data = await net.random_bytes(size)
    except AlaraError as error:
        report.errors[type(error).__name__] += 1
        return error
    except TimeoutError as error:
        if deadline.expired():
            report.hung += 1
        else:
            report.unexpected[type(error).__name__] += 1
        return error
    except Exception as error:  # counted and reported: the soak must see every escape
        report.unexpected[type(error).__name__] += 1
        return error
    finally:
        report.slowest_call = max(report.slowest_call, time.monotonic() - started)
    outputs.record(report, size, data)
    return None


async def _chaos_caller(
    net: Network, report: PhaseReport, outputs: _Outputs, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        await _one_call(net, report, outputs)


async def _killer(net: Network, report: PhaseReport, every: float, stop: asyncio.Event) -> None:
    """Kill a random live worker every ``every`` seconds until ``stop``.

    The schedule is kept by the clock, not by the sleep: when the busy loop wakes this task
    late, it makes up the kills that fell due meanwhile, each on a different live worker, and
    carries over those it could not make (fewer live workers than kills due), so the rate
    holds under load.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not stop.is_set():
        await asyncio.sleep(every)  # pacing, not a wait for a condition
        due = int((loop.time() - started) / every) - report.kills
        refs = net.get_nodes()
        for _ in range(min(due, len(refs))):
            refs.pop(secrets.randbelow(len(refs))).kill("chaos")
            report.kills += 1


async def _hanger(sources: Sequence[HangingSometimes], stop: asyncio.Event) -> None:
    """Arm one random source to hang on its next read, every ``HANG_EVERY`` seconds."""
    while not stop.is_set():
        await asyncio.sleep(HANG_EVERY)
        sources[secrets.randbelow(len(sources))].armed = True


async def _pool_whole(net: Network, size: int, within: float) -> bool:
    """Wait (on registry changes, no polling) until ``size`` workers run; False on timeout."""
    try:
        async with asyncio.timeout(within):
            while len(net.get_nodes()) != size or net.supervisor.size != size:
                await net.supervisor.changed()
    except TimeoutError:
        return False
    return net.supervisor.error is None


def _restarts(net: Network) -> int:
    return sum(child.restarts for child in net.which_children())


async def chaos_phase(seconds: float, callers: int, outputs: _Outputs) -> PhaseReport:
    """Phase 1: callers under kills and hangs, within a restart intensity that allows them."""
    report = PhaseReport("1: chaos (kill every 10 ms, hangs)")
    sources = [HangingSometimes(OsSource()) for _ in range(WORKERS)]
    # Kills alone are 100/s; allow ten times that. Chaos kills and hangs are not the
    # sources' fault, so no quarantine: every failure must be met by a restart.
    net = create_network(sources=sources, max_restarts=1000, period=1.0,
                         timeout=REQUEST_TIMEOUT, contribution_timeout=CONTRIBUTION_TIMEOUT,
                         quarantine_after=None)
    stop = asyncio.Event()
    started = time.monotonic()
    async with net:
        tasks = [asyncio.create_task(_chaos_caller(net, report, outputs, stop))
                 for _ in range(callers)]
        chaos = [asyncio.create_task(_killer(net, report, KILL_EVERY, stop)),
                 asyncio.create_task(_hanger(sources, stop))]
        await asyncio.sleep(seconds)  # the soak's duration, not a wait for a condition
        stop.set()
        await asyncio.gather(*chaos)
        await asyncio.gather(*tasks)  # each ends after its current call (bounded by HANG_LIMIT)
        report.seconds = time.monotonic() - started
        report.pool_whole = await _pool_whole(net, WORKERS, POOL_WHOLE_WITHIN)
        report.restarts = _restarts(net)
        report.gave_up = net.supervisor.error is not None
        report.hangs = sum(source.hangs for source in sources)
        final = await _one_call(net, report, outputs)
    report.check(report.calls > 0, "no call completed")
    report.check(report.hung == 0, "hung calls")
    report.check(report.wrong_length == 0, "wrong-length outputs")
    report.check(report.duplicates == 0, "duplicate 32-byte outputs")
    report.check(not report.unexpected, "errors outside the AlaraError hierarchy")
    report.check(not report.gave_up, "the supervisor gave up within its intensity")
    report.check(report.restarts >= report.kills, "fewer restarts than kills")
    report.check(bool(report.pool_whole), "pool not whole at the end")
    report.check(final is None, "the network did not answer after the chaos")
    return report


async def _until_error(
    net: Network, report: PhaseReport, outputs: _Outputs, ended: list[float]
) -> None:
    """Call until the pool's give-up reaches this caller; note when that happened."""
    while True:
        error = await _one_call(net, report, outputs)
        if error is not None and (isinstance(error, SupervisorGaveUpError)
                                  or not isinstance(error, AlaraError)
                                  or net.supervisor.error is not None):
            ended.append(time.monotonic())
            return


async def give_up_phase(callers: int, outputs: _Outputs) -> PhaseReport:
    """Phase 2: kills beyond the intensity; the supervisor gives up, every caller is told."""
    report = PhaseReport("2: give-up (kill every 1 ms, 10 restarts in 5 s allowed)")
    net = create_network(WORKERS, max_restarts=10, period=5.0, timeout=REQUEST_TIMEOUT,
                         contribution_timeout=CONTRIBUTION_TIMEOUT, quarantine_after=None)
    stop = asyncio.Event()
    ended: list[float] = []
    started = time.monotonic()
    async with net:
        tasks = [asyncio.create_task(_until_error(net, report, outputs, ended))
                 for _ in range(callers)]
        killer = asyncio.create_task(_killer(net, report, GIVE_UP_KILL_EVERY, stop))
        gave_up_at: float | None = None
        try:
            async with asyncio.timeout(GIVE_UP_WITHIN):
                await net.supervisor.wait()
        except SupervisorGaveUpError:
            gave_up_at = time.monotonic()
        except TimeoutError:
            pass
        stop.set()
        await killer
        report.gave_up = net.supervisor.error is not None
        _, pending = await asyncio.wait(tasks, timeout=PROMPT if report.gave_up else HANG_LIMIT)
        report.hung += len(pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        report.restarts = _restarts(net)
        report.seconds = time.monotonic() - started
        late: BaseException | None = None
        if report.gave_up:
            late = await _one_call(net, report, outputs)
    if gave_up_at is not None and ended:
        report.last_error_after_give_up = max(max(ended) - gave_up_at, 0.0)
    report.check(report.gave_up, f"the supervisor did not give up within {GIVE_UP_WITHIN} s")
    report.check(report.hung == 0, f"callers without an error {PROMPT} s after the give-up")
    report.check(not report.unexpected, "errors outside the AlaraError hierarchy")
    report.check(report.errors[SupervisorGaveUpError.__name__] > 0,
                 "no caller saw SupervisorGaveUpError")
    report.check(report.wrong_length == 0, "wrong-length outputs")
    report.check(report.duplicates == 0, "duplicate 32-byte outputs")
    report.check(isinstance(late, SupervisorGaveUpError),
                 "a call after the give-up did not raise SupervisorGaveUpError")
    return report


class _FloorCheck:
    """Wraps a network's collector to count the rounds served from fewer than ``floor``."""

    def __init__(self, net: Network, floor: int) -> None:
        self.floor = floor
        self.below = 0
        collector = net._collector
        collect = collector.collect

        async def counted(arrived: float) -> list[bytes]:
            contributions = await collect(arrived)
            if len(contributions) < self.floor:
                self.below += 1
            return contributions

        collector.collect = counted  # type: ignore[method-assign]


async def _stallers(net: Network, stop: asyncio.Event, added: list[str]) -> None:
    """Add a hostile staller whenever the previous one has been quarantined."""
    while not stop.is_set():
        await asyncio.sleep(STALLER_EVERY)  # pacing, not a wait for a condition
        if all(name in net.quarantined() for name in added):
            ref = await net.add_worker(HostileStaller(stall=1.5 * ISOLATION_CONTRIBUTION_TIMEOUT,
                                                      stalls=1_000_000))
            added.append(ref.name)


async def isolation_phase(seconds: float, callers: int, outputs: _Outputs) -> PhaseReport:
    """Phase 3: honest sources of every kind next to hostile stallers (see the docstring)."""
    report = PhaseReport("3: isolation (blocking and async honest sources, hostile stallers)")
    honest: list[object] = [OsSource(), OsSource(), AsyncSource(), BlockingSource(0.005)]
    floor = len(honest)
    staller = HostileStaller(stall=1.5 * ISOLATION_CONTRIBUTION_TIMEOUT, stalls=1_000_000)
    # A new staller joins every STALLER_EVERY seconds and is restarted twice before its third
    # hang quarantines it: up to ~2 restarts a second, 10-12 in any 5 s, right at the default
    # intensity (10 in 5 s), so a run gave up on timing alone. Giving up is phase 2's subject;
    # here the intensity has room for the stallers, and any restart of an honest worker on top
    # still shows (honest_quarantined, below_floor, and the calls).
    net = create_network(sources=[*honest, staller], min_sources=floor,  # type: ignore[list-item]
                         max_restarts=ISOLATION_MAX_RESTARTS, period=5.0,
                         timeout=ISOLATION_TIMEOUT,
                         contribution_timeout=ISOLATION_CONTRIBUTION_TIMEOUT, health=None)
    honest_names = [f"worker-{index}" for index in range(floor)]
    added = [f"worker-{floor}"]
    check = _FloorCheck(net, floor)
    stop = asyncio.Event()
    started = time.monotonic()
    async with net:
        tasks = [asyncio.create_task(_chaos_caller(net, report, outputs, stop))
                 for _ in range(callers)]
        joining = asyncio.create_task(_stallers(net, stop, added))
        await asyncio.sleep(seconds)  # the phase's duration, not a wait for a condition
        stop.set()
        await joining
        await asyncio.gather(*tasks)
        report.seconds = time.monotonic() - started
        report.restarts = _restarts(net)
        report.gave_up = net.supervisor.error is not None
        quarantined = net.quarantined()
        report.honest_quarantined = sum(name in quarantined for name in honest_names)
        report.stallers_quarantined = sum(name in quarantined for name in added)
        report.below_floor = check.below
        final = await _one_call(net, report, outputs)
    report.check(report.calls > 0, "no call completed")
    report.check(report.hung == 0, "hung calls")
    report.check(report.slowest_call <= ISOLATION_TIMEOUT + ISOLATION_SLACK,
                 f"a call outlasted timeout + {ISOLATION_SLACK} s")
    report.check(report.honest_quarantined == 0, "an honest source was quarantined")
    report.check(report.below_floor == 0, "outputs served below the floor")
    report.check(report.stallers_quarantined > 0, "no hostile staller was quarantined")
    _check_served(report, final)
    return report


def _check_served(report: PhaseReport, final: BaseException | None) -> None:
    """The checks every phase with a healthy pool ends with: right outputs, no escapes."""
    report.check(report.wrong_length == 0, "wrong-length outputs")
    report.check(report.duplicates == 0, "duplicate 32-byte outputs")
    report.check(not report.unexpected, "errors outside the AlaraError hierarchy")
    report.check(not report.gave_up, "the supervisor gave up")
    report.check(final is None, "the network did not answer after the phase")


async def loop_stall_phase(seconds: float, callers: int, outputs: _Outputs) -> PhaseReport:
    """Phase 4: honest async sources next to a source that holds the loop (the docstring)."""
    report = PhaseReport("4: loop staller (honest async sources, a source holding the loop)")
    honest: list[object] = [OsSource(), AsyncSource(), SteppingSource("second await"),
                            SteppingSource("wait_for")]
    staller = LoopStaller(ISOLATION_CONTRIBUTION_TIMEOUT + 0.005)
    net = create_network(sources=[*honest, staller],  # type: ignore[list-item]
                         timeout=ISOLATION_TIMEOUT, quarantine_after=1,
                         contribution_timeout=ISOLATION_CONTRIBUTION_TIMEOUT)
    honest_names = {f"worker-{index}" for index in range(len(honest))}
    stop = asyncio.Event()
    started = time.monotonic()
    async with net:
        tasks = [asyncio.create_task(_chaos_caller(net, report, outputs, stop))
                 for _ in range(min(callers, STALL_CALLERS))]
        await asyncio.sleep(seconds)  # the phase's duration, not a wait for a condition
        stop.set()
        await asyncio.gather(*tasks)
        report.seconds = time.monotonic() - started
        report.restarts = _restarts(net)
        report.gave_up = net.supervisor.error is not None
        quarantined = set(net.quarantined())
        report.honest_blamed = len(honest_names & quarantined) + sum(
            child.restarts for child in net.which_children() if child.id in honest_names)
        final = await _one_call(net, report, outputs)
    report.check(report.calls > 0, "no call completed")
    report.check(staller.reads > 0, "the staller was never read")
    report.check(report.hung == 0, "hung calls")
    report.check(report.honest_blamed == 0, "an honest source was blamed for the loop's stalls")
    _check_served(report, final)
    return report


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


async def run_soak(seconds: float = 60.0, callers: int = CALLERS) -> SoakReport:
    """Run the four phases and check everything; ``seconds`` is the chaos phase's length."""
    outputs = _Outputs()  # shared: an output repeated across phases is a repeat too
    third = min(max(seconds / 3, 5.0), 20.0)
    phases = [await chaos_phase(seconds, callers, outputs), await give_up_phase(callers, outputs),
              await isolation_phase(third, callers, outputs),
              await loop_stall_phase(third, callers, outputs)]
    report = SoakReport(phases, peak_rss_mib())
    if report.peak_rss_mib > PEAK_RSS_LIMIT_MIB:
        report.failures.append(f"peak RSS above {PEAK_RSS_LIMIT_MIB} MiB")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.reliability.soak [--seconds S] [--callers N]``; 0 when all checks pass."""
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="chaos phase length")
    parser.add_argument("--callers", type=int, default=CALLERS, help="concurrent callers")
    args = parser.parse_args(argv)
    if not args.seconds > 0 or args.callers < 1:
        parser.error("--seconds and --callers must be positive")
    report = asyncio.run(run_soak(args.seconds, args.callers))
    print(report.render(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
