"""Benchmarks (never run as timed tests): `make bench` writes BENCHMARKS.md."""
