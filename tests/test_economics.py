"""Economic measures from paired replications, on a case small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.batch.compare import COMPARISON_COLUMNS, comparison_table
from sim.batch.economics import bed_day_value
from sim.scenario.schema import Costs
from sim.stats import ratio_interval

T_2 = 4.302652729911275  # Student t, 2 degrees of freedom, 97.5 %: three replications
ACUTE = 400.0  # GBP a bed day in this case's cost of care
VALUE = 300.0  # GBP a freed bed day, for the net monetary benefit


def replication_rows(name: str, bed_days, admissions, community, programme: float) -> list[tuple]:
    """Long rows (scenario, replication, indicator, unit, value) of one scenario's three replications."""
    rows = []
    for r, (beds, admitted, care) in enumerate(zip(bed_days, admissions, community, strict=True)):
        acute = ACUTE * beds
        values = {"bed_days_per_year": beds, "admissions_per_year": admitted, "cost_acute_per_year": acute,
                  "cost_net_per_year": acute + care + programme}
        rows += [(name, r, indicator, "", value) for indicator, value in values.items()]
    return rows


@pytest.fixture(scope="module")
def comparison() -> pd.DataFrame:
    rows = replication_rows("baseline", [1000, 1100, 900], [100, 110, 90], [50_000, 52_000, 48_000], 0)
    # saves 100, 120, 80 bed days; 1,000 more community care each time; GBP 20,000 a year to run
    rows += replication_rows("saves_beds", [900, 980, 820], [100, 110, 90], [51_000, 53_000, 49_000], 20_000)
    # saves nothing distinguishable from zero (+5, -5, 0 bed days) and costs GBP 20,000 a year
    rows += replication_rows("saves_nothing", [1005, 1095, 900], [100, 110, 90], [50_000, 52_000, 48_000], 20_000)
    # avoids 5, 6, 4 admissions (and their bed days) for GBP 20,000 a year
    rows += replication_rows("avoids_admissions", [950, 1040, 860], [95, 104, 86], [50_000, 52_000, 48_000], 20_000)
    replications = pd.DataFrame(rows, columns=["scenario", "replication", "indicator", "unit", "value"])
    return comparison_table(replications, VALUE).set_index(["scenario", "indicator"])


def test_the_comparison_keeps_the_spec_columns_first(comparison):
    assert COMPARISON_COLUMNS[:11] == ["scenario", "indicator", "unit", "baseline", "baseline_mean", "scenario_mean",
                                       "diff", "diff_ci_low", "diff_ci_high", "rel_diff_pct", "replications"]
    assert list(comparison.reset_index().columns) == COMPARISON_COLUMNS


def test_cost_per_bed_day_saved_by_hand(comparison):
    """spend = 21,000 every replication (1,000 care + 20,000 programme); saved 100, 120, 80 (mean 100, sd 20).

    With a constant numerator Fieller's interval is a / (b +- t se): 21,000 / (100 +- 4.3027 x 20 / sqrt 3).
    """
    row = comparison.loc[("saves_beds", "cost_per_bed_day_saved")]
    half = T_2 * 20 / math.sqrt(3)
    assert row["diff"] == pytest.approx(210.0)
    assert row.diff_ci_low == pytest.approx(21_000 / (100 + half)) and row.diff_ci_high == pytest.approx(21_000 / (100 - half))
    assert row.unit == "GBP/bed day" and math.isnan(row.baseline_mean) and row.replications == 3


def test_net_monetary_benefit_by_hand(comparison):
    """300 x saved - spend = 9,000, 15,000, 3,000: mean 9,000, sd 6,000."""
    row = comparison.loc[("saves_beds", "net_monetary_benefit_per_year")]
    half = T_2 * 6_000 / math.sqrt(3)
    assert row["diff"] == pytest.approx(9_000) and row.diff_ci_low == pytest.approx(9_000 - half)
    assert row.diff_ci_high == pytest.approx(9_000 + half)
    # the net cost difference is the ordinary row: 21,000 spent, 100 x 400 of acute care saved
    net = comparison.loc[("saves_beds", "cost_net_per_year")]
    assert net["diff"] == pytest.approx(21_000 - 100 * ACUTE)


def test_an_option_that_saves_nothing_has_no_cost_per_bed_day_saved(comparison):
    """Saved +5, -5, 0: the quotient 20,000 / 0 would be infinite; it is reported undefined."""
    for measure in ("cost_per_bed_day_saved", "cost_per_admission_avoided"):
        row = comparison.loc[("saves_nothing", measure)]
        assert math.isnan(row["diff"]) and math.isnan(row.diff_ci_low) and math.isnan(row.diff_ci_high)
    nmb = comparison.loc[("saves_nothing", "net_monetary_benefit_per_year")]
    assert nmb["diff"] == pytest.approx(-20_000)  # 300 x (-5, 5, 0) - 20,000
    # negative control: the same code defines the ratio once admissions do fall
    assert comparison.loc[("avoids_admissions", "cost_per_admission_avoided"), "diff"] == pytest.approx(20_000 / 5)
    assert math.isnan(comparison.loc[("saves_beds", "cost_per_admission_avoided"), "diff"])


def test_relative_change_and_its_interval(comparison):
    row = comparison.loc[("saves_beds", "bed_days_per_year")]
    assert row.rel_diff_pct == pytest.approx(-10.0)  # -100 of 1,000
    assert row.rel_diff_ci_low < -10.0 < row.rel_diff_ci_high


def test_fieller_ends_are_where_the_paired_t_test_is_just_significant():
    """At either end R of the interval, mean(x - R y) is exactly on the edge of the 95 % t-test."""
    rng = np.random.default_rng(7)
    y = 50 + rng.normal(0, 8, 12)
    x = 3 * y + rng.normal(0, 20, 12)
    estimate, low, high = ratio_interval(x, y)
    assert estimate == pytest.approx(x.mean() / y.mean()) and low < estimate < high
    for end in (low, high):
        assert stats.ttest_1samp(x - end * y, 0).pvalue == pytest.approx(0.05, abs=1e-9)
    assert stats.ttest_1samp(x - estimate * y, 0).pvalue == pytest.approx(1.0)


def test_fieller_is_exact_for_proportional_pairs_and_undefined_for_a_zero_denominator():
    y = np.array([1.0, 1.2, 1.4, 1.6])
    assert ratio_interval(10 * y, y) == pytest.approx((10.0, 10.0, 10.0))
    assert all(math.isnan(v) for v in ratio_interval(np.array([1.0, 2.0, 3.0]), np.array([-1.0, 1.0, 0.5])))


def test_the_bed_day_value_defaults_to_the_acute_unit_cost():
    assert bed_day_value(Costs(acute_bed_day=395.0)) == 395.0
    assert bed_day_value(Costs(acute_bed_day=395.0, bed_day_value=273.0)) == 273.0
