"""Reliability runs: the chaos soak and the statistical test batteries, with their tests."""
