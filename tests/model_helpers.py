"""Small helpers the model tests share: the shipped baseline, overrides for every age band, one replication."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from sim.model import draw_arrivals, simulate
from sim.scenario import load_scenario
from sim.streams import Streams

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
BANDS = load_scenario(BASELINE).age_bands


def write_short_baseline(folder: Path, horizon_days: float, warmup_days: float = 60, **changes: object) -> Path:
    """`folder/short.yaml`: the baseline with a short run, for batch, sensitivity and report tests (and `changes`)."""
    path = folder / "short.yaml"
    run = {"horizon_days": horizon_days, "warmup_days": warmup_days}
    path.write_text(yaml.safe_dump({"extends": str(BASELINE), "run": run, **changes}), encoding="utf-8")
    return path


def every_band(value: object) -> str:
    """A --set value giving every age band of the baseline the same entry (JSON is YAML)."""
    return json.dumps({band: value for band in BANDS})


def scenario(*overrides: str):
    """The baseline with some values changed."""
    return load_scenario(BASELINE, list(overrides))


def simulate_replication(scenario, replication: int = 0):
    """The arrivals and the records of one replication."""
    streams = Streams(scenario.run.seed, replication)
    arrivals = draw_arrivals(scenario, streams)
    return arrivals, simulate(scenario, arrivals, streams)


# Demand and pathway split set by the tests themselves (about 18.6 admissions a day, a third of them on
# pathway 1), so that a retuned baseline does not quietly change the volumes a test relies on.
FIXED_VOLUME = [
    "demand.arrivals_per_day=" + every_band(18.6 / len(BANDS)),
    "demand.admission_avoidance_share=0.0",
    "pathways.probabilities=" + every_band({"p0": 0.55, "p1": 0.35, "p2": 0.07, "p3": 0.03}),
]

# Places enough for everyone everywhere: no queue anywhere, so only the rules under test act.
AMPLE_CAPACITY = [
    "acute.beds=100000",
    "services.reablement.places=100000",
    "services.home_care.packages=100000",
    "services.home_care.clients_at_start=0",
    "services.intermediate_care.places=100000",
    "services.care_home.places=null",
    "services.care_home.residents_at_start=0",
]
