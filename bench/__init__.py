"""Benchmarks; results and the commands that reproduce them are in bench/README.md."""
