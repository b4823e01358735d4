"""What a fit hands on: estimates with their intervals, and the scenario values they set.

An Estimate is one row of inputs.csv: a number, its 95 % interval, how many
observations it rests on, over which days, by which method, and how well the
law fits. A Setting is one value written into the fitted scenario, with the
comment that says where it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportion_confint

DRAWS = 4000  # parameter draws for intervals of functions of several estimates
DRAW_SEED = 20250101  # fixed: the same extract gives the same intervals


@dataclass(frozen=True)
class Estimate:
    parameter: str  # the scenario key path it sets, or a name of its own when it only informs
    value: float
    low: float
    high: float
    unit: str
    n: int  # observations behind it
    n_of: str  # what they are: "first admissions", "live discharges", ...
    period: str
    method: str
    goodness_of_fit: str = ""
    written: bool = True  # written into scenario.yaml (False: reported only)

    def interval(self) -> str:
        return f"95 % CI {self.low:.4g}-{self.high:.4g}"


@dataclass(frozen=True)
class Setting:
    key: str  # dotted key path in the scenario
    value: Any  # a number, a list or a mapping
    comment: str  # n, period, method and interval, for the line it is written on
    item_comments: list[str] = field(default_factory=list)  # one per list item, when value is a list


@dataclass
class Fitted:
    """What one part of the fit found: rows for inputs.csv, values for scenario.yaml, data for the figure."""

    estimates: list[Estimate] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was left as in the template, and why
    figure: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Fitted) -> None:
        self.estimates += other.estimates
        self.settings += other.settings
        self.notes += other.notes
        self.figure.update(other.figure)


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """95 % Wilson interval of a proportion (sensible at 0 and 1, unlike the normal one)."""
    if trials == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(successes, trials, alpha=0.05, method="wilson")
    return float(low), float(high)


def draws_of(mean: np.ndarray, covariance: np.ndarray, seed_offset: int = 0) -> np.ndarray:
    """Parameter draws from the estimates' asymptotic normal law (for intervals of their functions)."""
    rng = np.random.default_rng(DRAW_SEED + seed_offset)
    return rng.multivariate_normal(mean, covariance, size=DRAWS, method="eigh")


def percentiles(values: np.ndarray) -> tuple[float, float]:
    """The 95 % interval of a function of the estimates, from its values at the parameter draws."""
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def count(n: int, what: str) -> str:
    return f"n = {n:,} {what}"


def significant(value: float, figures: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))
