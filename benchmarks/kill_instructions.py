"""``python -m benchmarks.kill_instructions``: a kill of an idle worker, in CPU instructions.

The restart row (kill → new live child in the registry) is ``kill()`` itself: an idle worker
ends, and is replaced, inside the call. Its time moves with the machine's phases by up to 2x;
its instruction count does not, so a change to the restart path is judged here first. The
script runs itself under callgrind (``valgrind``), which counts instructions only inside
``operator.call`` (``--toggle-collect=_operator_call``): the timed kills go through it, the
warm-up kills and everything else do not. It prints instructions per kill; with ``--inner``
it is the process callgrind runs. Skipped with a message where valgrind is missing.
"""

from __future__ import annotations

import argparse
import operator
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.latency import REQUEST
from benchmarks.measure import LoopKind, run_on
from benchmarks.restart import killable_network, replacement, victim

__all__ = ["main"]

WARMUP = 300


async def _kills(kills: int) -> None:
    """``WARMUP`` kills, then ``kills`` through ``operator.call``; each replacement is asked
    once before the next kill, as in the restart scenario."""
    call = operator.call
    async with killable_network() as net:
        supervisor = net.supervisor
        for i in range(WARMUP + kills):
            child_id, old = victim(supervisor, i)
            if i >= WARMUP:
                call(old.kill, "benchmark")
            else:
                old.kill("benchmark")
            new = await replacement(supervisor, child_id, old)
            await new.ask(REQUEST)


def _count(loop: LoopKind, kills: int) -> int:
    """Instructions per timed kill, counted by callgrind in a child process."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--collect-atstart=no",
             "--toggle-collect=_operator_call", f"--callgrind-out-file={out}",
             sys.executable, "-m", "benchmarks.kill_instructions", "--inner",
             "--loop", loop, "--kills", str(kills)],
            check=True, capture_output=True)
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
    if totals is None:
        raise RuntimeError("callgrind wrote no totals")
    return int(totals.group(1)) // kills


def main(argv: list[str] | None = None) -> int:
    """Count (or, with ``--inner``, be counted)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kill_instructions",
                                     description=__doc__)
    parser.add_argument("--loop", choices=["default", "uvloop"], nargs="+",
                        default=["default", "uvloop"])
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        run_on(args.loop[0], lambda: _kills(args.kills))
        return 0
    if shutil.which("valgrind") is None:
        print("benchmarks.kill_instructions: nothing measured: valgrind is not installed",
              file=sys.stderr)
        return 0
    for loop in args.loop:
        print(f"{loop}: {_count(loop, args.kills):,} instructions per kill "
              f"({args.kills} kills after {WARMUP} warm-up ones)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
