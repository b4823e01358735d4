"""Was the warm-up long enough? A check of each place's census over the horizon for start-up bias.

A run starts empty (or with some outside clients) and the warm-up is thrown
away so that the horizon sees the system as it settles. If the warm-up is too
short, what fills slowly is still filling during the horizon: the care homes
above all, whose residents stay for years (with the baseline's two years they
reach only about 80 % of their long-run number).

The check, for the acute beds and each community service: take the number of
people there or waiting for a place at each midnight, divided by what the
scenario's own calendar of demand leads one to expect (the demand multiplier
averaged over the preceding days with weights exp(-age / mean stay): the
expected census of a place without a limit, fed by that demand, relative to
its mean). What is left has no trend in a system at its steady state, whatever
the season or the demand growth. Per replication, the relative change of that
ratio over the horizon is its least-squares slope times the horizon over its
mean; across replications (independent, so the t-interval is valid whatever
the autocorrelation within a run) its 95 % interval is computed. A place is
still settling when the interval excludes 0 and the change is material (over
MATERIAL, 2 %). The warm-up it needs is about five mean stays (the start-up
deficit falls as exp(-time / mean stay), under 1 % after five); a place whose
warm-up is already that long cannot be carrying start-up bias, so it is not
tested (a trend there comes from something else, such as the seasons acting
through discharge rules, which the demand calendar does not describe).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from sim.calendar import demand_multiplier
from sim.distributions import mean_of
from sim.model.records import CENSUS_COLUMNS
from sim.scenario.schema import SERVICES, Scenario
from sim.stats import t_interval

MATERIAL = 0.02  # relative change over the horizon worth a warning
STAYS_NEEDED = 5  # warm-up to suggest, in mean stays of the place
PLACES = {"bed": ("beds_occupied", "bed_queue"), **{s: (f"{s}_in_use", f"{s}_queue") for s in SERVICES}}
NAMES = {"bed": "acute beds", "reablement": "reablement", "home_care": "home care", "intermediate_care":
         "intermediate care", "care_home": "care homes"}


@dataclass(frozen=True)
class PlaceCheck:
    """The check of one place: its relative change over the horizon, beyond what demand explains."""

    place: str
    mean_stay_days: float
    change: float  # mean over replications of the relative change over the horizon
    change_low: float
    change_high: float
    tested: bool  # False when the warm-up is already STAYS_NEEDED mean stays or more
    settling: bool  # tested, and the change is material and its interval excludes 0
    suggested_warmup_days: float

    def record(self) -> dict:
        return asdict(self)


def mean_stays(scenario: Scenario, mean_los_from_request: float) -> dict[str, float]:
    """How long a person stays in each place, on average (days; inf where nothing ends a stay)."""
    services = scenario.services

    def by_rates(rates: dict[str, float]) -> float:
        total = sum(rates.values())
        return 365.0 / total if total > 0 else math.inf

    return {
        "bed": mean_los_from_request,
        "reablement": mean_of(services.reablement.duration),
        "home_care": by_rates(services.home_care.end_rates_per_year.model_dump()),
        "intermediate_care": mean_of(services.intermediate_care.duration),
        "care_home": by_rates(services.care_home.end_rates_per_year.model_dump()),
    }


def expected_shape(scenario: Scenario, days: np.ndarray, mean_stay: float) -> np.ndarray:
    """Demand multiplier averaged over the days before each day, weighted exp(-age / mean_stay) (M/G/infinity-like)."""
    reach = int(math.ceil(8 * mean_stay))
    past = np.arange(days[0] - reach, days[-1] + 1, dtype=float)
    weights = np.exp(-np.arange(reach + 1) / mean_stay)
    smoothed = np.convolve(demand_multiplier(scenario.demand, past + 0.5), weights, mode="valid") / weights.sum()
    return smoothed[(days - days[0]).astype(int)]


def relative_change(series: np.ndarray) -> float:
    """Least-squares slope of the series times its length, over its mean."""
    mean = float(np.mean(series))
    if len(series) < 3 or mean <= 0:
        return math.nan
    slope = np.polyfit(np.arange(len(series), dtype=float), series, 1)[0]
    return float(slope * len(series) / mean)


def check_warmup(
    scenario: Scenario, censuses: list[np.ndarray], mean_los_from_request: float, unstable: dict[str, float]
) -> list[PlaceCheck]:
    """Each place's check from the replications' midnight censuses (places judged unstable, or empty, are left out)."""
    if not censuses or len(censuses[0]) < 3:
        return []
    days = censuses[0][:, CENSUS_COLUMNS.index("day")]
    checks = []
    for place, stay in mean_stays(scenario, mean_los_from_request).items():
        if not math.isfinite(stay) or stay <= 0 or unstable.get(place, 0.0) > 0.5:
            continue
        columns = [CENSUS_COLUMNS.index(c) for c in PLACES[place]]
        present = [census[:, columns].sum(axis=1) for census in censuses]
        if np.mean([p.mean() for p in present]) < 1:
            continue  # nobody there: nothing to settle
        shape = expected_shape(scenario, days, stay)
        changes = np.array([relative_change(p / shape) for p in present])
        mean, low, high = t_interval(changes)
        if not math.isfinite(mean):
            continue
        suggested = math.ceil(STAYS_NEEDED * stay / 10) * 10
        tested = scenario.run.warmup_days < suggested
        material = abs(mean) > MATERIAL and (not math.isfinite(low) or low > 0 or high < 0)
        checks.append(PlaceCheck(place, stay, mean, low, high, tested, tested and material, float(suggested)))
    return checks


def warmup_sentence(scenario: Scenario, check: PlaceCheck) -> str:
    """What a settling place means for the user, in one sentence."""
    direction = "rose" if check.change > 0 else "fell"
    return (
        f"warm-up too short: people in {NAMES[check.place]} {direction} {100 * abs(check.change):.1f} % over the horizon "
        f"beyond what demand explains (95 % interval {100 * check.change_low:+.1f} % to {100 * check.change_high:+.1f} %): "
        f"they stay {check.mean_stay_days:,.0f} days on average and the warm-up of {scenario.run.warmup_days:,.0f} days has "
        f"not let them settle; use a warm-up of about {check.suggested_warmup_days:,.0f} days "
        f"(--set run.warmup_days={check.suggested_warmup_days:.0f}) or start from a census (census: FILE)"
    )
