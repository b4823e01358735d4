"""A one-line, human summary of a scenario, for `check`."""

from __future__ import annotations

import numpy as np

from sim.calendar import YEAR_DAYS, demand_multiplier
from sim.scenario.schema import Scenario


def expected_admissions_per_year(scenario: Scenario) -> float:
    """Admission requests expected in the first year of the horizon (exact integral of the rate, by day)."""
    days = np.arange(YEAR_DAYS) + 0.5
    rate = sum(scenario.demand.arrivals_per_day.values())
    return float(rate * demand_multiplier(scenario.demand, days).sum())


def describe(scenario: Scenario) -> str:
    run = scenario.run
    return (
        f"scenario {scenario.name!r}, {len(scenario.age_bands)} age bands, "
        f"~{expected_admissions_per_year(scenario):,.0f} admission requests in year 1, "
        f"{scenario.acute.beds} acute beds ({scenario.acute.when_full} when full), "
        f"horizon {run.horizon_days:g} days after {run.warmup_days:g} warm-up, "
        f"{run.replications} replications, seed {run.seed}"
        + (f", starting from a census of {len(scenario.census):,} people" if scenario.census is not None else "")
    )
