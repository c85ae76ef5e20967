"""alara's benchmarks: user-level rows, each next to a baseline measured in the same run.
The commands, the method and the current figures: ``docs/benchmarks.md``."""
