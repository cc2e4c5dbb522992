"""Benchmarks: each `bench/bench_*.py` has `run() -> dict` and writes to bench/results/."""
