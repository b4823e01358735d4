"""Option appraisal for people: ranking, the options tables and a sentence per option, from comparison.csv.

Data in, data out: every function takes the comparison table (and the
replications, names or descriptions it needs) and returns a data frame or
plain strings. The report's HTML (sim/report/page.py) and the web app draw
them; numbers are shown through sim.report.numbers, so they read the same
everywhere.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.batch.economics import ECONOMIC_MEASURES
from sim.batch.plan import BASELINE
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.report.numbers import format_estimate, format_number
from sim.stats import t_interval

MEASURES: dict[str, tuple[str, str]] = {**INDICATORS, **ECONOMIC_MEASURES}  # name -> (unit, description)
DEFAULT_RANK_BY = "delayed_bed_days_per_year"
# Ranked highest first; every other measure lowest first (fewer bed days, shorter stays, lower cost...).
HIGHER_IS_BETTER = frozenset({"at_home_91d_rate", "reablement_independent_share", "net_monetary_benefit_per_year"})
KEY_INDICATORS = [
    "delayed_bed_days_per_year", "mean_los_days", "bed_days_per_year", "mean_occupancy_pct", "admissions_per_year",
    "readmission_30d_rate", "at_home_91d_rate", "cost_programme_per_year", "cost_net_per_year",
    "cost_per_bed_day_saved", "cost_per_admission_avoided", "net_monetary_benefit_per_year",
]
LABELS = {  # plain words for sentences and headings; other names read with their underscores as spaces
    "delayed_bed_days_per_year": "delayed bed days",
    "mean_los_days": "mean length of stay",
    "bed_days_per_year": "acute bed days",
    "mean_occupancy_pct": "bed occupancy",
    "admissions_per_year": "emergency admissions",
    "readmission_30d_rate": "30-day readmission rate",
    "at_home_91d_rate": "share at home 91 days after discharge",
    "cost_programme_per_year": "running cost",
    "cost_total_per_year": "cost of care",
    "cost_net_per_year": "net cost",
    "cost_per_bed_day_saved": "cost per bed day saved",
    "cost_per_admission_avoided": "cost per admission avoided",
    "net_monetary_benefit_per_year": "net monetary benefit",
}
VERBS = {"mean_los_days": ("shortens", "lengthens")}  # (down, up); default ("cuts", "raises")


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def option_title(name: str) -> str:
    """seven_day_discharge -> Seven day discharge."""
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def check_rank_by(name: str) -> str:
    """The name, if options can be ranked by it; InputError naming what is expected otherwise."""
    if name not in MEASURES:
        raise InputError(f"--rank-by {name}: not an indicator; expected one of {', '.join(MEASURES)}")
    return name


def in_points(unit: str) -> bool:
    """Shares and percentages change in percentage points; everything else relatively (%) or in its unit."""
    return unit in ("share", "%")


def options_only(comparison: pd.DataFrame) -> pd.DataFrame:
    """The options of a comparison: a package's derived parts (<package>__only_<c>, __without_<c>) are not options."""
    return comparison[~comparison.scenario.str.contains("__only_|__without_")]


def _rows(comparison: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """One indicator's rows, by option, without the baseline."""
    rows = comparison[(comparison.indicator == indicator) & (comparison.scenario != BASELINE)]
    return rows.set_index("scenario")


def distinguishable(low: float, high: float) -> bool:
    """The 95 % interval excludes zero (a missing interval distinguishes nothing)."""
    return bool(math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0))


# --- ranking --------------------------------------------------------------------------------------


def ranking(comparison: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY) -> pd.DataFrame:
    """Options best first by their mean difference in `rank_by` (undefined last), with rank and interval."""
    check_rank_by(rank_by)
    rows = _rows(comparison, rank_by)
    key = -rows["diff"] if rank_by in HIGHER_IS_BETTER else rows["diff"]
    ordered = rows.assign(_key=key).sort_values("_key", na_position="last", kind="stable")
    table = ordered[["diff", "diff_ci_low", "diff_ci_high", "rel_diff_pct", "rel_diff_ci_low", "rel_diff_ci_high"]]
    table = table.reset_index().rename(columns={"scenario": "option"})
    table.insert(0, "rank", range(1, len(table) + 1))
    table["distinguishable"] = [distinguishable(lo, hi) for lo, hi in zip(table.diff_ci_low, table.diff_ci_high)]
    return table


def lead_over_next(replications: pd.DataFrame, first: str, second: str, indicator: str) -> tuple[float, float, float]:
    """first - second in `indicator`, paired by replication (the same patients), and its 95 % interval."""
    chosen = replications[replications.indicator == indicator]
    values = chosen.pivot(index="replication", columns="scenario", values="value")
    return t_interval((values[first] - values[second]).to_numpy())


# --- how a change is said -------------------------------------------------------------------------


RATIOS = frozenset({"cost_per_bed_day_saved", "cost_per_admission_avoided"})  # not differences: no + sign


