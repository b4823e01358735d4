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
from sim.inputs.estimates import significant
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

    # The likelihood terms take log x (a stay scaled by an age band factor is log x - log factor).

    def logpdf(self, lx: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """log of the density of the stay x at log x = lx."""
        if self.name == "lognormal":
            log_sigma, mu = theta
            z = (lx - mu) / math.exp(log_sigma)
            return -lx - log_sigma - HALF_LOG_2PI - 0.5 * z * z
        if self.name == "gamma":
            log_shape, log_scale = theta
            shape = math.exp(log_shape)
            return (shape - 1) * lx - np.exp(lx - log_scale) - special.gammaln(shape) - shape * log_scale
        if self.name == "weibull":
            log_shape, log_scale = theta
            shape = math.exp(log_shape)
            log_ratio = lx - log_scale
            return log_shape - log_scale + (shape - 1) * log_ratio - np.exp(shape * log_ratio)
        (log_scale,) = theta
        return -log_scale - np.exp(lx - log_scale)

    def logsf(self, lx: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """log P(stay > x) at log x = lx."""
        with np.errstate(divide="ignore"):
            if self.name == "lognormal":
                log_sigma, mu = theta
                return special.log_ndtr(-(lx - mu) / math.exp(log_sigma))
            if self.name == "gamma":
                log_shape, log_scale = theta
                return np.log(special.gammaincc(math.exp(log_shape), np.exp(lx - log_scale)))
            if self.name == "weibull":
                log_shape, log_scale = theta
                return -np.exp(math.exp(log_shape) * (lx - log_scale))
            (log_scale,) = theta
            return -np.exp(lx - log_scale)

    def logcdf(self, lx: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """log P(stay <= x) at log x = lx (lx = -inf: x = 0)."""
        with np.errstate(divide="ignore"):
            if self.name == "lognormal":
                log_sigma, mu = theta
                return special.log_ndtr((lx - mu) / math.exp(log_sigma))
            if self.name == "gamma":
                log_shape, log_scale = theta
                return np.log(special.gammainc(math.exp(log_shape), np.exp(lx - log_scale)))
            if self.name == "weibull":
                log_shape, log_scale = theta
                return np.log(-np.expm1(-np.exp(math.exp(log_shape) * (lx - log_scale))))
            (log_scale,) = theta
            return np.log(-np.expm1(-np.exp(lx - log_scale)))

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


@dataclass
class Stays:
    """Stays as the likelihood needs them: log bounds, and which are exact, censored or known to lie between."""

    low: np.ndarray  # days; an exact stay has low == high, a right-censored one high = inf
    high: np.ndarray

    def __post_init__(self) -> None:
        self.exact = self.low == self.high
        self.censored = np.isinf(self.high)
        self.between = ~self.exact & ~self.censored
        self.all_exact = bool(self.exact.all())
        self.all_censored = bool(self.censored.all())
        with np.errstate(divide="ignore"):
            self.log_low, self.log_high = np.log(self.low), np.log(self.high)


def log_probability(family: Family, theta: np.ndarray, stays: Stays, log_factor: np.ndarray | float = 0.0) -> np.ndarray:
    """Each stay's log-likelihood when stays are (factor) x (a draw from the law): the density of an exact stay,
    else the probability of lying between its bounds (a censored stay: beyond its low bound)."""
    lx = stays.log_low - log_factor
    if stays.all_exact:
        return np.maximum(family.logpdf(lx, theta) - log_factor, LOG_TINY)
    if stays.all_censored:
        return np.maximum(family.logsf(lx, theta), LOG_TINY)
    log_factor = np.broadcast_to(log_factor, lx.shape)
    out = np.empty(len(lx))
    exact, censored, between = stays.exact, stays.censored, stays.between
    if exact.any():
        out[exact] = family.logpdf(lx[exact], theta) - log_factor[exact]
    if censored.any():
        out[censored] = family.logsf(lx[censored], theta)
    if between.any():
        upper = family.logcdf(stays.log_high[between] - log_factor[between], theta)
        lower = family.logcdf(lx[between], theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[between] = upper + np.log1p(-np.exp(np.minimum(lower - upper, 0.0)))
    return np.maximum(np.nan_to_num(out, nan=LOG_TINY), LOG_TINY)


def as_scenario(family: Family, theta: np.ndarray) -> dict:
    """The scenario's duration mapping for a fitted law (mean and sd in days, rounded to 4 significant figures)."""
    mean, sd = (float(v) for v in family.mean_and_sd(theta))
    if family.name == "exponential":
        return {"distribution": "exponential", "mean": significant(mean)}
    return {"distribution": family.name, "mean": significant(mean), "sd": significant(sd)}


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
