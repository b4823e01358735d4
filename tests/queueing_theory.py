"""Closed-form results for the M/M/c family, used to hold the engine to theory.

Plain functions, no simulation. Notation: c servers (beds), arrival rate lam,
service rate mu (1 / mean stay), offered load a = lam / mu, rho = a / c.
Erlang B is computed by its recursion, which never overflows or loses
precision (no factorials or powers of a), and Erlang C from Erlang B by
C = B / (1 - rho (1 - B)).
"""

from __future__ import annotations

import math


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of the M/M/c/c loss system with offered load a (Erlang B).

    Recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)): every step is a
    ratio of positive numbers below 1, so it is stable for any c and a.
    """
    if c < 0 or c != int(c):
        raise ValueError(f"c = {c}; expected a whole number of servers >= 0")
    if a < 0:
        raise ValueError(f"a = {a}; expected an offered load >= 0")
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival has to wait in the M/M/c queue (Erlang C); needs a < c."""
    if not 0 <= a < c:
        raise ValueError(f"a = {a}, c = {c}; expected 0 <= a < c (a stable queue)")
    b = erlang_b(c, a)
    rho = a / c
    return b / (1 - rho * (1 - b))


def mmc_prob_wait(c: int, lam: float, mu: float) -> float:
    """P(wait > 0) in M/M/c."""
    return erlang_c(c, lam / mu)


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue Wq of M/M/c (same time unit as 1/mu): C / (c mu - lam)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_mean_wait_given_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait of those who wait: 1 / (c mu - lam) (the conditional wait is exponential)."""
    if not lam < c * mu:
        raise ValueError("expected lam < c mu (a stable queue)")
    return 1 / (c * mu - lam)


def mmc_wait_tail(c: int, lam: float, mu: float, t: float) -> float:
    """P(Wq > t) = C exp(-(c mu - lam) t), t >= 0 (FIFO)."""
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def mmc_mean_queue(c: int, lam: float, mu: float) -> float:
    """Mean number waiting Lq = lam Wq (Little's law)."""
    return lam * mmc_mean_wait(c, lam, mu)


def mmc_mean_busy(c: int, lam: float, mu: float) -> float:
    """Mean number of busy servers of a stable M/M/c: the offered load a = lam / mu."""
    if not lam < c * mu:
        raise ValueError("expected lam < c mu (a stable queue)")
    return lam / mu


def mmcc_mean_busy(c: int, lam: float, mu: float) -> float:
    """Mean number of busy servers of M/M/c/c (carried load): a (1 - B)."""
    a = lam / mu
    return a * (1 - erlang_b(c, a))
