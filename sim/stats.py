"""Across replications: means with Student-t 95 % intervals, and ratios of paired means with Fieller's."""

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
