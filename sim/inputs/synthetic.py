"""A synthetic spell extract: one replication's spells, written as a hospital's extract would hold them.

Only what an admitted patient care extract with a discharge-ready date (and
the arrival time from the emergency department's records) holds: a
pseudonym, the age band, arrival, admission, medically optimised and
discharge as dates and times to the minute, the discharge pathway and whether
the patient died. Nothing of the model's own (readmission flags, services).
The model's day 0 (a Monday, 1 January) is written as Monday 1 January 2024.
It is never real patient data: it is what the model makes of a scenario.
"""

from __future__ import annotations

import pandas as pd

from sim.runner import run_replication
from sim.scenario.schema import Scenario

DAY_ZERO = pd.Timestamp("2024-01-01")  # a Monday and a 1 January, like the model's day 0
EXTRACT_COLUMNS = ["patient", "age_band", "arrival", "admitted", "medically_optimised", "left_bed", "pathway", "died"]


def synthetic_extract(scenario: Scenario, replication: int, years: float) -> pd.DataFrame:
    """Spells admitted in the last `years` of the run (warm-up included), as an extract."""
    spells = run_replication(scenario, replication, keep_spells=True).spells
    first_day = scenario.run.horizon_days - 365.0 * years
    spells = spells[spells.admitted.notna() & (spells.admitted >= first_day)]

    def stamp(days: pd.Series) -> pd.Series:
        return (DAY_ZERO + pd.to_timedelta(days, unit="D")).dt.round("min").dt.strftime("%Y-%m-%d %H:%M").fillna("")

    return pd.DataFrame({
        "patient": spells.patient.map(lambda p: f"P{p:07d}"),
        "age_band": spells.age_band,
        "arrival": stamp(spells.arrival),
        "admitted": stamp(spells.admitted),
        "medically_optimised": stamp(spells.medically_optimised),
        "left_bed": stamp(spells.left_bed),
        "pathway": spells.pathway.fillna(""),
        "died": (spells.outcome == "died_in_hospital").map({True: "yes", False: "no"}),
    })[EXTRACT_COLUMNS]
