"""The engine against queueing theory: Erlang C, Erlang B and Little's law.

scenarios/validation/mmc_wait.yaml makes the acute ward an M/M/c queue
(c = 15 beds, lambda = 3/day, mean stay 4 days, a = 12, rho = 0.8) and
scenarios/validation/mmcc_loss.yaml the same ward without a waiting room
(M/M/c/c). Each test compares an indicator with its theoretical value: the
value must lie inside the Student-t interval of the indicator's mean across
independent replications (sim.stats.t_interval), so the tolerance is the
replication spread and nothing else.

Confidence level. This file makes CHECKS interval checks. Each at 95 % would
fail somewhere one run in three (1 - 0.95^7) even with a perfect engine, so
the 95 % is family-wise: each interval is at 1 - 0.05/CHECKS (Bonferroni,
99.3 %). History, for honesty: the first version used 95 % per check, and
with the seed fixed in advance the M/M/c Little's law check missed
(t = 2.25, p = 0.037); 240 replications with another seed put that gap at
-0.00009 [-0.00034, 0.00015] beds, i.e. no bias. The family-wise level was
adopted after that miss; the seeds and run lengths were not changed.

The M/M/c run length and seed were fixed before any result was looked at
(the scenario files give them and explain why warm-up and edge biases are
negligible against the interval width): 20 replications of 10,000 days after
200 days of warm-up, seed 4242. The theoretical values are computed from the
loaded scenario, which is first checked to really be M/M/c, so editing the
YAML cannot silently make the comparison meaningless.

If one of these fails after a change, do not move the seed or widen the
interval: rerun with many more replications to tell chance from bias, and fix
whichever of the engine or the test is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from queueing_theory import (
    erlang_b,
    mmc_mean_busy,
    mmc_mean_wait,
    mmc_prob_wait,
    mmcc_mean_busy,
)

from sim.calendar import DischargeWindow
from sim.runner import ReplicationResult, run_replications
from sim.scenario import Scenario, load_scenario
from sim.scenario.schema import Exponential, Fixed
from sim.stats import t_interval

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
MMC_WAIT = SCENARIOS / "validation" / "mmc_wait.yaml"
MMCC_LOSS = SCENARIOS / "validation" / "mmcc_loss.yaml"
BASELINE = SCENARIOS / "baseline.yaml"

# The shipped baseline made periodic: demand growth off, horizon = 2555 days =
# 7 years = 365 weeks (a whole number of both weeks and 365-day years), a
# whole year of warm-up, 10 replications. See test_littles_law_on_baseline.
BASELINE_OVERRIDES = [
    "demand.growth_per_year=0",
    "run.warmup_days=365",
    "run.horizon_days=2555",
    "run.replications=10",
]

DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

CHECKS = 7  # interval checks in this file (the tests below)
CONFIDENCE = 1 - 0.05 / CHECKS  # family-wise 95 %


# --- helpers ---------------------------------------------------------------------


def mmc_parameters(scenario: Scenario) -> tuple[int, float, float]:
    """(c, lambda per day, mu per day) of a scenario that is an M/M/c queue; fail if it is not one."""
    assert len(scenario.age_bands) == 1, "one age band"
    band = scenario.age_bands[0]
    demand = scenario.demand
    assert list(demand.day_of_week_factors) == [1.0] * 7, "no day-of-week effect"
    assert list(demand.month_factors) == [1.0] * 12, "no month effect"
    assert demand.growth_per_year == 0 and demand.admission_avoidance_share == 0, "homogeneous Poisson"
    assert scenario.acute.escalation == [], "constant number of beds"
    assert scenario.pathways.probabilities[band].p0 == 1.0, "everyone leaves on pathway 0"
    assert scenario.in_hospital_death.probability[band] == 0.0, "no deaths in hospital"
    stay = scenario.clinical_stay.by_pathway.p0
    assert isinstance(stay, Exponential), "exponential clinical stay"
    assessment = scenario.discharge.assessment.p0
    assert isinstance(assessment, Fixed) and assessment.value == 0, "no assessment delay"
    assert DischargeWindow(scenario.discharge).always_open, "discharge at any time"
    mean_stay = stay.mean * scenario.clinical_stay.age_band_factor.get(band, 1.0)
    return scenario.acute.beds, demand.arrivals_per_day[band], 1.0 / mean_stay


def indicator(results: list[ReplicationResult], name: str) -> np.ndarray:
    """One indicator, one value per replication."""
    return np.array([result.indicators[name] for result in results])


def assert_covers(sample: np.ndarray, theory: float, what: str) -> None:
    """Theory lies inside the (family-wise 95 %) t-interval of the sample's mean."""
    mean, low, high = t_interval(sample, CONFIDENCE)
    assert np.all(np.isfinite(sample)), f"{what}: non-finite values {sample}"
    assert low <= theory <= high, (
        f"{what}: theory {theory:.6g} outside the {100 * CONFIDENCE:.1f} % t-interval [{low:.6g}, {high:.6g}] "
        f"of the mean {mean:.6g} over {len(sample)} replications"
    )


