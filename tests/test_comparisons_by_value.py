"""Paired comparisons and contributions on a 3-replication case worked out by hand.

Three replications of each scenario, written as replications.csv would hold
them (rows in no particular order: pairs are made by replication number). The
95 % interval of a mean of 3 paired differences is mean +- t x sd / sqrt(3),
with t = 4.302653 (Student's t, 2 degrees of freedom, 97.5 % point; 4.303 in
printed tables).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.batch.compare import COMPARISON_COLUMNS, comparison_table, contributions_table
from sim.batch.economics import ECONOMIC_MEASURES
from sim.batch.plan import Component
from sim.indicators import unit_of

T2 = 4.302652729749462  # Student's t, 2 degrees of freedom, 97.5 % point
SE_OF_ONE_THIRD = math.sqrt(1 / 3) / math.sqrt(3)  # sd of (a, a, a - 1) or (a, a - 1, a) is sqrt(1/3); / sqrt(3)

# indicator -> scenario -> values of replications 0, 1, 2
VALUES = {
    "mean_los_days": {
        "baseline": [8.0, 10.0, 12.0],
        "option": [9.0, 12.0, 18.0],  # differences 1, 2, 6
        "pkg": [6.0, 7.0, 9.0],  # differences -2, -3, -3
        "pkg__only_a": [7.0, 9.0, 10.0],  # differences -1, -1, -2
        "pkg__without_a": [8.0, 9.0, 12.0],  # differences 0, -1, 0
    },
    "diverted_share": {  # nothing diverted in the baseline: no relative change
        "baseline": [0.0, 0.0, 0.0],
        "option": [0.1, 0.2, 0.3],
    },
    "at_home_91d_rate": {  # undefined in one baseline replication: that pair drops out
        "baseline": [0.8, math.nan, 0.9],
        "option": [0.85, 0.7, 0.95],
    },
}


# what the economic measures read (sim.batch.economics, tested in test_economics.py): the same everywhere here
UNCHANGED = {"cost_net_per_year": 1e6, "cost_acute_per_year": 4e5, "bed_days_per_year": 1e3, "admissions_per_year": 1e2}
SCENARIOS = list(VALUES["mean_los_days"])


def replications_csv() -> pd.DataFrame:
    every = {**VALUES, **{name: {s: [value] * 3 for s in SCENARIOS} for name, value in UNCHANGED.items()}}
    rows = [
        (scenario, replication, indicator, unit_of(indicator), value)
        for indicator, by_scenario in every.items()
        for scenario, values in by_scenario.items()
        for replication, value in enumerate(values)
    ]
    table = pd.DataFrame(rows, columns=["scenario", "replication", "indicator", "unit", "value"])
    return table.sample(frac=1.0, random_state=3).reset_index(drop=True)  # pairing must not rely on row order


def only(table: pd.DataFrame, **where) -> pd.Series:
    for column, value in where.items():
        table = table[table[column] == value]
    assert len(table) == 1, where
    return table.iloc[0]


def two_scenarios() -> pd.DataFrame:
    table = replications_csv()
    return table[table.scenario.isin(["baseline", "option"])]


def test_a_paired_difference_its_interval_and_the_relative_change():
    """Differences d = 1, 2, 6: mean 3, sd sqrt(7); baseline b = 8, 10, 12: mean 10, so +30 %.

    The relative change's interval is Fieller's: the ratios R with 3 - 10 R indistinguishable from 0, i.e. the
    roots of (10^2 - t^2 s_bb) R^2 - 2 (3 x 10 - t^2 s_db) R + (3^2 - t^2 s_dd) = 0, where the variances of the
    means are s_dd = 7 / 3, s_bb = 4 / 3 and the covariance s_db = (-2 x -2 + -1 x 0 + 3 x 2) / 2 / 3 = 5 / 3.
    """
    row = only(comparison_table(two_scenarios()), scenario="option", indicator="mean_los_days")
    half = T2 * math.sqrt(7) / math.sqrt(3)
    assert row.baseline == "baseline" and row.unit == "days" and row.replications == 3
    assert row.baseline_mean == pytest.approx(10.0) and row.scenario_mean == pytest.approx(13.0)
    assert row["diff"] == pytest.approx(3.0)
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((3.0 - half, 3.0 + half), rel=1e-9)
    assert row.rel_diff_pct == pytest.approx(30.0)
    t2 = T2**2
    a, b, c = 100 - t2 * 4 / 3, 30 - t2 * 5 / 3, 9 - t2 * 7 / 3  # a R^2 - 2 b R + c = 0
    roots = ((b - math.sqrt(b * b - a * c)) / a, (b + math.sqrt(b * b - a * c)) / a)
    assert roots == pytest.approx((-0.6853, 0.6626), abs=1e-4)  # worked out on paper to 4 places
    assert (row.rel_diff_ci_low, row.rel_diff_ci_high) == pytest.approx((100 * roots[0], 100 * roots[1]), rel=1e-9)


def test_no_relative_change_from_a_baseline_of_zero():
    row = only(comparison_table(two_scenarios()), scenario="option", indicator="diverted_share")
    half = T2 * 0.1 / math.sqrt(3)  # differences 0.1, 0.2, 0.3: sd 0.1
    assert row["diff"] == pytest.approx(0.2)
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((0.2 - half, 0.2 + half), rel=1e-9)
    assert row.baseline_mean == 0.0 and math.isnan(row.rel_diff_pct)
    assert math.isnan(row.rel_diff_ci_low) and math.isnan(row.rel_diff_ci_high)


def test_an_undefined_value_drops_its_pair_only():
    """Pairs 0 and 2 differ by 0.05 each: the interval closes on 0.05; the means skip the gap."""
    row = only(comparison_table(two_scenarios()), scenario="option", indicator="at_home_91d_rate")
    assert row["diff"] == pytest.approx(0.05)
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((0.05, 0.05))
    assert row.baseline_mean == pytest.approx(0.85) and row.scenario_mean == pytest.approx((0.85 + 0.7 + 0.95) / 3)
    assert row.rel_diff_pct == pytest.approx(100 * 0.05 / 0.85)
    assert row.replications == 3


def test_every_scenario_but_the_baseline_gets_a_row_per_indicator():
    table = comparison_table(replications_csv())
    assert list(table.columns) == COMPARISON_COLUMNS
    assert set(table.scenario) == {"option", "pkg", "pkg__only_a", "pkg__without_a"}
    indicators = [*VALUES, *UNCHANGED]
    for scenario in SCENARIOS[1:]:  # every indicator of it (those it has), then the economic measures
        mine = table[table.scenario == scenario]
        assert set(mine.indicator) - set(ECONOMIC_MEASURES) <= set(indicators)
        assert set(ECONOMIC_MEASURES) <= set(mine.indicator)
    assert only(table, scenario="pkg", indicator="mean_los_days")["diff"] == pytest.approx(-8 / 3)


def test_a_component_alone_without_it_and_its_marginal_effect():
    """The package differs from the baseline by -2, -3, -3 (mean -8/3); the component alone by -1, -1, -2;
    the package without it by 0, -1, 0; the component's marginal effect (package - without) is -2, -2, -3.
    Each of the three has an sd of sqrt(1/3)."""
    component = Component("pkg", "a", "pkg__only_a", "pkg__without_a")
    table = contributions_table(replications_csv(), [component])
    row = only(table, indicator="mean_los_days")
    half = T2 * SE_OF_ONE_THIRD
    assert (row.package, row.component, row.unit) == ("pkg", "a", "days")
    assert row.package_effect == pytest.approx(-8 / 3)
    expected = {  # column of the mean, of the interval's ends (prefix), and the mean by hand
        "effect_alone": ("effect_alone", -4 / 3),
        "package_without_effect": ("package_without", -1 / 3),
        "marginal_effect": ("marginal", -7 / 3),
    }
    for column, (prefix, mean) in expected.items():
        assert row[column] == pytest.approx(mean), column
        interval = (row[f"{prefix}_ci_low"], row[f"{prefix}_ci_high"])
        assert interval == pytest.approx((mean - half, mean + half), rel=1e-9), column
