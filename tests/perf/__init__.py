"""Benchmarks for `make bench`: each `bench_*.py` compares ours with a named peer in the same run."""
