"""Calibration targets from the extract: the model's indicators, computed on the last year of the spells.

Each indicator is computed as sim.indicators computes it on a run's records
(the period stands for the horizon), using the same helpers where they
apply. Its 95 % interval comes from batch means: the period cut into 13
four-week blocks (fewer for a shorter period), the indicator computed on each,
and a t-interval of their mean around the whole period's value. Blocks a month
long soak up most of the day-to-day correlation of occupancy and delays, and
the seasonal swing between blocks makes the interval, if anything, wide.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.calibrate.targets import Target
from sim.indicators import readmitted_within_window, time_in_horizon
from sim.inputs.estimates import significant
from sim.inputs.extract import Extract
from sim.model.arrivals import READMISSION_WINDOW_DAYS
from sim.scenario.schema import PATHWAYS

BLOCK_DAYS = 28
MIN_BLOCKS = 4


def indicators_between(extract: Extract, start: float, end: float, follow_up_end: float) -> dict[str, float]:
    """The indicators the extract can give, for spells and bed time in [start, end) (extract days)."""
    s = extract.spells
    admitted_at = s["admitted"].to_numpy() - start
    left = s["left"].to_numpy() - start
    optimised = s["optimised"].to_numpy() - start
    died, pathway = s["died"].to_numpy(), s["pathway"].to_numpy()
    horizon = end - start
    per_year = 365.0 / horizon
    admitted = (admitted_at >= 0) & (admitted_at < horizon)
    ended = (left >= 0) & (left < horizon)
    live = ended & ~died
    los = left - admitted_at
    out = {
        "admissions_per_year": admitted.sum() * per_year,
        "readmissions_per_year": (admitted & s["readmission"].to_numpy()).sum() * per_year,
        "mean_los_days": mean(los[ended]),
        "median_los_days": float(np.median(los[ended])) if ended.any() else math.nan,
        "p90_los_days": float(np.percentile(los[ended], 90)) if ended.any() else math.nan,
        "stranded_7d_share": mean(los[ended] >= 7),
        "superstranded_21d_share": mean(los[ended] >= 21),
        "in_hospital_mortality_rate": mean(died[ended]),
    }
    occupied = time_in_horizon(admitted_at, left, horizon)
    out["mean_beds_occupied"] = occupied / horizon
    out["superstranded_21d_bed_share"] = time_in_horizon(admitted_at + 21, left, horizon) / occupied if occupied else math.nan
    for k, p in enumerate(PATHWAYS):
        on = live & (pathway == k)
        out[f"mean_los_days_{p}"] = mean(los[on])
        out[f"pathway_share_{p}"] = on.sum() / live.sum() if live.any() else math.nan
    if "medically_optimised" in extract.has:
        delay = left - optimised
        out["mean_delay_days"] = mean(delay[live])
        for k, p in enumerate(PATHWAYS):
            out[f"mean_delay_days_{p}"] = mean(delay[live & (pathway == k)])
        delayed = time_in_horizon(optimised, left, horizon)
        out["delayed_bed_days_per_year"] = delayed * per_year
        out["delayed_patients_mean"] = delayed / horizon
    if "arrival" in extract.has:
        out["mean_bed_wait_hours"] = mean((admitted_at - (s["request"].to_numpy() - start))[admitted]) * 24
    followed = live & (left < follow_up_end - start - READMISSION_WINDOW_DAYS)
    window = {"next_arrival": s["next_request"].to_numpy(), "left_bed": s["left"].to_numpy()}
    out["readmission_30d_rate"] = mean(readmitted_within_window(window)[followed])
    return {name: float(value) for name, value in out.items()}


def mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def fit_targets(extract: Extract, source: str) -> tuple[list[Target], dict[str, list[float]]]:
    """Targets with 95 % intervals from batch means; also each indicator's block values (for inputs.csv)."""
    start, end = extract.period
    whole = indicators_between(extract, start, end, end)
    blocks = max(MIN_BLOCKS, round((end - start) / BLOCK_DAYS))
    edges = np.linspace(start, end, blocks + 1)
    by_block = [indicators_between(extract, a, b, extract.end) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    targets, values = [], {}
    period = f"{extract.period_label()}, the last year of the extract"
    for name, value in whole.items():
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
