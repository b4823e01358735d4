"""Admission requests are the non-homogeneous Poisson process the spec describes.

Rate of band b at time t (days; day 0 = Monday 1 January; 365-day years):
    base_b x weekday_factor[floor(t) mod 7] x month_factor[month of floor(t) mod 365]
           x (1 + g)^(t / 365) x (1 - avoidance share)

The expected number of requests in a day d is therefore
    base_b x weekday x month x integral_d^{d+1} (1+g)^(t/365) dt (x (1 - share)),
computed here from the rule above, independently of sim.calendar. Arrivals are
drawn with sim.model.arrivals.draw_arrivals over the whole run, warm-up
(negative days) included: the test counts every request from -warmup_days to
horizon_days and integrates the rate over exactly that span.

Counts of a Poisson process over disjoint cells are independent Poisson
variables, so sum (O - E)^2 / E over k cells is approximately chi-square with
k degrees of freedom (the total is random too, so no degree is lost); every
expected count here is in the hundreds or more. Stated before running: three
chi-square tests of the counts (joint cells, weekday margin, month margin)
each at level 0.01 / 3 (Bonferroni: 1 % for the family), and two tests of
admission avoidance each at level 0.01 / 2. Seeds are fixed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.model.arrivals import Arrivals, Draws, draw_arrivals
from sim.scenario import Scenario, load_scenario
from sim.streams import Streams

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"

WEEKDAY_FACTORS = [1.5, 1.2, 1.0, 0.9, 0.7, 0.4, 0.3]  # Mon..Sun: strong and all different
MONTH_FACTORS = [2.0, 1.0, 0.5, 0.8, 1.2, 0.3, 1.5, 0.6, 1.0, 1.8, 0.4, 1.1]  # Jan..Dec
GROWTH = 0.5  # +50 % a year: the rate over the 3 calendar years differs by a factor 2.25
WARMUP_DAYS = 365  # the warm-up is the whole calendar year before day 0
HORIZON_DAYS = 730
REPLICATIONS = 20
SEED = 97531

FAMILY_ALPHA = 0.01
COUNT_TESTS = 3
AVOIDANCE_TESTS = 2

DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MONTH_OF_DAY_OF_YEAR = np.repeat(np.arange(12), DAYS_IN_MONTH)  # 0..11 for days 0..364


def scenario_with(avoidance: float = 0.0) -> Scenario:
    return load_scenario(
        BASELINE,
        [
            f"demand.day_of_week_factors={WEEKDAY_FACTORS}",
            f"demand.month_factors={MONTH_FACTORS}",
            f"demand.growth_per_year={GROWTH}",
            f"demand.admission_avoidance_share={avoidance}",
            f"run.warmup_days={WARMUP_DAYS}",
            f"run.horizon_days={HORIZON_DAYS}",
            f"run.seed={SEED}",
        ],
    )


def draw(scenario: Scenario, replication: int) -> Arrivals:
    return draw_arrivals(scenario, Streams(scenario.run.seed, replication))


# --- the expected counts, from the spec's rule -------------------------------------------


def days_of_run(scenario: Scenario) -> np.ndarray:
    """Whole days covering [-warmup, horizon) (the lengths are whole days here)."""
    start, end = -scenario.run.warmup_days, scenario.run.horizon_days
    assert start == int(start) and end == int(end)
    return np.arange(int(start), int(end))


def expected_per_day(
    scenario: Scenario, weekday: bool = True, month: bool = True, growth: bool = True
) -> np.ndarray:
    """Expected requests (all bands) in each day of days_of_run; the flags switch factors off for power checks."""
    demand = scenario.demand
    days = days_of_run(scenario)
    base = sum(demand.arrivals_per_day.values())
    factor = np.ones(len(days))
    if weekday:
        factor *= np.asarray(demand.day_of_week_factors)[days % 7]
    if month:
        factor *= np.asarray(demand.month_factors)[MONTH_OF_DAY_OF_YEAR[days % 365]]
    g = demand.growth_per_year if growth else 0.0
    if g == 0:
        growth_integral = np.ones(len(days))
    else:
        log = np.log1p(g)
        growth_integral = (np.exp(log * (days + 1) / 365) - np.exp(log * days / 365)) / (log / 365)
    return base * factor * growth_integral * (1 - demand.admission_avoidance_share)


def cell_of_day(days: np.ndarray) -> dict[str, np.ndarray]:
    """Cell labels of days: weekday 0..6, month 0..11, calendar year index from 0."""
    return {
        "weekday": days % 7,
        "month": MONTH_OF_DAY_OF_YEAR[days % 365],
        "year": days // 365 - days.min() // 365,
    }


def joint_cell(days: np.ndarray) -> np.ndarray:
    labels = cell_of_day(days)
    return (labels["year"] * 12 + labels["month"]) * 7 + labels["weekday"]


def poisson_chi_square(observed: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """Statistic and p-value of independent Poisson cell counts against their means."""
    assert expected.min() > 50, "every cell needs a large expected count for the chi-square approximation"
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return statistic, float(stats.chi2.sf(statistic, len(observed)))


# --- draws shared by the tests -------------------------------------------------------------


@pytest.fixture(scope="module")
def counts() -> dict[str, np.ndarray]:
    """Observed and expected requests per day of the run, summed over replications."""
    scenario = scenario_with()
    days = days_of_run(scenario)
    observed = np.zeros(len(days))
    for replication in range(REPLICATIONS):
        arrivals = draw(scenario, replication)
        assert np.all(np.diff(arrivals.time) >= 0), "arrivals in time order"
        assert arrivals.time.min() >= days[0] and arrivals.time.max() < days[-1] + 1
        observed += np.bincount(np.floor(arrivals.time).astype(int) - days[0], minlength=len(days))
    return {
        "days": days,
        "observed": observed,
        "expected": REPLICATIONS * expected_per_day(scenario),
        "expected_flat_weekday": REPLICATIONS * expected_per_day(scenario, weekday=False),
        "expected_no_growth": REPLICATIONS * expected_per_day(scenario, growth=False),
    }


def grouped(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.bincount(labels, weights=values)


# --- counts by calendar cell -----------------------------------------------------------------


def test_counts_by_year_month_and_weekday(counts):
    """All 3 x 12 x 7 cells (calendar year of the run, month, weekday) at once: a joint chi-square."""
    cell = joint_cell(counts["days"])
    observed, expected = grouped(counts["observed"], cell), grouped(counts["expected"], cell)
    statistic, p = poisson_chi_square(observed, expected)
    assert p > FAMILY_ALPHA / COUNT_TESTS, f"chi-square {statistic:.1f} on {len(observed)} cells, p = {p:.2g}"


def test_counts_by_weekday(counts):
    weekday = cell_of_day(counts["days"])["weekday"]
    observed, expected = grouped(counts["observed"], weekday), grouped(counts["expected"], weekday)
    statistic, p = poisson_chi_square(observed, expected)
    assert p > FAMILY_ALPHA / COUNT_TESTS, (
        f"chi-square {statistic:.1f} on 7 weekdays, p = {p:.2g}; observed {observed}, expected {expected.round(1)}"
    )


def test_counts_by_month(counts):
    month = cell_of_day(counts["days"])["month"]
    observed, expected = grouped(counts["observed"], month), grouped(counts["expected"], month)
    statistic, p = poisson_chi_square(observed, expected)
    assert p > FAMILY_ALPHA / COUNT_TESTS, (
        f"chi-square {statistic:.1f} on 12 months, p = {p:.2g}; observed {observed}, expected {expected.round(1)}"
    )


def test_the_count_tests_have_power(counts):
    """The same joint test rejects a rate without the weekday factor, or without growth: the tests can fail."""
    cell = joint_cell(counts["days"])
    observed = grouped(counts["observed"], cell)
    for wrong in ("expected_flat_weekday", "expected_no_growth"):
        # rescale to the right total so that only the shape is wrong
        expected = grouped(counts[wrong], cell)
        expected *= counts["expected"].sum() / expected.sum()
        _, p = poisson_chi_square(observed, expected)
        assert p < 1e-12, f"{wrong}: the chi-square test does not see the difference (p = {p:.2g})"


# --- admission avoidance ------------------------------------------------------------------------

AVOIDANCE = 0.3


@pytest.fixture(scope="module")
def avoidance_pairs() -> list[tuple[Arrivals, Arrivals]]:
    """(without avoidance, with avoidance) arrivals of the same replication."""
    plain, avoided = scenario_with(0.0), scenario_with(AVOIDANCE)
    return [(draw(plain, r), draw(avoided, r)) for r in range(REPLICATIONS)]


def test_avoided_requests_are_a_subset_with_unchanged_patients(avoidance_pairs):
    """Common random numbers: every request kept under avoidance is the same patient, same time, same stay."""
    for replication, (before, after) in enumerate(avoidance_pairs):
        assert len(after) < len(before)
        index = {(band, time): i for i, (band, time) in enumerate(zip(before.column("band").tolist(), before.time.tolist()))}
        assert len(index) == len(before), "distinct (band, time) keys"
        matched = np.array([index.get(key, -1) for key in zip(after.column("band").tolist(), after.time.tolist())])
        assert np.all(matched >= 0), f"replication {replication}: a request appears only with avoidance"
        assert np.array_equal(after.time, before.time[matched])
        for field in Draws._fields:
            assert np.array_equal(after.column(field), before.column(field)[matched]), (
                f"replication {replication}: {field} of a kept patient changed"
            )


def test_avoidance_removes_the_expected_share(avoidance_pairs):
    """Each request is kept with probability 1 - share, independently: a binomial test on the total."""
    before = sum(len(b) for b, _ in avoidance_pairs)
    kept = sum(len(a) for _, a in avoidance_pairs)
    result = stats.binomtest(kept, before, 1 - AVOIDANCE)
    assert result.pvalue > FAMILY_ALPHA / AVOIDANCE_TESTS, (
        f"kept {kept} of {before} = {kept / before:.4f}, expected {1 - AVOIDANCE}; p = {result.pvalue:.2g}"
    )


def test_avoided_share_does_not_depend_on_calendar_or_band(avoidance_pairs):
    """Kept / requested is 1 - share in every (band, month, weekday) cell: binomial cells, chi-square."""

    def cells(arrivals: Arrivals) -> np.ndarray:
        days = np.floor(arrivals.time).astype(int)
        labels = cell_of_day(days)
        return (arrivals.column("band") * 12 + labels["month"]) * 7 + labels["weekday"]

    size = 3 * 12 * 7
    requested = sum(np.bincount(cells(b), minlength=size) for b, _ in avoidance_pairs)
    kept = sum(np.bincount(cells(a), minlength=size) for _, a in avoidance_pairs)
    assert requested.min() > 50
    keep = 1 - AVOIDANCE
    statistic = float(((kept - keep * requested) ** 2 / (requested * keep * AVOIDANCE)).sum())
    p = float(stats.chi2.sf(statistic, size))
    assert p > FAMILY_ALPHA / AVOIDANCE_TESTS, f"chi-square {statistic:.1f} on {size} cells, p = {p:.2g}"
