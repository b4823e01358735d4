"""What an option costs, saves and is worth against the baseline, replication by replication.

Acute bed days are what an option frees; what it spends to free them is
everything else it changes in the net cost: its running cost (the programme)
and the change in community care (reablement, home care, intermediate care,
care homes). So, per replication r, against the baseline:

    spend_r     = (net cost - acute cost)_option,r - (net cost - acute cost)_baseline,r
    bed days saved_r = bed days_baseline,r - bed days_option,r   (all occupied acute bed days)

- cost per bed day saved = mean(spend) / mean(bed days saved): what freeing one
  acute bed day costs, to set against what a bed day is worth (the bed-day
  value at which the option breaks even);
- cost per admission avoided = mean(spend) / mean(admissions avoided);
- net monetary benefit = mean(value x bed days saved - spend), at the bed-day
  value of the baseline (costs.bed_day_value; empty: costs.acute_bed_day).

The net cost difference itself is the comparison's cost_net_per_year row:
there every bed day freed counts at the acute unit cost, as if its money came
back. A ratio has a Fieller interval (sim.stats.ratio_interval) and is
undefined (NaN) unless the saving's own 95 % interval lies above zero: an
option that saves no bed days has no cost per bed day saved, however large
the quotient of two small means would be.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.scenario.schema import Costs
from sim.stats import ratio_interval, t_interval

# name -> (unit, description), like sim.indicators.INDICATORS; rows of comparison.csv after the indicators
ECONOMIC_MEASURES: dict[str, tuple[str, str]] = {
    "cost_per_bed_day_saved": (
        "GBP/bed day",
        "Running cost and change in community care per acute bed day saved (undefined unless bed days are saved)",
    ),
    "cost_per_admission_avoided": (
        "GBP/admission",
        "Running cost and change in community care per emergency admission avoided (undefined unless admissions fall)",
    ),
    "net_monetary_benefit_per_year": (
        "GBP/year",
        "Acute bed days saved at the bed-day value, less the running cost and change in community care",
    ),
}
UNDEFINED = (math.nan, math.nan, math.nan)


def bed_day_value(costs: Costs) -> float:
    """What a freed acute bed day is worth: the scenario's bed_day_value, or else its acute unit cost."""
    return costs.acute_bed_day if costs.bed_day_value is None else costs.bed_day_value


def spend_besides_beds(base: pd.DataFrame, option: pd.DataFrame) -> pd.Series:
    """Per replication: the change in net cost other than acute beds (programme and community care)."""
    def besides(values: pd.DataFrame) -> pd.Series:
        return values["cost_net_per_year"] - values["cost_acute_per_year"]

    return besides(option) - besides(base)


def per_unit_saved(spend: pd.Series, saved: pd.Series) -> tuple[float, float, float]:
    """mean(spend) / mean(saved) with its Fieller interval, if the saving is distinguishable from zero and positive."""
    low = t_interval(saved.to_numpy())[1]
    if not low > 0:
        return UNDEFINED
    return ratio_interval(spend.to_numpy(), saved.to_numpy())


def economic_measures(base: pd.DataFrame, option: pd.DataFrame, value: float) -> dict[str, tuple[float, float, float]]:
    """Each measure's estimate and 95 % interval, from replication x indicator tables paired by replication."""
    spend = spend_besides_beds(base, option)
    bed_days_saved = base["bed_days_per_year"] - option["bed_days_per_year"]
    admissions_avoided = base["admissions_per_year"] - option["admissions_per_year"]
    return {
        "cost_per_bed_day_saved": per_unit_saved(spend, bed_days_saved),
        "cost_per_admission_avoided": per_unit_saved(spend, admissions_avoided),
        "net_monetary_benefit_per_year": t_interval((value * bed_days_saved - spend).to_numpy()),
    }
