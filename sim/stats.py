"""Across replications: means with 95 % intervals that stay inside what the quantity can be.

A share cannot be below 0 or above 1, and a count, a wait or a cost cannot be
negative, but a plain t-interval around a mean near a bound crosses it. Two
rules keep every interval inside its range:

- a quantity that each replication reports as 0 or 1 (a replication judged
  unstable or not) is a binomial proportion: its interval is Wilson's score
  interval, which never leaves [0, 1] and is not the degenerate [0, 0] a
  t-interval gives when no replication shows the event;
- any other quantity gets the Student-t interval cut at the bounds of its
  range. The true mean lies inside the range, so the cut interval contains it
  whenever the uncut one does: its coverage is the t-interval's.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and the two ends of its t-interval; NaN ends with fewer than two finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def wilson_interval(successes: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion (successes out of n)."""
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bounded_interval(
    values: np.ndarray, low: float = -math.inf, high: float = math.inf, binary: bool = False,
    confidence: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Mean and an interval inside [low, high]: Wilson's for `binary` (0/1) values, else the t-interval cut at the bounds."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if binary:
        return (float(finite.mean()) if len(finite) else math.nan,
                *wilson_interval(float(finite.sum()), len(finite), confidence))
    mean, lower, upper = t_interval(finite, confidence)
    return mean, min(max(lower, low), high), max(min(upper, high), low)
