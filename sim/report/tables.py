"""Tables for people from the result tables, shared by the report and the web app.

Data in, data out: a summary table in, a data frame of text cells out,
rounded through sim.report.numbers so a value reads the same everywhere.
"""

from __future__ import annotations

import pandas as pd

from sim.indicators import INDICATORS
from sim.report.figures import plain
from sim.report.numbers import NOT_AVAILABLE, format_estimate
from sim.trust import STEADY_STATE_READINGS

HEADLINE = [
    "admissions_per_year", "readmissions_per_year", "mean_los_days", "mean_los_from_request_days", "median_los_days",
    "mean_occupancy_pct", "days_over_92pct_share", "delayed_bed_days_per_year", "delayed_patients_mean",
    "mean_bed_wait_hours", "bed_queue_mean", "readmission_30d_rate", "at_home_91d_rate",
    "reablement_independent_share", "cost_total_per_year", "unstable_share",
]
UNSTEADY_NOTE = "not a steady state: a queue never cleared"


def headline_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One scenario's headline indicators: name in words (with unit), mean, 95 % interval, and a note.

    Each value is rounded to what its interval supports. Where a queue grew
    without bound in some replication, the readings that assume a steady
    state carry UNSTEADY_NOTE; otherwise the note is empty.
    """
    rows = summary.set_index("indicator")
    unsteady = "unstable_share" in rows.index and rows.loc["unstable_share", "mean"] > 0
    records = []
    for name in HEADLINE:
        if name not in rows.index:
            continue
        row = rows.loc[name]
        value, _, interval = format_estimate(row["mean"], row.ci_low, row.ci_high, INDICATORS[name][0]).partition(" (")
        records.append({
            "indicator": plain(name), "mean": value, "95 % interval": interval.rstrip(")") or NOT_AVAILABLE,
            "note": UNSTEADY_NOTE if unsteady and name in STEADY_STATE_READINGS else "",
        })
    return pd.DataFrame.from_records(records, columns=["indicator", "mean", "95 % interval", "note"])
