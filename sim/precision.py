"""Enough replications, chosen for the user: add replications until the key indicators are precise enough.

The replication algorithm of Hoad, Robinson and Davies (2010, "Automated
selection of the number of replications for a discrete-event simulation",
JORS 61:1632-1644), run in rounds so that worker processes stay busy: after
each round, the relative half-width of each key indicator's 95 % interval
(half-width / |mean|) is compared with the target. While any is wider, the
next round runs the replications the widest one is expected to need (the
half-width falls as 1/sqrt(n)), at least one and at most as many again as
are done. Once every key indicator is within the target, a look-ahead of
LOOK_AHEAD more replications checks that it stays within it at every count
(Hoad et al.'s guard against a lucky early estimate); if it does not, the
search goes on. It stops at the cap whatever happens, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from sim.stats import t_interval

# The indicators a planner reads first; each has a mean well away from 0 in any run with patients in it.
KEY_INDICATORS = (
    "admissions_per_year", "mean_los_days", "mean_occupancy_pct", "delayed_bed_days_per_year",
    "readmission_30d_rate", "at_home_91d_rate", "cost_total_per_year",
)
START = 10  # replications of the first round (fewer give rough intervals anyway)
LOOK_AHEAD = 5  # Hoad et al.'s kLimit for n up to 100
DEFAULT_CAP = 200


@dataclass(frozen=True)
class Precision:
    """What --precision asked for and what it found (recorded in run.json and shown in the report)."""

    target: float  # relative half-width asked for, e.g. 0.02
    cap: int  # at most this many replications
    replications: int  # run in the end
    needed: int | None  # the smallest count from which every key indicator stayed within the target
    reached: bool
    half_widths: dict[str, float]  # relative half-width of each key indicator at the end (by scenario in batches)

    def record(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        widest = max(self.half_widths, key=lambda k: self.half_widths[k]) if self.half_widths else ""
        if self.reached:
            return (f"--precision {self.target:g} reached with {self.needed} replications (run: {self.replications}); "
                    f"widest: {widest}, {100 * self.half_widths[widest]:.2f} % of its mean")
        return (f"--precision {self.target:g} not reached within {self.cap} replications: {widest} is within "
                f"{100 * self.half_widths.get(widest, math.nan):.2f} % of its mean; raise --max-replications or accept it")


def relative_half_widths(replications: pd.DataFrame, count: int) -> dict[str, float]:
    """Relative half-width of each key indicator of each scenario over replications 0..count-1 (key: scenario/indicator)."""
    rows = replications[(replications.replication < count) & replications.indicator.isin(KEY_INDICATORS)]
    widths = {}
    for (scenario, indicator), group in rows.groupby(["scenario", "indicator"], sort=False):
        mean, low, high = t_interval(group["value"].to_numpy())
        if not (math.isfinite(mean) and math.isfinite(high)) or mean == 0:
            continue  # undefined in this run (e.g. no 91-day follow-up in a short horizon): it cannot decide
        widths[f"{scenario}/{indicator}" if rows.scenario.nunique() > 1 else indicator] = (high - low) / 2 / abs(mean)
    return widths


def within(widths: dict[str, float], target: float) -> bool:
    return bool(widths) and max(widths.values()) <= target


def choose_replications(
    run_up_to: Callable[[int], pd.DataFrame], target: float, cap: int = DEFAULT_CAP, start: int = START
) -> Precision:
    """Run rounds of replications (run_up_to(n) runs replications 0..n-1 and returns their replications table)."""
    n = min(max(start, 2), cap)
    while True:
        table = run_up_to(n)
        widths = relative_half_widths(table, n)
        if within(widths, target):
            end = min(n + LOOK_AHEAD, cap)
            table = run_up_to(end)
            steady = all(within(relative_half_widths(table, k), target) for k in range(n, end + 1))
            if steady:
                return Precision(target, cap, end, n, True, relative_half_widths(table, end))
            n = end
            widths = relative_half_widths(table, n)
        if n >= cap:
            return Precision(target, cap, n, None, False, widths)
        widest = max(widths.values()) if widths else math.inf
        expected = math.ceil(n * (widest / target) ** 2) if math.isfinite(widest) else 2 * n
        n = int(np.clip(expected, n + 1, min(2 * n, cap)))
