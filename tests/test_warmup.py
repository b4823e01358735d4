"""The warm-up check: on constructed censuses (known answers), then end to end on a ward started empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model.records import CENSUS_COLUMNS
from sim.results import replications_table, summary_table
from sim.runner import run_replications
from sim.scenario import load_scenario
from sim.trust import warmup_checks, warmup_warnings
from sim.warmup import MATERIAL, check_warmup, expected_shape, relative_change

MMC = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc_wait.yaml"
BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
DAYS = 200


def censuses(beds_occupied: list[np.ndarray]) -> list[np.ndarray]:
    """Midnight censuses with only the acute beds filled in (one per replication)."""
    out = []
    for occupied in beds_occupied:
        census = np.zeros((len(occupied), len(CENSUS_COLUMNS)))
        census[:, CENSUS_COLUMNS.index("day")] = np.arange(len(occupied))
        census[:, CENSUS_COLUMNS.index("beds_occupied")] = occupied
        out.append(census)
    return out


def ward(warmup: float, horizon: float = DAYS):
    """The M/M/c ward (mean stay 4 days: the check needs a warm-up of 20 days) with a flat demand calendar."""
    return load_scenario(MMC, [f"run.warmup_days={warmup}", f"run.horizon_days={horizon}", "run.replications=8"])


def bed_check(scenario, occupied: list[np.ndarray]):
    (check,) = [c for c in check_warmup(scenario, censuses(occupied), 4.0, {}) if c.place == "bed"]
    return check


def test_a_census_still_filling_is_caught_and_a_settled_one_is_not():
    rng = np.random.default_rng(1)
    days = np.arange(DAYS)
    filling = [12 * (1 - np.exp(-(days + 1) / 30)) + rng.normal(0, 0.5, DAYS) for _ in range(8)]
    settled = [12 + rng.normal(0, 0.5, DAYS) for _ in range(8)]
    caught = bed_check(ward(0), filling)
    assert caught.tested and caught.settling and caught.change > MATERIAL
    assert caught.suggested_warmup_days == 20  # five mean stays of 4 days
    assert not bed_check(ward(0), settled).settling


def test_a_long_enough_warm_up_is_not_tested():
    """With five mean stays of warm-up no start-up bias is left to find: a trend there is not the warm-up's."""
    rng = np.random.default_rng(2)
    rising = [12 + 0.02 * np.arange(DAYS) + rng.normal(0, 0.5, DAYS) for _ in range(8)]
    check = bed_check(ward(20), rising)
    assert not check.tested and not check.settling
    assert bed_check(ward(19), rising).settling  # negative control: the same census, tested


def test_the_demand_calendar_is_not_mistaken_for_start_up_bias():
    """A census that follows demand growth exactly (8 % a year) is settled; a flat one under that growth is not."""
    scenario = load_scenario(MMC, ["run.warmup_days=0", "run.horizon_days=365", "demand.growth_per_year=0.08"])
    days = np.arange(365.0)
    shape = expected_shape(scenario, days, 4.0)
    following = [12 * shape / shape.mean()] * 3
    assert abs(bed_check(scenario, following).change) < 1e-3
    assert relative_change(np.full(365, 12.0) / shape) < -0.07  # flat against 8 % growth: a fall relative to demand


def warmup_messages(scenario) -> list[str]:
    results = run_replications(scenario, workers=2, progress=False)
    summary = summary_table(replications_table((scenario.name, r.replication, r.indicators) for r in results))
    return [w["message"] for w in warmup_warnings(scenario, warmup_checks(scenario, summary, [r.census for r in results]))]


@pytest.mark.slow
def test_a_ward_started_empty_without_warm_up_says_so_and_with_one_does_not():
    """End to end: the M/M/c ward (12 beds occupied on average) started empty fills in its first week or so,
    a large part of a 30-day horizon."""
    empty = warmup_messages(ward(0, horizon=30))
    assert len(empty) == 1 and "acute beds rose" in empty[0] and "--set run.warmup_days=20" in empty[0]
    assert warmup_messages(ward(20, horizon=30)) == []
