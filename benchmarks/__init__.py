"""The alara benchmark suite (issue 3): every scenario against a direct baseline in the same run.

Run it from the repository root with ``make bench`` (full, a few minutes) or ``make bench-quick``
(CI smoke test, under a minute), or ``python -m benchmarks --help``. The cost being measured is
the actor machinery, not the CSPRNG, so every figure is reported next to what the same number of
``os.urandom`` calls and the same ``alara.mix`` cost with no actors at all, and as a ratio to it.
Timing never fails a run: only a crash does.
"""
