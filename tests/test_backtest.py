"""Back-test: a forecast from a census covers what the model itself then does, and misses a different world."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.backtest import backtest_table, read_observed
from sim.cli import main
from sim.model import CENSUS_COLUMNS, draw_arrivals, simulate
from sim.model.census_start import census_of
from sim.runner import run_replication
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario
from sim.streams import Streams
from model_helpers import BASELINE

HISTORY = Path(__file__).resolve().parents[1] / "calibration" / "history"
DAYS = 21
MEASURES = ["beds_occupied", "delayed_patients"]
FORECASTS = 60  # replications per forecast
TRUTHS = 6  # independent observed paths


def truth(replication: int, overrides: list[str]) -> tuple[list, pd.DataFrame]:
    """A census at day 0 and the observed days after it, from one run of the baseline (changed by `overrides`)."""
    scenario = load_scenario(BASELINE, [f"run.horizon_days={DAYS}", "run.seed=4242", *overrides])
    streams = Streams(scenario.run.seed, replication)
    records = simulate(scenario, draw_arrivals(scenario, streams), streams)
    daily = pd.DataFrame(records.census, columns=list(CENSUS_COLUMNS))
    return census_of(records, scenario, at=0.0), daily[["day", *MEASURES]]


def forecast_coverage(replication: int, truth_overrides: list[str]) -> float:
    """Share of observed days and measures inside the baseline's 90 % band, forecast from the truth's census."""
    census, observed = truth(replication, truth_overrides)
    data = load_scenario(BASELINE, [f"run.horizon_days={DAYS}"]).model_dump()
    data["census"] = [e.model_dump() for e in census]
    data["run"]["warmup_days"] = 0.0
    scenario = Scenario.model_validate(data)
    results = [run_replication(scenario, r) for r in range(FORECASTS)]
    return float(backtest_table(observed, results).inside.mean())


def exchangeable_coverage(n: int) -> float:
    """Expected coverage of numpy's interpolated 5-95 % band of n draws, for a new draw of the same (continuous) law.

    The band runs from order statistic 1 + 0.05 (n - 1) to 1 + 0.95 (n - 1) (1-based, interpolated); a new
    exchangeable draw falls between order statistics i and j with probability (j - i) / (n + 1). Ties in
    discrete counts only raise it.
    """
    return 0.90 * (n - 1) / (n + 1)


def test_a_forecast_from_the_census_covers_the_model_s_own_future_as_often_as_it_should():
    """Observed paths from the same model: mean coverage over independent paths is not below what an
    exchangeable draw gets (99 % t-interval over the paths, which are independent; days within a path are not).
    A world with 30 % more demand than the forecasting model must fall below it (negative control).
    """
    expected = exchangeable_coverage(FORECASTS)
    same = [forecast_coverage(k, []) for k in range(TRUTHS)]
    _, high = stats.t.interval(0.99, len(same) - 1, loc=np.mean(same), scale=stats.sem(same))
    assert high >= expected, (same, expected)

    busier = [forecast_coverage(k, ["demand.arrivals_per_day={'65-74': 6.9, '75-84': 8.6, '85+': 8.6}"]) for k in range(2)]
    assert max(busier) < expected, (busier, expected)


def test_the_backtest_command_writes_the_table_the_coverage_and_the_plot(tmp_path, capsys):
    code = main(["backtest", str(BASELINE), "--census", str(HISTORY / "census_day0.csv"),
                 "--observed", str(HISTORY / "observed_daily.csv"), "--replications", "4", "--workers", "1",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0
    coverage = pd.read_csv(tmp_path / "coverage.csv")
    observed = read_observed(HISTORY / "observed_daily.csv")
    assert list(coverage.measure) == [c for c in observed.columns if c != "day"]
    assert (coverage.days == len(observed)).all()
    daily = pd.read_csv(tmp_path / "backtest.csv")
    assert (daily.simulated_low <= daily.simulated_median).all() and (daily.simulated_median <= daily.simulated_high).all()
    assert coverage.set_index("measure").inside_share.to_dict() == daily.groupby("measure").inside.mean().to_dict()
    assert (tmp_path / "backtest.png").read_bytes()[:4] == b"\x89PNG"
    assert "observed days inside the simulated 90 % band" in capsys.readouterr().out


def test_the_census_command_writes_a_census_and_an_observed_series(tmp_path):
    code = main(["census", str(BASELINE), "--at", "0", "--set", "run.horizon_days=7", "--set", "run.warmup_days=200",
                 "--out", str(tmp_path / "census.csv"), "--daily", str(tmp_path / "daily.csv")])
    assert code == 0
    daily = pd.read_csv(tmp_path / "daily.csv")
    assert list(daily.day) == list(range(7))
    census = pd.read_csv(tmp_path / "census.csv")
    assert (census.place == "acute_bed").sum() == daily.beds_occupied.iloc[0]


def test_backtest_inputs_that_do_not_fit_exit_2(tmp_path, capsys):
    bad = tmp_path / "observed.csv"
    bad.write_text("day,beds\n0,200\n")
    code = main(["backtest", str(BASELINE), "--census", str(HISTORY / "census_day0.csv"), "--observed", str(bad)])
    assert code == 2
    assert "columns ['beds']" in capsys.readouterr().err
    code = main(["backtest", str(BASELINE), "--observed", str(HISTORY / "observed_daily.csv")])
    assert code == 2
    assert "census: none given" in capsys.readouterr().err