def mean_beds_available(scenario: Scenario) -> float:
    """Time-average number of acute beds over the horizon, from the calendar rules of the spec.

    Day 0 is 1 January; years have 365 days; escalation beds change at month starts.
    """
    horizon = scenario.run.horizon_days
    month_of_day = np.repeat(np.arange(1, 13), DAYS_IN_MONTH)
    days = np.arange(int(np.ceil(horizon)))
    weights = np.minimum(horizon - days, 1.0)
    beds = np.array([scenario.acute.beds_in_month(int(month_of_day[d % 365])) for d in days])
    return float((beds * weights).sum() / horizon)


def little_gap(results: list[ReplicationResult], scenario: Scenario) -> np.ndarray:
    """Per replication: mean occupied beds - bed admission rate x mean LOS (beds).

    admissions_per_year counts patients by the time they took a bed, so the
    patients boarding at day 0 are in it: it is the rate of bed admissions in
    the horizon, as Little's law for the beds needs.
    """
    occupied = indicator(results, "mean_occupancy_pct") / 100 * mean_beds_available(scenario)
    admissions_per_day = indicator(results, "admissions_per_year") / 365
    return occupied - admissions_per_day * indicator(results, "mean_los_days")


# --- runs (shared by the tests of a module) -----------------------------------------


@pytest.fixture(scope="module")
def mmc() -> tuple[Scenario, list[ReplicationResult]]:
    scenario = load_scenario(MMC_WAIT)
    return scenario, run_replications(scenario, progress=False)


@pytest.fixture(scope="module")
def mmcc() -> tuple[Scenario, list[ReplicationResult]]:
    scenario = load_scenario(MMCC_LOSS)
    return scenario, run_replications(scenario, progress=False)


@pytest.fixture(scope="module")
def baseline() -> tuple[Scenario, list[ReplicationResult]]:
    scenario = load_scenario(BASELINE, BASELINE_OVERRIDES)
    return scenario, run_replications(scenario, progress=False)


# --- M/M/c: Erlang C -----------------------------------------------------------------


@pytest.mark.slow
def test_probability_of_waiting_is_erlang_c(mmc):
    """waited_for_bed_share = C(c, a), the probability that an arrival finds every bed taken (PASTA)."""
    scenario, results = mmc
    c, lam, mu = mmc_parameters(scenario)
    assert_covers(indicator(results, "waited_for_bed_share"), mmc_prob_wait(c, lam, mu), "P(wait)")


@pytest.mark.slow
def test_mean_wait_for_a_bed_is_erlang_c_wait(mmc):
    """mean_bed_wait_hours = 24 C(c, a) / (c mu - lambda), over all admitted requests (waiters or not)."""
    scenario, results = mmc
    c, lam, mu = mmc_parameters(scenario)
    assert_covers(indicator(results, "mean_bed_wait_hours"), 24 * mmc_mean_wait(c, lam, mu), "mean wait (hours)")


@pytest.mark.slow
def test_mean_occupancy_is_offered_load(mmc):
    """Mean occupied beds of a stable M/M/c = a = lambda / mu (every request is served, after its wait)."""
    scenario, results = mmc
    c, lam, mu = mmc_parameters(scenario)
    occupied = indicator(results, "mean_occupancy_pct") / 100 * c
    assert_covers(occupied, mmc_mean_busy(c, lam, mu), "mean occupied beds")


