"""Durations from uniforms: the right moments for every family."""

import numpy as np
import pytest

import math

from pydantic import ValidationError
from scipy import stats

from sim.distributions import cdf_of, from_uniform, mean_of, weibull_shape_scale
from sim.scenario.schema import Empirical, Exponential, Fixed, Gamma, Lognormal, Weibull

# A fine, deterministic grid of quantiles: moments computed on it converge to
# the distribution's own as the grid gets finer (no sampling noise).
GRID = (np.arange(2_000_000) + 0.5) / 2_000_000


@pytest.mark.parametrize(
    "dist, sd",
    [
        (Lognormal(distribution="lognormal", mean=8.0, sd=8.0), 8.0),
        (Exponential(distribution="exponential", mean=28.0), 28.0),
        (Gamma(distribution="gamma", mean=5.0, sd=2.0), 2.0),
        (Weibull(distribution="weibull", mean=6.0, sd=4.0), 4.0),
        (Weibull(distribution="weibull", mean=6.0, sd=9.0), 9.0),
    ],
)
def test_continuous_families_have_the_configured_mean_and_sd(dist, sd):
    x = from_uniform(dist, GRID)
    assert x.mean() == pytest.approx(mean_of(dist), rel=2e-3)
    assert x.std() == pytest.approx(sd, rel=2e-2)  # the far tail converges slowly on a finite grid
    assert np.all(np.diff(x) >= 0)  # monotone in u: the same person keeps their centile


def test_fixed_is_always_the_value():
    assert set(from_uniform(Fixed(distribution="fixed", value=2.5), GRID[:10])) == {2.5}


def test_empirical_table_is_sampled_by_its_probabilities():
    dist = Empirical(distribution="empirical", values=[1, 2, 5], probabilities=[0.5, 0.3, 0.2])
    x = from_uniform(dist, GRID)
    assert [np.mean(x == v) for v in (1, 2, 5)] == pytest.approx([0.5, 0.3, 0.2], abs=1e-6)
    assert mean_of(dist) == pytest.approx(0.5 + 0.6 + 1.0)


@pytest.mark.parametrize("mean, sd", [(6.0, 4.0), (10.0, 10.0), (3.0, 12.0), (20.0, 0.5)])
def test_weibull_by_mean_and_sd_is_scipys_weibull_with_that_mean_and_sd(mean, sd):
    shape, scale = weibull_shape_scale(mean, sd)
    law = stats.weibull_min(shape, scale=scale)
    assert (law.mean(), law.std()) == pytest.approx((mean, sd), rel=1e-9)
    dist = Weibull(distribution="weibull", mean=mean, sd=sd)
    u = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    assert from_uniform(dist, u) == pytest.approx(law.ppf(u), rel=1e-9)
    assert [cdf_of(dist, x) for x in (0.5, mean, 3 * mean)] == pytest.approx(law.cdf([0.5, mean, 3 * mean]), rel=1e-9)
    assert mean_of(dist) == mean


def test_an_exponential_is_the_weibull_of_shape_one():
    assert weibull_shape_scale(7.0, 7.0) == pytest.approx((1.0, 7.0), rel=1e-9)


@pytest.mark.parametrize("sd, expected", [
    (0.001, "expected between 0.002 and 100 for a Weibull"),  # too narrow for any Weibull shape
    (20_000.0, "expected between 0.0001 and 100 times"),  # too wide for any law given by mean and sd
])
def test_a_weibull_whose_sd_no_shape_can_give_is_refused(sd, expected):
    with pytest.raises(ValidationError, match=expected):
        Weibull(distribution="weibull", mean=10.0, sd=sd)
    assert math.isfinite(weibull_shape_scale(10.0, 10.0 * 0.002)[0])  # the edges themselves are solvable
    assert math.isfinite(weibull_shape_scale(10.0, 10.0 * 100)[0])
