"""Calibration targets from the extract: the model's indicators, computed on the last year of the spells.

Each indicator is computed as sim.indicators computes it on a run's records
(the period stands for the horizon), using the same helpers where they
apply. Its 95 % interval comes from batch means: the period cut into 13
four-week blocks (fewer for a shorter period), the indicator computed on each,
and a t-interval of their mean around the whole period's value. Blocks a month
long soak up most of the day-to-day correlation of occupancy and delays, and
the seasonal swing between blocks makes the interval wide for seasonal
quantities; but a quantity that drifts from one year to the next (a delay tied
to a long community queue) cannot show that drift within a year, and its
interval is then too narrow.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.calibrate.targets import Target
from sim.indicators import INDICATORS, spell_indicators
from sim.inputs.estimates import significant
from sim.inputs.extract import Extract
from sim.scenario.schema import PATHWAYS

BLOCK_DAYS = 28
MIN_BLOCKS = 4


# the indicators a spell extract can give (the rest need beds, a census or community records); delays
# need medically optimised times, bed waits arrival times, and readmissions a flag (inferred from patient ids,
# they miss the returns of patients first seen before the extract began)
FROM_SPELLS = (
    "admissions_per_year", "mean_los_days", "median_los_days", "p90_los_days",
    "stranded_7d_share", "superstranded_21d_share", "in_hospital_mortality_rate", "bed_days_per_year",
    "superstranded_21d_bed_share", *(f"mean_los_days_{p}" for p in PATHWAYS), *(f"pathway_share_{p}" for p in PATHWAYS),
    "readmission_30d_rate",
)
NEED_OPTIMISED = ("mean_delay_days", *(f"mean_delay_days_{p}" for p in PATHWAYS), "delayed_bed_days_per_year", "delayed_patients_mean")
NEED_ARRIVAL = ("mean_bed_wait_hours", "mean_los_from_request_days", "bed_queue_mean")
NEED_READMISSION = ("readmissions_per_year",)


def indicators_between(extract: Extract, start: float, end: float, follow_up_end: float) -> dict[str, float]:
    """The indicators the extract can give, computed as on a run's records, with [start, end) as the horizon."""
    s = extract.spells
    table = {
        "arrival": s["request"].to_numpy() - start,
        "admitted": s["admitted"].to_numpy() - start,
        "optimised": s["optimised"].to_numpy() - start,
        "left_bed": s["left"].to_numpy() - start,
        "next_arrival": s["next_request"].to_numpy() - start,
        "died": s["died"].to_numpy(dtype=bool),
        "pathway": s["pathway"].to_numpy(),
        "readmission": s["readmission"].to_numpy(dtype=bool),
        "diverted": np.zeros(len(s), dtype=bool),
    }
    values = spell_indicators(table, end - start, follow_up_end - start)
    wanted = (
        FROM_SPELLS + (NEED_OPTIMISED if "medically_optimised" in extract.has else ())
        + (NEED_ARRIVAL if "arrival" in extract.has else ()) + (NEED_READMISSION if "readmission" in extract.has else ())
    )
    return {name: float(values[name]) for name in wanted}


def fit_targets(extract: Extract, source: str) -> tuple[list[Target], dict[str, list[float]]]:
    """Targets with 95 % intervals from batch means; also each indicator's block values (for inputs.csv)."""
    start, end = extract.period
    whole = indicators_between(extract, start, end, end)
    blocks = max(MIN_BLOCKS, round((end - start) / BLOCK_DAYS))
    edges = np.linspace(start, end, blocks + 1)
    by_block = [indicators_between(extract, a, b, extract.end) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    targets, values = [], {}
    period = f"{extract.period_label()}, the last year of the extract"
    for name in [n for n in INDICATORS if n in whole]:
        value = whole[name]
        sample = np.array([block[name] for block in by_block])
        sample = sample[np.isfinite(sample)]
        if not math.isfinite(value) or len(sample) < 3:
            continue
        half = float(stats.t.ppf(0.975, len(sample) - 1) * sample.std(ddof=1) / math.sqrt(len(sample)))
        if not half > 0:
            continue
        value, low, high = (significant(v, 6) for v in (value, value - half, value + half))
        targets.append(Target(
            indicator=name, value=value, interval=[low, high], period=period,
            source=f"{source}; 95 % interval from {len(sample)} batch means of {(end - start) / blocks:.0f} days",
        ))
        values[name] = list(sample)
    return targets, values
