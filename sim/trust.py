"""How far a run's results can be trusted: one plain warning per problem, from its summary table.

The warnings are computed from result tables (summary.csv and, for the
warm-up check, the daily census), printed on stderr by the command line,
recorded in run.json and shown in a box at the top of the report and the app.
They never change an exit status: the run is valid; what is warned about is
how its numbers may be read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.precision import Precision
from sim.scenario.schema import SERVICES, Scenario
from sim.warmup import PlaceCheck, check_warmup, warmup_sentence

FEW_REPLICATIONS = 10  # fewer than this: the intervals are rough

# Indicators whose reading assumes the system keeps up (a steady state): shown with a note when it does not.
STEADY_STATE_READINGS = (
    "mean_los_days", "median_los_days", "p90_los_days", "mean_occupancy_pct", "days_over_92pct_share",
    "delayed_bed_days_per_year", "mean_delay_days", "delayed_patients_mean", "mean_bed_wait_hours",
    "admissions_per_year", "cost_total_per_year",
)

# What to change when each queue never clears.
REMEDIES = {
    "bed": "add acute beds, reduce demand or length of stay, or shorten the horizon",
    "reablement": "add reablement places or shorten reablement",
    "home_care": "add home care packages",
    "intermediate_care": "add intermediate care beds or shorten stays",
    "care_home": "add care home places or shorten placement waits",
}


def warning(scenario: str, kind: str, message: str) -> dict[str, str]:
    return {"scenario": scenario, "kind": kind, "message": f"{scenario}: {message}"}


def saturation_warnings(summary: pd.DataFrame) -> list[dict[str, str]]:
    """One warning per scenario and queue judged unstable in any replication (sim.stability)."""
    found = []
    for scenario, rows in summary.groupby("scenario", sort=False):
        values = rows.set_index("indicator")
        count = int(values.loc["unstable_share", "replications"]) if "unstable_share" in values.index else 0
        for queue in ("bed", *SERVICES):
            share = values["mean"].get(f"{queue}_unstable_share", 0.0)
            if not share or not math.isfinite(share):
                continue
            if queue == "bed":
                place, mean, end = "acute bed", values.loc["bed_queue_mean", "mean"], values.loc["bed_queue_end", "mean"]
                wait = f"mean wait for a bed {values.loc['mean_bed_wait_hours', 'mean']:,.0f} hours"
            else:
                place, mean = queue.replace("_", " "), values.loc[f"{queue}_queue_mean", "mean"]
                end = values.loc[f"{queue}_queue_end", "mean"]
                wait = f"mean wait for a place {values.loc[f'{queue}_mean_wait_days', 'mean']:,.1f} days"
            unstable = round(share * count)
            found.append(warning(scenario, "saturation", (
                f"saturated: the {place} queue never cleared in {unstable} of {count} replications "
                f"(on average {mean:,.0f} waiting, {end:,.0f} at the end of the horizon; {wait}); "
                f"length of stay, occupancy and delays are not steady-state readings: {REMEDIES[queue]}"
            )))
    return found


def replication_warnings(summary: pd.DataFrame) -> list[dict[str, str]]:
    """A warning for each scenario run with fewer than FEW_REPLICATIONS replications."""
    found = []
    for scenario, rows in summary.groupby("scenario", sort=False):
        count = int(rows["replications"].max())
        if count < FEW_REPLICATIONS:
            found.append(warning(scenario, "replications", (
                f"only {count} replication{'s' if count != 1 else ''}: the 95 % intervals are rough; "
                f"use --replications {FEW_REPLICATIONS} or more, or --precision 0.02"
            )))
    return found


def precision_warnings(scenario: str, precision: Precision | None) -> list[dict[str, str]]:
    """A warning when --precision was asked for and not reached within its cap."""
    if precision is None or precision.reached:
        return []
    return [warning(scenario, "precision", precision.sentence())]


def warmup_warnings(scenario: Scenario, checks: list[PlaceCheck]) -> list[dict[str, str]]:
    """A warning for each place still settling after the warm-up (sim.warmup)."""
    return [warning(scenario.name, "warmup", warmup_sentence(scenario, c)) for c in checks if c.settling]


def warmup_checks(scenario: Scenario, summary: pd.DataFrame, censuses: list[np.ndarray]) -> list[PlaceCheck]:
    """The warm-up check of one scenario's run, from its summary and its replications' midnight censuses."""
    values = summary[summary.scenario == scenario.name].set_index("indicator")["mean"]
    unstable = {place: values.get(f"{place}_unstable_share", 0.0) for place in ("bed", *SERVICES)}
    return check_warmup(scenario, censuses, values.get("mean_los_from_request_days", math.nan), unstable)


def unsteady(summary: pd.DataFrame, scenario: str) -> bool:
    """Was any replication of the scenario judged unstable?"""
    rows = summary[(summary.scenario == scenario) & (summary.indicator == "unstable_share")]
    return bool(len(rows) and rows["mean"].iloc[0] > 0)
