"""Benchmarks: scripts that print figures (`python -m bench.NAME --help`), run from the repository root."""
