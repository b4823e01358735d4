"""The model's calendar: weekdays, months, demand multipliers, bed schedules, discharge windows.

Time is in days. Day 0 is 1 January of the scenario's start year and, by the
model's convention, a Monday; the warm-up runs over the days before it
(negative times). Years have 365 days (no leap days), so month boundaries are
the same every year.
"""

from __future__ import annotations

import math

import numpy as np

from sim.scenario.schema import WEEKDAYS, Acute, Demand, Discharge

DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MONTH_STARTS = np.concatenate([[0], np.cumsum(DAYS_IN_MONTH)])  # day of year 0..365
YEAR_DAYS = 365


def weekday(t: np.ndarray | float) -> np.ndarray | int:
    """0 = Monday ... 6 = Sunday."""
    return np.floor(t).astype(int) % 7 if isinstance(t, np.ndarray) else math.floor(t) % 7


def month(t: np.ndarray | float) -> np.ndarray | int:
    """Calendar month 1..12."""
    day_of_year = np.floor(np.asarray(t)).astype(int) % YEAR_DAYS
    found = np.searchsorted(MONTH_STARTS, day_of_year, side="right")
    return found if isinstance(t, np.ndarray) else int(found)


def calendar_factor(demand: Demand, t: np.ndarray) -> np.ndarray:
    """Day-of-week x month factor at times t (constant within a day)."""
    return np.asarray(demand.day_of_week_factors)[weekday(t)] * np.asarray(demand.month_factors)[month(t) - 1]


def demand_multiplier(demand: Demand, t: np.ndarray) -> np.ndarray:
    """Day-of-week x month x growth x (1 - avoidance) at times t."""
    growth = (1 + demand.growth_per_year) ** (t / YEAR_DAYS)
    return calendar_factor(demand, t) * growth * (1 - demand.admission_avoidance_share)


def growth_integral(demand: Demand, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Integral of the growth factor (1 + g)^(t / 365) from t0 to t1 (days): the expected count of a unit rate."""
    g = demand.growth_per_year
    if g == 0:
        return t1 - t0
    scale = YEAR_DAYS / math.log1p(g)
    return scale * ((1 + g) ** (t1 / YEAR_DAYS) - (1 + g) ** (t0 / YEAR_DAYS))


def month_boundaries(start: float, end: float) -> list[float]:
    """Times in (start, end) at which a calendar month begins."""
    first_year = math.floor(start / YEAR_DAYS)
    last_year = math.floor(end / YEAR_DAYS)
    times = [
        year * YEAR_DAYS + float(offset)
        for year in range(first_year, last_year + 1)
        for offset in MONTH_STARTS[:-1]
    ]
    return [t for t in times if start < t < end]


def beds_at(acute: Acute, t: float) -> int:
    """Acute beds available at time t (escalation changes at month boundaries)."""
    return acute.beds_in_month(month(t))


class DischargeWindow:
    """When discharges can happen: some weekdays, between two hours."""

    def __init__(self, discharge: Discharge) -> None:
        self.open_days = {WEEKDAYS.index(d) for d in discharge.days}
        self.start = discharge.start_hour / 24
        self.end = discharge.end_hour / 24
        self.always_open = len(self.open_days) == 7 and self.start == 0 and self.end == 1

    def next_open(self, t: float) -> float:
        """The earliest time >= t at which a patient may leave."""
        if self.always_open:
            return t
        day = math.floor(t)
        for offset in range(8):
            if (day + offset) % 7 in self.open_days:
                opens = day + offset + self.start
                closes = day + offset + self.end
                if t < closes:
                    return max(t, opens)
        raise AssertionError("a discharge window opens at least once a week")
