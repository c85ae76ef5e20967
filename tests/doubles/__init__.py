"""Test doubles: hostile and broken entropy sources (kept out of the package on purpose)."""
