"""`python -m sim bench`: our model against a plain SimPy reference of the same ward."""

from sim.bench.bench import run_bench

__all__ = ["run_bench"]
