"""Paired comparisons against the baseline, and the contributions of a package's components.

Replication r of every scenario in a batch uses the same random numbers, so
the difference scenario - baseline is taken replication by replication and its
t-interval is much narrower than comparing two independent means.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.batch.plan import BASELINE, Package
from sim.indicators import unit_of
from sim.stats import t_interval

COMPARISON_COLUMNS = [
    "scenario", "indicator", "unit", "baseline", "baseline_mean", "scenario_mean",
    "diff", "diff_ci_low", "diff_ci_high", "rel_diff_pct", "replications",
]
CONTRIBUTION_COLUMNS = [
    "package", "component", "indicator", "unit", "effect_alone", "effect_alone_ci_low", "effect_alone_ci_high",
    "package_minus_alone", "package_minus_alone_ci_low", "package_minus_alone_ci_high", "package_effect",
]


def paired_values(replications: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Replication x indicator values of one scenario."""
    rows = replications[replications["scenario"] == scenario]
    return rows.pivot(index="replication", columns="indicator", values="value")


def comparison_table(replications: pd.DataFrame) -> pd.DataFrame:
    """Every scenario against the baseline: paired difference, its 95 % interval and the relative change."""
    base = paired_values(replications, BASELINE)
    rows = []
    for scenario in replications["scenario"].unique():
        if scenario == BASELINE:
            continue
        values = paired_values(replications, scenario)
        for indicator in values.columns:
            diff = (values[indicator] - base[indicator]).to_numpy()
            mean, low, high = t_interval(diff)
            base_mean = float(np.nanmean(base[indicator])) if base[indicator].notna().any() else math.nan
            relative = 100 * mean / base_mean if base_mean not in (0.0,) and math.isfinite(base_mean) else math.nan
            rows.append((
                scenario, indicator, unit_of(indicator), BASELINE, base_mean,
                float(np.nanmean(values[indicator])) if values[indicator].notna().any() else math.nan,
                mean, low, high, relative, len(diff),
            ))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def contributions_table(replications: pd.DataFrame, packages: list[Package]) -> pd.DataFrame:
    """Each component's effect alone, and the package's effect minus it.

    The second is what the other components add if effects simply add up; a
    run of "the package less this component" would measure it without that
    assumption. Both are paired by replication.
    """
    base = paired_values(replications, BASELINE)
    rows = []
    for package in packages:
        whole = paired_values(replications, package.scenario) - base
        for component in package.components:
            alone = paired_values(replications, component) - base
            without = whole - alone
            for indicator in whole.columns:
                a_mean, a_low, a_high = t_interval(alone[indicator].to_numpy())
                w_mean, w_low, w_high = t_interval(without[indicator].to_numpy())
                rows.append((
                    package.scenario, component, indicator, unit_of(indicator), a_mean, a_low, a_high,
                    w_mean, w_low, w_high, float(np.nanmean(whole[indicator])),
                ))
    return pd.DataFrame(rows, columns=CONTRIBUTION_COLUMNS)
