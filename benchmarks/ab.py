"""Old-against-new comparisons: one probe script run in a fresh process on either tree.

Shared by ``hotpath_ab`` and ``restart_ab``: a fresh interpreter per probe, with the tree's
``alara/`` first on the path, so each measurement imports exactly one version of the code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def probe(tree: str, code: str, *args: str) -> dict[str, float]:
    """Run ``code`` with ``args`` in a fresh Python on ``tree``; its last stdout line is JSON."""
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, check=True,
                         capture_output=True, text=True, cwd=os.path.abspath(tree)).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def arguments(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The options every A/B script takes: the two trees and the number of rounds."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", help="tree of the old version (its alara/ is imported)")
    parser.add_argument("new", help="tree of the new version")
    parser.add_argument("--rounds", type=int, default=5, help="old/new pairs (default 5)")
    return parser


def interleave(old: str, new: str, rounds: int, code: str,
               *args: str) -> dict[str, list[dict[str, float]]]:
    """``rounds`` old/new pairs of ``probe``, alternating, so drifting load falls on both."""
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(rounds):
        runs["old"].append(probe(old, code, *args))
        runs["new"].append(probe(new, code, *args))
    return runs


def heading(title: str, rounds: int) -> str:
    """The first line of a report: what ran, when, under which load."""
    load = os.getloadavg()
    return (f"{title}, {rounds} interleaved rounds, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
