"""The four families a length of stay is fitted with, and their log-likelihood terms.

Each law has a parameter vector on the log scale (so a search can move freely)
and gives, for stays x, the log density, log distribution function and log
survival function, from scipy.special. They are written out rather than taken
from scipy.stats because a fit evaluates them thousands of times on small
arrays, where scipy.stats' argument checks cost ten times the arithmetic;
tests hold them equal to scipy.stats. scipy.stats is used for everything
else: moments, quantiles and the goodness-of-fit test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from sim.distributions import mean_of, weibull_shape_scale
from sim.scenario.schema import Distribution, Empirical, Exponential, Fixed, Gamma, Lognormal, Weibull

LOG_TINY = -745.0  # log of the smallest double: a probability that underflowed
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class Family:
    name: str  # as in the scenario's `distribution`
    parameters: int

    def scipy(self, theta: np.ndarray) -> stats.rv_continuous:
        """The law as a frozen scipy.stats distribution (theta may hold one row per draw)."""
        theta = np.asarray(theta, dtype=float)
        if self.name == "lognormal":
            return stats.lognorm(np.exp(theta[..., 0]), scale=np.exp(theta[..., 1]))
        if self.name == "gamma":
            return stats.gamma(np.exp(theta[..., 0]), scale=np.exp(theta[..., 1]))
        if self.name == "weibull":
            return stats.weibull_min(np.exp(theta[..., 0]), scale=np.exp(theta[..., 1]))
        return stats.expon(scale=np.exp(theta[..., 0]))

    def mean_and_sd(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, variance = self.scipy(theta).stats(moments="mv")
        return np.asarray(mean, dtype=float), np.sqrt(np.asarray(variance, dtype=float))

    def logpdf(self, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            if self.name == "lognormal":
                log_sigma, mu = theta
                z = (np.log(x) - mu) / math.exp(log_sigma)
                return -np.log(x) - log_sigma - HALF_LOG_2PI - 0.5 * z * z
            if self.name == "gamma":
                log_shape, log_scale = theta
                shape = math.exp(log_shape)
                return (shape - 1) * np.log(x) - x / math.exp(log_scale) - special.gammaln(shape) - shape * log_scale
            if self.name == "weibull":
                log_shape, log_scale = theta
                shape = math.exp(log_shape)
                log_ratio = np.log(x) - log_scale
                return log_shape - log_scale + (shape - 1) * log_ratio - np.exp(shape * log_ratio)
            (log_scale,) = theta
            return -log_scale - x / math.exp(log_scale)

    def logsf(self, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            if self.name == "lognormal":
                log_sigma, mu = theta
                return special.log_ndtr(-(np.log(x) - mu) / math.exp(log_sigma))
            if self.name == "gamma":
                log_shape, log_scale = theta
                return np.maximum(np.log(special.gammaincc(math.exp(log_shape), x / math.exp(log_scale))), LOG_TINY)
            if self.name == "weibull":
                log_shape, log_scale = theta
                return -np.exp(math.exp(log_shape) * (np.log(x) - log_scale))
            (log_scale,) = theta
            return -x / math.exp(log_scale)

    def logcdf(self, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            if self.name == "lognormal":
                log_sigma, mu = theta
                return special.log_ndtr((np.log(x) - mu) / math.exp(log_sigma))
            if self.name == "gamma":
                log_shape, log_scale = theta
                return np.maximum(np.log(special.gammainc(math.exp(log_shape), x / math.exp(log_scale))), LOG_TINY)
            if self.name == "weibull":
                log_shape, log_scale = theta
                return np.log(-np.expm1(-np.exp(math.exp(log_shape) * (np.log(x) - log_scale))))
            (log_scale,) = theta
            return np.log(-np.expm1(-x / math.exp(log_scale)))

    def start(self, x: np.ndarray) -> np.ndarray:
        """Starting parameters from the moments of some stays (all > 0)."""
        mean, sd = float(np.mean(x)), float(np.std(x)) or float(np.mean(x)) / 2
        if self.name == "lognormal":
            logs = np.log(x)
            return np.array([math.log(max(float(np.std(logs)), 1e-3)), float(np.mean(logs))])
        if self.name == "gamma":
            return np.array([math.log((mean / sd) ** 2), math.log(sd * sd / mean)])
        if self.name == "weibull":
            shape, scale = weibull_shape_scale(mean, min(max(sd, 0.002 * mean), 1000 * mean))
            return np.array([math.log(shape), math.log(scale)])
        return np.array([math.log(mean)])


FAMILIES = {f.name: f for f in (Family("lognormal", 2), Family("gamma", 2), Family("weibull", 2), Family("exponential", 1))}


def log_probability(
    family: Family, theta: np.ndarray, low: np.ndarray, high: np.ndarray, exact: np.ndarray | None = None
) -> np.ndarray:
    """Each stay's log-likelihood: density if known exactly (low == high), else P(low < stay <= high) (high inf: censored)."""
    exact = low == high if exact is None else exact
    if exact.all():
        return np.maximum(family.logpdf(low, theta), LOG_TINY)
    out = np.empty(len(low))
    censored = np.isinf(high)
    between = ~exact & ~censored
    if exact.any():
        out[exact] = family.logpdf(low[exact], theta)
    if censored.any():
        out[censored] = family.logsf(low[censored], theta)
    if between.any():
        upper = family.logcdf(high[between], theta)
        lower = np.where(low[between] > 0, family.logcdf(np.maximum(low[between], 1e-300), theta), -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[between] = upper + np.log1p(-np.exp(np.minimum(lower - upper, 0.0)))
    return np.maximum(out, LOG_TINY)


def as_scenario(family: Family, theta: np.ndarray) -> dict:
    """The scenario's duration mapping for a fitted law (mean and sd in days, rounded to 4 significant figures)."""
    mean, sd = (float(v) for v in family.mean_and_sd(theta))
    if family.name == "exponential":
        return {"distribution": "exponential", "mean": significant(mean)}
    return {"distribution": family.name, "mean": significant(mean), "sd": significant(sd)}


def significant(value: float, figures: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))


def from_scenario(dist: Distribution) -> tuple[Family, np.ndarray]:
    """A scenario duration as one of the families (fixed and empirical: the lognormal with their mean and sd)."""
    if isinstance(dist, Exponential):
        return FAMILIES["exponential"], np.array([math.log(dist.mean)])
    if isinstance(dist, Gamma):
        return FAMILIES["gamma"], np.array([2 * math.log(dist.mean / dist.sd), math.log(dist.sd**2 / dist.mean)])
    if isinstance(dist, Weibull):
        shape, scale = weibull_shape_scale(dist.mean, dist.sd)
        return FAMILIES["weibull"], np.array([math.log(shape), math.log(scale)])
    mean = max(mean_of(dist), 1e-6)
    if isinstance(dist, Lognormal):
        sd = dist.sd
    elif isinstance(dist, Empirical):
        sd = math.sqrt(max(float(np.dot(dist.probabilities, (np.asarray(dist.values) - mean) ** 2)), 1e-12))
    else:
        assert isinstance(dist, Fixed)
        sd = 0.01 * mean
    sigma2 = math.log1p((max(sd, 1e-6 * mean) / mean) ** 2)
    return FAMILIES["lognormal"], np.array([0.5 * math.log(sigma2), math.log(mean) - sigma2 / 2])