@pytest.mark.slow
def test_littles_law_on_mmc(mmc):
    """Mean occupied beds = bed admissions per day x mean LOS, as a paired difference per replication.

    Within one replication the three indicators come from the same patients,
    so d_r = occupied - rate x LOS (see little_gap) is far less noisy than
    either side, and its interval must cover 0. That interval is narrow
    (about 1e-4 of the 12 occupied beds), so it resolves terms of order
    1/horizon: the indicators differ only through the patients present at the
    two ends of the horizon. Their bed-time before day 0 and after the end
    have the same expectation in a stationary queue, so E[d_r] = 0 up to
    O(1/number of spells) - provided admissions are counted when the bed is
    taken. (Counted by request time, as a first version of the indicator did,
    the requests boarding at day 0 were left out, a bias of
    Lq / (mu horizon) = 0.0005 beds that this test detected.)
    """
    scenario, results = mmc
    assert_covers(little_gap(results, scenario), 0.0, "occupied - admission rate x LOS (beds)")


# --- M/M/c/c: Erlang B -----------------------------------------------------------------


@pytest.mark.slow
def test_diverted_share_is_erlang_b(mmcc):
    """diverted_share = B(c, a): by PASTA the share of requests that find all c beds taken."""
    scenario, results = mmcc
    assert scenario.acute.when_full == "divert"
    c, lam, mu = mmc_parameters(scenario)
    assert_covers(indicator(results, "diverted_share"), erlang_b(c, lam / mu), "blocking probability")


@pytest.mark.slow
def test_loss_system_occupancy_is_carried_load(mmcc):
    """Mean occupied beds of M/M/c/c = a (1 - B): the offered load less what is turned away."""
    scenario, results = mmcc
    c, lam, mu = mmc_parameters(scenario)
    occupied = indicator(results, "mean_occupancy_pct") / 100 * c
    assert_covers(occupied, mmcc_mean_busy(c, lam, mu), "mean occupied beds (loss system)")


# --- Little's law on the shipped baseline ------------------------------------------------


@pytest.mark.slow
def test_littles_law_on_baseline(baseline):
    """Mean occupied beds = bed admissions per day x mean LOS on the full model, as a paired difference.

    Little's law L = lambda W holds for the acute beds whatever the stay
    distributions, weekend discharge, blocking by community services, deaths
    or boarding, provided the system is in the same state (in distribution)
    at both ends of the horizon. Per replication r (see little_gap)
        d_r = mean_occupancy_pct/100 x mean beds available
              - admissions_per_year/365 x mean_los_days
    and the t-interval of the d_r must cover 0: a paired test whose
    tolerance is the replication spread.

    Why the baseline is run with these overrides. Occupancy integrates bed
    time over the horizon, LOS averages spells that end in it (counting
    their days before day 0) and admissions count requests made in it; they
    differ by the patients present at the two ends (about 200 in beds and
    ~35 boarding at a Monday midnight in winter), and these edge terms cancel
    only in expectation and only if both ends look alike:
      - boarding at day 0: counted, as admissions are counted when the bed
        is taken;
      - weekday: day 0 is a Monday; with weekday-only discharging a Monday
        midnight follows two days without discharges, so its beds hold more
        long-waiting patients than a Tuesday midnight (day 365);
      - season and growth: one end in winter and the other in spring, or
        demand 2.5 % higher at the end, change how full the beds are.
    As measured during development with a separate seed (200 replications),
    the shipped settings give E[d_r] of -0.64 beds for a 365-day horizon
    (Monday vs Tuesday ends) and +0.33 beds for a 364-day one (growth), both
    clearly nonzero against a 20-replication half-width of ~0.5 beds, so a
    t-interval test of either would be a coin toss. Instead the run is made
    periodic: growth is switched off (the only change to the model; without
    it there is no steady state for Little's law to describe) and the horizon
    is 2555 days = 7 years = 365 weeks, so the demand, bed and discharge
    calendars repeat exactly and both ends fall on the same weekday of the
    same season; the warm-up is a whole year. Then E[d_r] = 0 up to the
    warm-up transient and O(1/spells); 60 replications with another seed
    gave 0.03 [-0.01, 0.07] beds, against a 10-replication half-width of
    about 0.12 beds (0.07 % of the ~175 occupied beds).
    """
    scenario, results = baseline
    assert scenario.demand.growth_per_year == 0 and scenario.run.horizon_days % (7 * 365) == 0
    gap = little_gap(results, scenario)
    assert_covers(gap, 0.0, "occupied - admission rate x LOS (beds), baseline")
