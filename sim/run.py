"""A run: one scenario's replications into a results folder, resumably.

Each replication is saved in the folder's task store as it finishes, so a run
interrupted and started again carries on, and a run asked for more
replications keeps those it has.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from sim.executors import executor
from sim.runner import ReplicationResult, run_missing_tasks
from sim.scenario import Scenario, scenario_key
from sim.store import TaskStore


def run_scenario(
    scenario: Scenario, out_dir: Path, workers: int = 1, scheduler: str | None = None,
    progress: bool = True, keep_spells: bool = False,
) -> list[ReplicationResult]:
    """The scenario's replications, run where missing from out_dir's task store, in replication order."""
    store = TaskStore(out_dir, scenario.name, scenario_key(scenario))
    tasks = [(scenario, r) for r in range(scenario.run.replications)]
    local = workers <= 1 and scheduler is None
    with nullcontext(None) if local else executor(workers, scheduler) as pool:
        run_missing_tasks(tasks, store, pool, progress, scenario.name, keep_spells)
    return [store.load(scenario.name, r, keep_spells) for r in range(scenario.run.replications)]
