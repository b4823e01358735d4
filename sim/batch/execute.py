"""Running a batch: every (scenario, replication) not yet on disk, on local processes or a dask cluster."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.batch.compare import comparison_table, contributions_table
from sim.batch.economics import bed_day_value
from sim.batch.plan import BASELINE, Plan
from sim.executors import executor
from sim.files import write_atomically, write_tables
from sim.results import replications_table, summary_table
from sim.runner import run_missing_tasks
from sim.scenario import scenario_hash
from sim.store import TaskStore


def run_batch(
    plan: Plan, out_dir: Path, batch_file: str, workers: int = 1, scheduler: str | None = None, progress: bool = True,
    parquet: bool = False,
) -> pd.DataFrame:
    """Run what is missing, then write replications.csv, summary.csv, comparison.csv (and contributions.csv).

    parquet: also write each table as .parquet.
    """
    store = TaskStore(out_dir, plan.name, plan.fingerprint())
    started = time.perf_counter()
    tasks = plan.tasks()
    with executor(workers, scheduler) as pool:
        ran = run_missing_tasks(tasks, store, pool, progress, plan.name)
    replications = replications_table((s.name, r, store.load(s.name, r).indicators) for s, r in tasks)
    value = bed_day_value(plan.scenarios[BASELINE].costs)
    tables = {
        "replications.csv": replications,
        "summary.csv": summary_table(replications),
        "comparison.csv": comparison_table(replications, value),
    }
    if plan.components:
        tables["contributions.csv"] = contributions_table(replications, plan.components)
    write_tables(out_dir, tables, parquet)
    metadata = {
        "batch": plan.name,
        "batch_file": batch_file,
        "fingerprint": plan.fingerprint(),
        "seed": plan.seed,
        "replications": plan.replications,
        "bed_day_value": value,
        "scenarios": {name: scenario_hash(s) for name, s in plan.scenarios.items()},
        "descriptions": {name: s.description for name, s in plan.scenarios.items()},
        "package": "sim",
        "package_version": __version__,
        "tasks_run_now": ran,
        "seconds": round(time.perf_counter() - started, 3),
        "workers": workers,
        "scheduler": scheduler,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    text = json.dumps(metadata, indent=2) + "\n"
    write_atomically(out_dir / "run.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return replications
