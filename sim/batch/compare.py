"""Paired comparisons against the baseline, and the contributions of a package's components.

Replication r of every scenario in a batch uses the same random numbers, so
the difference scenario - baseline is taken replication by replication and its
t-interval is much narrower than comparing two independent means.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.batch.economics import ECONOMIC_MEASURES, economic_measures
from sim.batch.plan import BASELINE, Component
from sim.indicators import unit_of
from sim.stats import ratio_interval, t_interval

COMPARISON_COLUMNS = [
    "scenario", "indicator", "unit", "baseline", "baseline_mean", "scenario_mean",
    "diff", "diff_ci_low", "diff_ci_high", "rel_diff_pct", "replications",
    "rel_diff_ci_low", "rel_diff_ci_high",
]
CONTRIBUTION_COLUMNS = [
    "package", "component", "indicator", "unit", "package_effect",
    "effect_alone", "effect_alone_ci_low", "effect_alone_ci_high",
    "package_without_effect", "package_without_ci_low", "package_without_ci_high",
    "marginal_effect", "marginal_ci_low", "marginal_ci_high",
]


def paired_values(replications: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Replication x indicator values of one scenario."""
    rows = replications[replications["scenario"] == scenario]
    return rows.pivot(index="replication", columns="indicator", values="value")


def comparison_table(replications: pd.DataFrame, bed_day_value: float = math.nan) -> pd.DataFrame:
    """Every scenario against the baseline: paired difference, its 95 % interval and the relative change.

    The relative change (in %) is the mean difference over the baseline mean;
    its interval is Fieller's (undefined where the baseline mean is not
    distinguishable from zero). After each scenario's indicators come its
    economic measures (sim.batch.economics), with the net monetary benefit at
    `bed_day_value` GBP a bed day; a ratio has no baseline or scenario mean.
    """
    base = paired_values(replications, BASELINE)
    rows = []
    for scenario in replications["scenario"].unique():
        if scenario == BASELINE:
            continue
        values = paired_values(replications, scenario)
        for indicator in values.columns:
            diff = (values[indicator] - base[indicator]).to_numpy()
            mean, low, high = t_interval(diff)
            base_mean = _mean(base[indicator])
            relative = 100 * mean / base_mean if base_mean != 0 and math.isfinite(base_mean) else math.nan
            _, rel_low, rel_high = (100 * v for v in ratio_interval(diff, base[indicator].to_numpy()))
            rows.append((
                scenario, indicator, unit_of(indicator), BASELINE, base_mean, _mean(values[indicator]),
                mean, low, high, relative, len(diff), rel_low, rel_high,
            ))
        for measure, (estimate, low, high) in economic_measures(base, values, bed_day_value).items():
            rows.append((scenario, measure, ECONOMIC_MEASURES[measure][0], BASELINE, math.nan, math.nan,
                         estimate, low, high, math.nan, len(values), math.nan, math.nan))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _mean(values: pd.Series) -> float:
    return float(np.nanmean(values)) if values.notna().any() else math.nan


def contributions_table(replications: pd.DataFrame, components: list[Component]) -> pd.DataFrame:
    """For each component of a package, against the baseline and paired by replication:

    - effect_alone: the baseline with only this component's values;
    - package_without_effect: the package with this component's values put back;
    - marginal_effect: package - package without it, what this component adds to the rest.
    """
    base = paired_values(replications, BASELINE)
    rows = []
    for component in components:
        whole = paired_values(replications, component.package)
        only = paired_values(replications, component.only)
        without = paired_values(replications, component.without)
        for indicator in whole.columns:
            alone = t_interval((only[indicator] - base[indicator]).to_numpy())
            rest = t_interval((without[indicator] - base[indicator]).to_numpy())
            marginal = t_interval((whole[indicator] - without[indicator]).to_numpy())
            package_effect = t_interval((whole[indicator] - base[indicator]).to_numpy())[0]
            rows.append((component.package, component.name, indicator, unit_of(indicator), package_effect, *alone, *rest, *marginal))
    return pd.DataFrame(rows, columns=CONTRIBUTION_COLUMNS)
