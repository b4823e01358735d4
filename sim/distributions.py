"""Durations from uniform random numbers (inverse transform).

Turning one uniform number per person into a duration, rather than calling a
distribution's own sampler, keeps common random numbers sharp: the person at
the 80th centile of clinical stay stays there when a scenario changes the
mean, the sd or even the family of the distribution.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import optimize, special

from sim.scenario.schema import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Weibull,
)


def from_uniform(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """Durations (days) at the quantiles `u` (0 < u < 1) of `dist`."""
    u = np.asarray(u, dtype=float)
    if isinstance(dist, Lognormal):
        sigma2 = math.log1p((dist.sd / dist.mean) ** 2)
        mu = math.log(dist.mean) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * special.ndtri(u))
    if isinstance(dist, Exponential):
        return -dist.mean * np.log1p(-u)
    if isinstance(dist, Gamma):
        shape = (dist.mean / dist.sd) ** 2
        scale = dist.sd**2 / dist.mean
        return special.gammaincinv(shape, u) * scale
    if isinstance(dist, Weibull):
        shape, scale = weibull_shape_scale(dist.mean, dist.sd)
        return scale * (-np.log1p(-u)) ** (1 / shape)
    if isinstance(dist, Fixed):
        return np.full_like(u, dist.value)
    if isinstance(dist, Empirical):
        return np.asarray(dist.values)[categorical(dist.probabilities, u)]
    raise TypeError(f"unknown distribution {dist!r}")


@lru_cache(maxsize=256)
def weibull_shape_scale(mean: float, sd: float) -> tuple[float, float]:
    """The Weibull shape k and scale (days) with this mean and sd.

    sd/mean fixes k through 1 + (sd/mean)^2 = G(1 + 2/k) / G(1 + 1/k)^2
    (G the gamma function), solved in logs; the scale is mean / G(1 + 1/k).
    """
    target = math.log1p((sd / mean) ** 2)

    def excess(log_shape: float) -> float:
        k = math.exp(log_shape)
        return special.gammaln(1 + 2 / k) - 2 * special.gammaln(1 + 1 / k) - target

    shape = math.exp(optimize.brentq(excess, math.log(0.05), math.log(2000.0), xtol=1e-12))
    return shape, mean / math.exp(special.gammaln(1 + 1 / shape))


def categorical(probabilities: list[float], u: np.ndarray) -> np.ndarray:
    """Index of the outcome at quantiles `u` of a discrete distribution (probabilities in order)."""
    cumulative = np.cumsum(probabilities)
    return np.minimum(np.searchsorted(cumulative, u * cumulative[-1], side="right"), len(probabilities) - 1)


def mean_of(dist: Distribution) -> float:
    """Mean duration in days (for summaries and queueing checks)."""
    if isinstance(dist, (Lognormal, Exponential, Gamma, Weibull)):
        return dist.mean
    if isinstance(dist, Fixed):
        return dist.value
    return float(np.dot(dist.values, dist.probabilities))


def cdf_of(dist: Distribution, x: float) -> float:
    """P(duration <= x), for cutting a distribution at x (e.g. readmission within 30 days)."""
    if isinstance(dist, Lognormal):
        sigma2 = math.log1p((dist.sd / dist.mean) ** 2)
        mu = math.log(dist.mean) - sigma2 / 2
        return float(special.ndtr((math.log(x) - mu) / math.sqrt(sigma2))) if x > 0 else 0.0
    if isinstance(dist, Exponential):
        return -math.expm1(-x / dist.mean) if x > 0 else 0.0
    if isinstance(dist, Gamma):
        shape = (dist.mean / dist.sd) ** 2
        scale = dist.sd**2 / dist.mean
        return float(special.gammainc(shape, x / scale)) if x > 0 else 0.0
    if isinstance(dist, Weibull):
        shape, scale = weibull_shape_scale(dist.mean, dist.sd)
        return -math.expm1(-((x / scale) ** shape)) if x > 0 else 0.0
    if isinstance(dist, Fixed):
        return 1.0 if dist.value <= x else 0.0
    if isinstance(dist, Empirical):
        return float(sum(p for v, p in zip(dist.values, dist.probabilities, strict=True) if v <= x))
    raise TypeError(f"unknown distribution {dist!r}")


def truncated_from_uniform(dist: Distribution, u: np.ndarray, upper: float) -> np.ndarray:
    """Durations at quantiles `u` of `dist` cut at `upper` (conditional on duration <= upper)."""
    share = cdf_of(dist, upper)
    if share <= 0:
        return np.full_like(np.asarray(u, dtype=float), upper)
    return np.minimum(from_uniform(dist, np.asarray(u) * share), upper)


def competing_risks(rates: list[float], u_time: np.ndarray, u_which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time to the first of several exponential events (yearly rates) and which one it is.

    Returns days (inf when every rate is 0) and the index of the event.
    """
    total = sum(rates)
    if total <= 0:
        return np.full(len(u_time), math.inf), np.zeros(len(u_time), dtype=int)
    days = -np.log1p(-np.asarray(u_time)) / total * 365.0
    cumulative = np.cumsum(rates) / total
    which = np.minimum(np.searchsorted(cumulative, u_which, side="right"), len(rates) - 1)
    return days, which


def residual_from_uniform(dist: Distribution, u: np.ndarray, elapsed: float) -> np.ndarray:
    """Time still to go, at quantiles `u`, of durations from `dist` that have already lasted `elapsed` days.

    Inverse transform of the distribution conditional on exceeding `elapsed`:
    a census patient 10 days into a stay is drawn from the stays longer than 10.
    """
    done = cdf_of(dist, elapsed)
    u = np.asarray(u, dtype=float)
    if done >= 1.0:
        return np.zeros_like(u)
    return np.maximum(from_uniform(dist, done + u * (1.0 - done)) - elapsed, 0.0)
