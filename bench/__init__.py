"""Benchmarks: run from the repository root, e.g. `make bench-search`."""
