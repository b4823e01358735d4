"""The queueing formulas of tests/queueing_theory.py against textbook values and independent derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from queueing_theory import (
    erlang_b,
    erlang_c,
    mmc_mean_busy,
    mmc_mean_queue,
    mmc_mean_wait,
    mmc_mean_wait_given_wait,
    mmc_prob_wait,
    mmc_wait_tail,
    mmcc_mean_busy,
)
from scipy import integrate, stats


def birth_death_stationary(c: int, lam: float, mu: float, capacity: int) -> np.ndarray:
    """Stationary distribution of M/M/c/capacity by solving pi Q = 0 numerically (no formula)."""
    n = capacity + 1
    q = np.zeros((n, n))
    for k in range(n):
        if k < capacity:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, c) * mu
        q[k, k] = -q[k].sum()
    # pi Q = 0 and sum(pi) = 1: replace one balance equation by the normalisation
    system = q.T.copy()
    system[-1, :] = 1.0
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    return np.linalg.solve(system, rhs)


def test_erlang_b_textbook_value():
    # Classic table value: 10 trunks offered 5 erlangs block 1.838 % of calls.
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-6)


def test_erlang_b_small_cases_by_hand():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(1, 2.0) == pytest.approx(2 / 3)  # a / (1 + a)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (a^2/2) / (1 + a + a^2/2) = 0.5 / 2.5


@pytest.mark.parametrize("c, a", [(1, 0.5), (10, 5.0), (15, 12.0), (40, 35.0), (100, 120.0)])
def test_erlang_b_is_truncated_poisson(c, a):
    """B(c, a) = P(N = c) / P(N <= c) for N ~ Poisson(a), computed by scipy."""
    expected = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    assert erlang_b(c, a) == pytest.approx(expected, rel=1e-10)


def test_erlang_b_stable_for_large_systems():
    # a^c / c! overflows a float here; the recursion must not.
    c, a = 2000, 1900.0
    expected = math.exp(stats.poisson.logpmf(c, a) - stats.poisson.logcdf(c, a))
    value = erlang_b(c, a)
    assert math.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-8)


def test_erlang_b_matches_loss_system_chain():
    c, lam, mu = 15, 3.0, 0.25
    pi = birth_death_stationary(c, lam, mu, capacity=c)
    assert erlang_b(c, lam / mu) == pytest.approx(pi[c], rel=1e-9)
    assert mmcc_mean_busy(c, lam, mu) == pytest.approx(float(np.dot(np.arange(c + 1), pi)), rel=1e-9)


def test_erlang_c_closed_forms():
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lam)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mmc_mean_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)
    # M/M/2: P(wait) = 2 rho^2 / (1 + rho); with a = 1 (rho = 0.5) that is 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    rho = 0.8
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))


@pytest.mark.parametrize("c, lam, mu", [(3, 2.0, 1.0), (15, 3.0, 0.25), (20, 17.0, 1.0)])
def test_erlang_c_matches_waiting_chain(c, lam, mu):
    """P(wait), Lq and Wq from a numerically solved (truncated) birth-death chain."""
    capacity = c + 600  # rho <= 0.85: the truncated tail is below 1e-40
    pi = birth_death_stationary(c, lam, mu, capacity)
    states = np.arange(capacity + 1)
    p_wait = pi[c:].sum()  # PASTA: an arrival waits iff all c are busy
    lq = float(np.dot(np.maximum(states - c, 0), pi))
    busy = float(np.dot(np.minimum(states, c), pi))
    assert mmc_prob_wait(c, lam, mu) == pytest.approx(p_wait, rel=1e-9)
    assert mmc_mean_queue(c, lam, mu) == pytest.approx(lq, rel=1e-9)
    assert mmc_mean_wait(c, lam, mu) == pytest.approx(lq / lam, rel=1e-9)
    assert mmc_mean_busy(c, lam, mu) == pytest.approx(busy, rel=1e-9)
    assert mmc_mean_wait(c, lam, mu) == pytest.approx(
        mmc_prob_wait(c, lam, mu) * mmc_mean_wait_given_wait(c, lam, mu)
    )


def test_erlang_c_from_erlang_b_relation_and_bounds():
    for c, a in [(5, 4.0), (15, 12.0), (50, 45.0)]:
        b, cc = erlang_b(c, a), erlang_c(c, a)
        assert b < cc < 1  # waiting is more likely than blocking would be
        assert cc == pytest.approx(c * b / (c - a * (1 - b)))


def test_wait_tail():
    c, lam, mu = 15, 3.0, 0.25
    assert mmc_wait_tail(c, lam, mu, 0.0) == pytest.approx(erlang_c(c, lam / mu))
    # the integral of the tail is the mean wait
    area, _ = integrate.quad(lambda t: mmc_wait_tail(c, lam, mu, t), 0, math.inf)
    assert area == pytest.approx(mmc_mean_wait(c, lam, mu), rel=1e-8)


def test_unstable_or_invalid_input_refused():
    with pytest.raises(ValueError):
        erlang_c(10, 10.0)
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_b(3, -1.0)
