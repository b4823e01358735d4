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

A ratio of two paired means (a relative change, a cost per bed day saved) has
Fieller's interval (ratio_interval), undefined where the denominator is not
distinguishable from zero.
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


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """mean(numerator) / mean(denominator) of paired values and its Fieller interval; NaNs where it is undefined.

    Fieller's interval is the set of ratios R for which mean(numerator) - R x
    mean(denominator) is not distinguishable from zero by the same t-test as
    t_interval, the covariance of the pairs included. It is bounded exactly
    when the denominator's own t-interval excludes zero; otherwise the ratio
    could be anything (a saving indistinguishable from none gives no cost per
    unit saved), and all three are NaN rather than a huge number. Chosen over
    a bootstrap because it is exact under the t-intervals' own assumption
    (means of replications near normal), deterministic, and sound with 10-30
    replications, where a bootstrap's tails are not. Fewer than two pairs:
    the ratio with NaN ends.
    """
    x, y = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n == 0 or y.mean() == 0:
        return math.nan, math.nan, math.nan
    a, b = float(x.mean()), float(y.mean())
    if n < 2:
        return a / b, math.nan, math.nan
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    covariance = np.cov(x, y, ddof=1) / n
    s11, s12, s22 = float(covariance[0, 0]), float(covariance[0, 1]), float(covariance[1, 1])
    quadratic = b * b - t * t * s22
    if quadratic <= 0:  # the denominator is not distinguishable from zero: no bounded interval
        return math.nan, math.nan, math.nan
    linear = a * b - t * t * s12
    constant = a * a - t * t * s11
    half = math.sqrt(max(linear * linear - quadratic * constant, 0.0))
    return a / b, (linear - half) / quadratic, (linear + half) / quadratic


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
