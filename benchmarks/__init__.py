"""alara's benchmarks: user-level rows, each measured next to a baseline in the same run.

``make bench`` (``python -m benchmarks``), ``make bench-quick`` (the CI smoke run),
``make bench-peers``, ``make bench-erlang-paired``, ``make bench-ray``,
``python -m benchmarks.looplag``. Figures and method: ``docs/benchmarks.md``.
"""
