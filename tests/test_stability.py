"""Saturation: the rule on constructed queues, then on M/M/c wards overloaded and stable near full load.

The rule (sim.stability): in the last third of the horizon the queue never
cleared and held more than a week's requests. Rates measured on M/M/c wards
(one year after a warm-up of 8 relaxation times, exponential stays of 4 days;
README "Results you can trust" has the full table): 15 beds at 120 % load,
100 of 100 replications flagged; 215 beds at 95 % load, 0 of 40.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.results import replications_table, summary_table
from sim.runner import run_replications
from sim.scenario import load_scenario
from sim.stability import BACKLOG_DAYS, grows_without_bound
from sim.trust import saturation_warnings

MMC = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc_wait.yaml"
DAYS = 365
REQUESTS = 5.0 * DAYS  # 5 requests a day: "a week's requests" is 35 people


def test_a_queue_growing_all_year_is_unbounded():
    growing = np.linspace(0, 200, DAYS)
    assert grows_without_bound(growing, REQUESTS)


def test_a_queue_that_clears_once_a_week_is_not():
    """However long the queue, a system that empties it now and then is keeping up (negative control of the above)."""
    clearing = np.linspace(0, 200, DAYS)
    clearing[::7] = 0
    assert not grows_without_bound(clearing, REQUESTS)


def test_a_backlog_that_never_clears_is_unbounded_even_without_a_trend():
    """Saturated in the warm-up already: hundreds waiting all year, rising in winter and falling in summer."""
    seasonal = 400 + 150 * np.cos(2 * np.pi * np.arange(DAYS) / DAYS)
    assert grows_without_bound(seasonal, REQUESTS)
    assert np.polyfit(np.arange(DAYS), seasonal, 1)[0] < 1e-9  # no upward trend at all


def test_a_small_queue_that_never_clears_is_not():
    """Under a week's requests waiting: a busy but coping system (the edge of the rule on both sides)."""
    week = BACKLOG_DAYS * REQUESTS / DAYS
    assert not grows_without_bound(np.full(DAYS, week - 0.5), REQUESTS)
    assert grows_without_bound(np.full(DAYS, week + 0.5), REQUESTS)


def test_too_little_to_judge_is_not_unbounded():
    assert not grows_without_bound(np.array([5.0, 6.0]), REQUESTS)
    assert not grows_without_bound(np.full(DAYS, 50.0), 0.0)


def ward(beds: int, load: float, replications: int) -> object:
    """An M/M/c ward (exponential stays of 4 days) at `load` = arrival rate / (beds / 4), one year after a warm-up
    of 8 relaxation times 1 / (c mu (1 - sqrt(rho))^2) for a stable load (so it starts near its steady state)."""
    mean_stay = 4.0
    relaxation = 1 / (beds / mean_stay * (1 - math.sqrt(min(load, 0.999))) ** 2)
    warmup = min(max(200.0, 8 * relaxation), 5000.0) if load < 1 else 200.0
    return load_scenario(MMC, [
        f"acute.beds={beds}", f"demand.arrivals_per_day={{all: {load * beds / mean_stay}}}",
        f"run.horizon_days={DAYS}", f"run.warmup_days={warmup}", f"run.replications={replications}", "run.seed=99",
    ])


def summary_of(scenario) -> object:
    results = run_replications(scenario, workers=2, progress=False)
    return summary_table(replications_table((scenario.name, r.replication, r.indicators) for r in results))


@pytest.mark.slow
def test_an_overloaded_ward_is_flagged_in_every_replication_and_warned_about():
    """15 beds at 120 % load: the queue grows by about 0.75 a day, 270 over the year (detection 100 of 100)."""
    summary = summary_of(ward(15, 1.2, 10)).set_index("indicator")
    assert summary.loc["bed_unstable_share", "mean"] == 1.0 and summary.loc["unstable_share", "mean"] == 1.0
    assert summary.loc["bed_queue_end", "mean"] > 200
    warnings = saturation_warnings(summary.reset_index())
    assert len(warnings) == 1 and "acute bed queue never cleared in 10 of 10 replications" in warnings[0]["message"]


@pytest.mark.slow
def test_a_large_stable_ward_near_full_load_is_not():
    """215 beds at 95 % load (mean wait about 3 hours): no replication flagged, no warning (0 of 40 measured)."""
    summary = summary_of(ward(215, 0.95, 8))
    values = summary.set_index("indicator")["mean"]
    assert values["unstable_share"] == 0.0 and values["bed_queue_mean"] > 1  # people do wait: the rule is not vacuous
    assert saturation_warnings(summary) == []