def change_text(row: pd.Series, indicator: str, millions: bool | None = None) -> str:
    """A change for a table cell: points for shares and %, money in GBP, otherwise relative (%)."""
    unit = MEASURES[indicator][0]
    if in_points(unit) or unit.startswith("GBP"):
        return format_estimate(row["diff"], row.diff_ci_low, row.diff_ci_high, unit,
                               difference=indicator not in RATIOS, millions=millions)
    return format_estimate(row.rel_diff_pct, row.rel_diff_ci_low, row.rel_diff_ci_high, "%", signed=True)


def in_millions(values: pd.DataFrame | pd.Series) -> bool:
    """Whether a column of money reads best in GBP millions: if any value in it reaches GBP 1m."""
    return bool((values.abs() >= 1e6).to_numpy().any())


def effect_phrase(row: pd.Series, indicator: str) -> str:
    """'cuts delayed bed days by 31.1 % (95 % interval 30.5 % to 31.8 %)', or that no change can be told apart."""
    unit = MEASURES[indicator][0]
    points = in_points(unit)
    value, low, high = (row["diff"], row.diff_ci_low, row.diff_ci_high) if points else (
        row.rel_diff_pct, row.rel_diff_ci_low, row.rel_diff_ci_high)
    shown_unit = unit if points else "%"
    if not distinguishable(row.diff_ci_low, row.diff_ci_high):
        amount = format_estimate(value, low, high, shown_unit, difference=points, signed=True, words=True)
        value_text, _, interval = amount.partition(" (")
        inside = f", 95 % interval {interval[:-1]}" if interval else ""
        return f"changes {label(indicator)} by no amount distinguishable from none ({value_text}{inside})"
    down, up = VERBS.get(indicator, ("cuts", "raises"))
    verb = down if value < 0 else up
    if value < 0:
        value, low, high = -value, -high, -low
    amount = format_estimate(value, low, high, shown_unit, words=True)
    return f"{verb} {label(indicator)} by {_interval_words(amount)}"


def _interval_words(estimate: str) -> str:
    """'5 % (3 % to 7 %)' -> '5 % (95 % interval 3 % to 7 %)'; an estimate without an interval stays as it is."""
    return estimate.replace(" (", " (95 % interval ", 1)


def net_cost_words(row: pd.Series) -> str:
    """'a net cost of GBP 0.4m (95 % interval ...) a year', or 'a net saving of ...' when it clearly saves."""
    if row.diff_ci_high < 0:
        saving = format_estimate(-row["diff"], -row.diff_ci_high, -row.diff_ci_low, "GBP/year")
        return f"a net saving of {_interval_words(saving)} a year"
    cost = format_estimate(row["diff"], row.diff_ci_low, row.diff_ci_high, "GBP/year")
    return f"a net cost of {_interval_words(cost)} a year"


# --- the tables -----------------------------------------------------------------------------------


def options_table(comparison: pd.DataFrame, indicators: list[str] = KEY_INDICATORS) -> pd.DataFrame:
    """For each key indicator and option: baseline, option, difference (interval), relative change, distinguishable.

    Numbers both raw (for tools) and as text rounded to what the replications
    support (for people). Economic measures have a difference only.
    """
    records = []
    for indicator in indicators:
        unit = MEASURES[indicator][0]
        rows = _rows(comparison, indicator)
        halves = (rows.diff_ci_high - rows.diff_ci_low) / 2
        finest = halves[halves > 0].min() if (halves > 0).any() else math.nan  # one precision for the baseline
        for option, row in rows.iterrows():
            half = (row.diff_ci_high - row.diff_ci_low) / 2
            undefined = indicator in RATIOS and not math.isfinite(row["diff"])
            records.append({
                "indicator": indicator, "label": label(indicator), "unit": unit, "option": option,
                "baseline": row.baseline_mean, "value": row.scenario_mean, "diff": row["diff"],
                "diff_ci_low": row.diff_ci_low, "diff_ci_high": row.diff_ci_high, "rel_diff_pct": row.rel_diff_pct,
                "rel_diff_ci_low": row.rel_diff_ci_low, "rel_diff_ci_high": row.rel_diff_ci_high,
                "distinguishable": distinguishable(row.diff_ci_low, row.diff_ci_high),
                "baseline_text": format_number(row.baseline_mean, unit, finest),
                "value_text": format_number(row.scenario_mean, unit, half),
                "diff_text": "undefined" if undefined else format_estimate(
                    row["diff"], row.diff_ci_low, row.diff_ci_high, unit, difference=indicator not in RATIOS),
                "rel_text": format_estimate(row.rel_diff_pct, row.rel_diff_ci_low, row.rel_diff_ci_high, "%", signed=True),
            })
    return pd.DataFrame.from_records(records)


