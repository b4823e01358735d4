"""Durations from uniforms: the right moments for every family."""

import numpy as np
import pytest

from sim.distributions import from_uniform, mean_of
from sim.scenario.schema import Empirical, Exponential, Fixed, Gamma, Lognormal

# A fine, deterministic grid of quantiles: moments computed on it converge to
# the distribution's own as the grid gets finer (no sampling noise).
GRID = (np.arange(2_000_000) + 0.5) / 2_000_000


@pytest.mark.parametrize(
    "dist, sd",
    [
        (Lognormal(distribution="lognormal", mean=8.0, sd=8.0), 8.0),
        (Exponential(distribution="exponential", mean=28.0), 28.0),
        (Gamma(distribution="gamma", mean=5.0, sd=2.0), 2.0),
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
