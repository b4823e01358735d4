"""The per-spell listing for modellers: one row per hospital spell, from the records.

Optional (`run --spells`), because it grows with the horizon; the indicators
never need it. Times are calendar days (day 0 = 1 January of the start year;
the warm-up is negative); NaN or empty where a thing did not happen or cannot
be known inside the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.indicators import (
    SPELL_FIELDS,
    at_home_after,
    at_home_cohort,
    readmission_followed_up,
    readmitted_within_window,
    spell_table,
    stay_table,
)
from sim.model.records import Records
from sim.scenario.schema import PATHWAYS, Scenario


def spell_listing(records: Records, scenario: Scenario) -> pd.DataFrame:
    """One row per spell: who, when, how long, which pathway, how it ended, and what followed."""
    s = spell_table(records, tuple(SPELL_FIELDS))
    horizon = records.horizon_days
    live = ~np.isnan(s["left_bed"]) & ~s["died"]
    outcome = np.select(
        [s["diverted"], s["died"], live, ~np.isnan(s["admitted"])],
        ["diverted", "died_in_hospital", "discharged", "in_hospital"],
        default="waiting_for_bed",
    )
    readmitted_30 = np.where(readmission_followed_up(s, live, horizon), readmitted_within_window(s), None)
    cohort = at_home_cohort(s, live, horizon)
    at_home = np.full(len(outcome), None, dtype=object)
    at_home[cohort] = at_home_after(records, s, stay_table(records), cohort)
    spell_number = pd.Series(s["patient"]).groupby(s["patient"]).cumcount().to_numpy() + 1
    return pd.DataFrame(
        {
            "patient": s["patient"],
            "spell": spell_number,
            "age_band": np.asarray(scenario.age_bands, dtype=object)[s["band"]],
            "readmission": s["readmission"],
            "arrival": s["arrival"],
            "bed_wait_hours": (s["admitted"] - s["arrival"]) * 24,
            "admitted": s["admitted"],
            "medically_optimised": s["optimised"],
            "pathway": np.where(live, np.asarray(PATHWAYS, dtype=object)[s["pathway"]], ""),
            "service": s["service"],
            "left_bed": s["left_bed"],
            "los_days": s["left_bed"] - s["admitted"],
            "delay_days": s["left_bed"] - s["optimised"],
            "outcome": outcome,
            "readmitted_within_30d": readmitted_30,
            "at_home_91d": at_home,
        }
    )
