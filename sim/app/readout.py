"""Reading a finished run's folder for the results page: its tables, and each scenario as it was run (YAML)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from sim.batch.plan import BASELINE

TABLES = ("summary.csv", "replications.csv", "daily.csv", "los_histogram.csv", "comparison.csv")


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The result tables a folder holds, by file name."""
    return {name: pd.read_csv(folder / name) for name in TABLES if (folder / name).is_file()}


def resolved_scenario(folder: Path, scenario: str) -> dict | None:
    """A scenario of a run, fully resolved (no `extends`), as its run.json records it (None if it does not)."""
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    if meta.get("scenario") == scenario and "resolved_scenario" in meta:
        return meta["resolved_scenario"]
    return meta.get("resolved_scenarios", {}).get(scenario)


def resolved_scenario_yaml(folder: Path, scenario: str) -> str | None:
    """That scenario as a YAML file that `python -m sim run` takes as it is."""
    data = resolved_scenario(folder, scenario)
    if data is None:
        return None
    head = (f"# Scenario {scenario!r} as run in {folder.name} (fully resolved: every value, no extends).\n"
            + ("# Its name in the comparison was 'baseline'.\n" if scenario == BASELINE else ""))
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
