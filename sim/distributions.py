"""Durations from uniform random numbers (inverse transform).

Turning one uniform number per person into a duration, rather than calling a
distribution's own sampler, keeps common random numbers sharp: the person at
the 80th centile of clinical stay stays there when a scenario changes the
mean, the sd or even the family of the distribution.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sim.scenario.schema import Distribution, Empirical, Exponential, Fixed, Gamma, Lognormal


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
    if isinstance(dist, Fixed):
        return np.full_like(u, dist.value)
    if isinstance(dist, Empirical):
        cumulative = np.cumsum(dist.probabilities)
        index = np.searchsorted(cumulative, u * cumulative[-1], side="right")
        return np.asarray(dist.values)[np.minimum(index, len(dist.values) - 1)]
    raise TypeError(f"unknown distribution {dist!r}")


def mean_of(dist: Distribution) -> float:
    """Mean duration in days (for summaries and queueing checks)."""
    if isinstance(dist, (Lognormal, Exponential, Gamma)):
        return dist.mean
    if isinstance(dist, Fixed):
        return dist.value
    return float(np.dot(dist.values, dist.probabilities))
