"""A run: one scenario's replications into a results folder, resumably, optionally to a precision.

Each replication is saved in the folder's task store as it finishes, so a run
interrupted and started again carries on, and a run asked for more
replications (or a tighter --precision) keeps those it has.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from sim.executors import executor
from sim.precision import DEFAULT_CAP, START, Precision, choose_replications
from sim.results import replications_table
from sim.runner import ReplicationResult, run_missing_tasks
from sim.scenario import Scenario, scenario_key
from sim.store import TaskStore


def run_scenario(
    scenario: Scenario, out_dir: Path, workers: int = 1, scheduler: str | None = None, progress: bool = True,
    keep_spells: bool = False, precision: float | None = None, max_replications: int = DEFAULT_CAP,
    start: int | None = None,
) -> tuple[Scenario, list[ReplicationResult], Precision | None]:
    """Run what is missing from out_dir's task store; return the scenario as run, its replications and --precision's finding.

    Without `precision`, the scenario's own number of replications; with it,
    as many as sim.precision chooses, from `start` (default sim.precision.START)
    on (the scenario returned says how many).
    """
    store = TaskStore(out_dir, scenario.name, scenario_key(scenario))
    local = workers <= 1 and scheduler is None

    with nullcontext(None) if local else executor(workers, scheduler) as pool:

        loaded: dict[int, ReplicationResult] = {}

        def run_up_to(count: int) -> list[ReplicationResult]:
            tasks = [(scenario, r) for r in range(count)]
            run_missing_tasks(tasks, store, pool, progress, scenario.name, keep_spells)
            for r in range(count):
                if r not in loaded:
                    loaded[r] = store.load(scenario.name, r, keep_spells)
            return [loaded[r] for r in range(count)]

        found = None
        if precision is not None:
            found = choose_replications(
                lambda n: replications_table((scenario.name, r.replication, r.indicators) for r in run_up_to(n)),
                precision, max_replications, start or START,
            )
            scenario = scenario.model_copy(
                update={"run": scenario.run.model_copy(update={"replications": found.replications})}
            )
        results = run_up_to(scenario.run.replications)
    return scenario, results, found
