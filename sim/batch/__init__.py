"""Batches: many scenarios x replications, resumable, compared with a baseline (plan, store, execute, compare)."""

from sim.batch.execute import run_batch
from sim.batch.plan import BASELINE, Plan, comparison_plan, load_batch

__all__ = ["BASELINE", "Plan", "comparison_plan", "load_batch", "run_batch"]
