"""alara's benchmarks: user-level rows next to same-run baselines (docs/benchmarks.md)."""