def ranking_table(comparison: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY) -> pd.DataFrame:
    """The first screen's table: options best first, the ranking indicator, LOS, and what each costs and is worth.

    Text cells, one row per option; `distinguishable_<column>` says whether each
    change's interval excludes zero (the page greys those that do not).
    """
    order = ranking(comparison, rank_by).option.tolist()
    columns = list(dict.fromkeys([rank_by, DEFAULT_RANK_BY, "mean_los_days", "cost_programme_per_year",
                                  "cost_net_per_year", "cost_per_bed_day_saved", "net_monetary_benefit_per_year"]))
    table = pd.DataFrame({"rank": range(1, len(order) + 1), "option": [option_title(o) for o in order]})
    for indicator in columns:
        unit = MEASURES[indicator][0]
        rows = _rows(comparison, indicator).reindex(order)
        if indicator == "cost_programme_per_year":  # a fixed sum: the option's own value, no interval
            millions = in_millions(rows.scenario_mean)
            table[label(indicator)] = [format_number(v, unit, millions=millions) for v in rows.scenario_mean]
            continue
        millions = in_millions(rows[["diff", "diff_ci_low", "diff_ci_high"]])
        table[label(indicator)] = [change_text(row, indicator, millions) if math.isfinite(row["diff"]) else "undefined"
                                   for _, row in rows.iterrows()]
        table[f"distinguishable_{label(indicator)}"] = [distinguishable(lo, hi)
                                                        for lo, hi in zip(rows.diff_ci_low, rows.diff_ci_high)]
    return table


# --- words ----------------------------------------------------------------------------------------


def summary_sentence(comparison: pd.DataFrame, option: str, rank_by: str = DEFAULT_RANK_BY) -> str:
    """One sentence: what the option does to the ranking indicator and LOS, the bed days it frees and their price,
    and its net cost."""
    def row(indicator: str) -> pd.Series:
        return _rows(comparison, indicator).loc[option]

    parts = [effect_phrase(row(rank_by), rank_by)]
    if rank_by != "mean_los_days":
        parts.append(effect_phrase(row("mean_los_days"), "mean_los_days"))
    sentence = f"{option_title(option)} " + " and ".join(parts)
    beds, price = row("bed_days_per_year"), row("cost_per_bed_day_saved")
    if math.isfinite(price["diff"]):
        freed = format_number(-beds["diff"], "bed days", (beds.diff_ci_high - beds.diff_ci_low) / 2)
        if price.diff_ci_high < 0:  # community care saved more than the running cost
            saved = format_estimate(-price["diff"], -price.diff_ci_high, -price.diff_ci_low, "GBP")
            sentence += (f", freeing {freed} acute bed days a year and saving, for each, "
                         f"{saved} more in community care than it costs to run")
        else:
            cost = format_estimate(price["diff"], price.diff_ci_low, price.diff_ci_high, "GBP")
            sentence += f", freeing {freed} acute bed days a year at {cost.replace(' (', ' each (', 1)}"
    else:
        sentence += f", freeing no acute bed days that {int(beds.replications)} replications can tell from none"
    return f"{sentence}, for {net_cost_words(row('cost_net_per_year'))}."


def headline(comparison: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY, replications: pd.DataFrame | None = None) -> str:
    """Which option does most for the ranking indicator (and for LOS), by how much, how sure, at what net cost."""
    order = ranking(comparison, rank_by)
    if order.empty:
        return "There are no options to compare with the baseline."
    best = order.option.iloc[0]
    effect = _rows(comparison, rank_by).loc[best]
    if distinguishable(effect.diff_ci_low, effect.diff_ci_high):
        text = (f"Of {len(order)} option{'s' if len(order) > 1 else ''}, {option_title(best)} does most for "
                f"{label(rank_by)}: it {effect_phrase(effect, rank_by)}, for "
                f"{net_cost_words(_rows(comparison, 'cost_net_per_year').loc[best])}.")
    else:
        text = (f"No option changes {label(rank_by)} by an amount distinguishable from none; the largest change is "
                f"{option_title(best)}'s, which {effect_phrase(effect, rank_by)}.")
    if replications is not None and len(order) > 1:
        second = order.option.iloc[1]
        lead = lead_over_next(replications, best, second, rank_by)
        unit = MEASURES[rank_by][0]
        gap = format_estimate(*lead, unit, difference=True)
        told = "" if distinguishable(lead[1], lead[2]) else ", not distinguishable from no difference"
        words = "" if in_points(unit) or unit.startswith("GBP") else f" {unit.replace('/', ' a ')}"
        text += (f" Against the next best, {option_title(second)}, the difference is "
                 f"{_interval_words(gap)}{words}{told}.")
    if rank_by != "mean_los_days":
        los = ranking(comparison, "mean_los_days").option.iloc[0]
        same = "also does most" if los == best else "does most"
        text += (f" For mean length of stay, {option_title(los)} {same}: it "
                 f"{effect_phrase(_rows(comparison, 'mean_los_days').loc[los], 'mean_los_days')}.")
    return text


def summary_lines(comparison: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY,
                  replications: pd.DataFrame | None = None) -> list[str]:
    """The headline, then one sentence per option, best first: what `compare` and `batch` print."""
    options = options_only(comparison)
    return [headline(options, rank_by, replications),
            *(f"{rank}. {summary_sentence(options, option, rank_by)}"
              for rank, option in enumerate(ranking(options, rank_by).option, start=1))]
