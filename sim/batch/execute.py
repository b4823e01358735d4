"""Running a batch: every (scenario, replication) not yet on disk, on local processes or a dask cluster."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from sim.batch.compare import comparison_table, contributions_table
from sim.batch.economics import bed_day_value
from sim.batch.plan import BASELINE, Plan
from sim.executors import executor
from sim.precision import DEFAULT_CAP, START, choose_replications
from sim.results import daily_table, los_table, replications_table, summary_table, write_results
from sim.runner import run_missing_tasks
from sim.scenario import scenario_hash
from sim.store import TaskStore
from sim.trust import precision_warnings, replication_warnings, saturation_warnings, warmup_checks, warmup_warnings


def run_batch(
    plan: Plan, out_dir: Path, batch_file: str, workers: int = 1, scheduler: str | None = None, progress: bool = True,
    parquet: bool = False, precision: float | None = None, max_replications: int = DEFAULT_CAP, command: str = "batch",
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Run what is missing, then write the tables and run.json; return the replications table and the warnings.

    Tables: replications.csv, summary.csv, comparison.csv (and contributions.csv), daily.csv and
    los_histogram.csv of every scenario. With `precision`, every scenario gets as many replications as
    sim.precision chooses for all of them together (paired comparisons need the same ones everywhere).
    parquet: also write each table as .parquet.
    """
    store = TaskStore(out_dir, plan.name, plan.fingerprint())
    started = time.perf_counter()
    ran = 0
    with executor(workers, scheduler) as pool:

        def run_up_to(count: int) -> pd.DataFrame:
            nonlocal ran
            tasks = [(s, r) for s in plan.scenarios.values() for r in range(count)]
            ran += run_missing_tasks(tasks, store, pool, progress, plan.name)
            return replications_table((s.name, r, store.load(s.name, r).indicators) for s, r in tasks)

        found = None
        if precision is not None:
            found = choose_replications(run_up_to, precision, max_replications, min(plan.replications, START))
            plan = replace(plan, replications=found.replications)
        replications = run_up_to(plan.replications)
    results = {name: [store.load(name, r) for r in range(plan.replications)] for name in plan.scenarios}
    value = bed_day_value(plan.scenarios[BASELINE].costs)
    summary = summary_table(replications)
    tables = {
        "replications.csv": replications,
        "summary.csv": summary,
        "comparison.csv": comparison_table(replications, value),
        "daily.csv": pd.concat([daily_table(plan.scenarios[n], rs) for n, rs in results.items()], ignore_index=True),
        "los_histogram.csv": pd.concat([los_table(plan.scenarios[n], rs) for n, rs in results.items()], ignore_index=True),
    }
    if plan.components:
        tables["contributions.csv"] = contributions_table(replications, plan.components)
    checks = {name: warmup_checks(plan.scenarios[name], summary, [r.census for r in rs]) for name, rs in results.items()}
    warnings = [
        *saturation_warnings(summary),
        *(w for name, found_checks in checks.items() for w in warmup_warnings(plan.scenarios[name], found_checks)),
        *replication_warnings(summary[summary.scenario == BASELINE]),  # every scenario has the same number
        *precision_warnings(plan.name, found),
    ]
    write_results(out_dir, tables, parquet, {
        "command": command,
        "batch": plan.name,
        "batch_file": batch_file,
        "fingerprint": plan.fingerprint(),
        "seed": plan.seed,
        "replications": plan.replications,
        "format": "parquet" if parquet else "csv",
        "bed_day_value": value,
        "scenarios": {name: scenario_hash(s) for name, s in plan.scenarios.items()},
        "descriptions": {name: s.description for name, s in plan.scenarios.items()},
        "tasks_run_now": ran,
        "seconds": round(time.perf_counter() - started, 3),
        "workers": workers,
        "scheduler": scheduler,
        "precision": found.record() if found else None,
        "warmup_check": {name: [c.record() for c in found_checks] for name, found_checks in checks.items()},
        "warnings": warnings,
        "components": [asdict(c) for c in plan.components],
        "resolved_scenarios": {name: s.model_dump(mode="json") for name, s in plan.scenarios.items()},
    })
    return replications, warnings
