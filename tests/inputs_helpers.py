"""A small hospital with known inputs, and its spells as an extract, for the fit-inputs tests.

About 1,200 spells a year (2.8 first admissions a day and their readmissions),
pathways spread more evenly than the baseline's so that every pathway has a
few dozen stays a year, services with room to spare, a 120-day warm-up and
one year of horizon: a replication takes well under a second.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from sim.runner import run_replication
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"

SMALL = {
    "name": "small",
    "run": {"warmup_days": 120, "horizon_days": 365, "replications": 1, "seed": 17},
    "demand": {"arrivals_per_day": {"65-74": 0.8, "75-84": 1.0, "85+": 1.0}},
    "acute": {"beds": 60, "escalation": []},
    "pathways": {"probabilities": {
        "65-74": {"p0": 0.55, "p1": 0.30, "p2": 0.10, "p3": 0.05},
        "75-84": {"p0": 0.45, "p1": 0.35, "p2": 0.12, "p3": 0.08},
        "85+": {"p0": 0.35, "p1": 0.40, "p2": 0.15, "p3": 0.10},
    }},
    "services": {
        "reablement": {"places": 60},
        "home_care": {"packages": 400, "clients_at_start": 0},
        "intermediate_care": {"places": 60},
        "care_home": {"residents_at_start": 0},
    },
    "census": None,  # the baseline's long-stay census is for its own size; this hospital starts empty
}


def write_small(folder: Path, **changes: dict) -> Path:
    """`folder/small.yaml`: the baseline made small; `changes` are merged over SMALL's sections."""
    data = {"extends": str(BASELINE), **SMALL}
    for section, values in changes.items():
        data[section] = {**data.get(section, {}), **values} if isinstance(values, dict) else values
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def spells_of(scenario: Scenario, replication: int = 0) -> pd.DataFrame:
    """The model's own listing of one replication, as `run --spells` writes it."""
    result = run_replication(scenario, replication, keep_spells=True)
    return result.spells.assign(replication=replication)


def write_spells(folder: Path, scenario_path: Path, seed: int, replication: int = 0) -> Path:
    scenario = load_scenario(scenario_path, [f"run.seed={seed}"])
    path = folder / f"spells-{seed}.csv"
    spells_of(scenario, replication).to_csv(path, index=False)
    return path
