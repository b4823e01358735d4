"""Figures for the report: a data function (tested) and a drawing function for each.

Drawing functions take data frames and return a matplotlib Figure; they read
no files. Colours are greys and line styles differ, so every figure reads in
greyscale.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.indicators import INDICATORS  # noqa: E402
from sim.scenario.schema import PATHWAYS, SERVICES  # noqa: E402

FOREST_INDICATORS = [
    "mean_los_days", "delayed_bed_days_per_year", "mean_occupancy_pct",
    "readmission_30d_rate", "at_home_91d_rate", "cost_total_per_year",
]


def plain(indicator: str) -> str:
    """An indicator's name in plain words, with its unit."""
    return f"{indicator.replace('_', ' ')} ({INDICATORS[indicator][0]})" if indicator in INDICATORS else indicator


# --- occupancy over time ------------------------------------------------------------


def fan_data(daily: pd.DataFrame) -> pd.DataFrame:
    """Per day: median and 50 % / 90 % bands of occupied beds across replications, and beds available."""
    grouped = daily.groupby("day")
    data = grouped["beds_occupied"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    data.columns = ["p05", "p25", "p50", "p75", "p95"]
    data["beds_available"] = grouped["beds_available"].median()
    return data.reset_index()


def occupancy_fan(daily: pd.DataFrame) -> Figure:
    data = fan_data(daily)
    figure, axes = plt.subplots(figsize=(9, 4))
    axes.fill_between(data.day, data.p05, data.p95, color="0.85", label="90 % of replications")
    axes.fill_between(data.day, data.p25, data.p75, color="0.65", label="50 % of replications")
    axes.plot(data.day, data.p50, color="black", linewidth=1.5, label="median")
    axes.plot(data.day, data.beds_available, color="black", linestyle="--", linewidth=1, label="beds available")
    axes.plot(data.day, 0.92 * data.beds_available, color="black", linestyle=":", linewidth=1, label="92 % of beds")
    axes.set_xlabel("day of the horizon")
    axes.set_ylabel("occupied acute beds at midnight")
    axes.set_title("Acute bed occupancy over time")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


# --- length of stay and delay by pathway ----------------------------------------------


def pathway_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean LOS and mean delay by pathway, with their intervals, from the summary of one scenario."""
    rows = []
    for p in PATHWAYS:
        los = summary.loc[f"mean_los_days_{p}"]
        delay = summary.loc[f"mean_delay_days_{p}"]
        rows.append((p.upper(), los["mean"], los.ci_low, los.ci_high, delay["mean"], delay.ci_low, delay.ci_high))
    return pd.DataFrame(rows, columns=["pathway", "los", "los_low", "los_high", "delay", "delay_low", "delay_high"])


def los_and_delay(summary: pd.DataFrame) -> Figure:
    data = pathway_data(summary)
    figure, axes = plt.subplots(figsize=(7, 4))
    x = np.arange(len(data))
    for offset, (column, label, colour, hatch) in enumerate(
        [("los", "length of stay", "0.35", ""), ("delay", "of which discharge delay", "0.75", "//")]
    ):
        errors = [data[column] - data[f"{column}_low"], data[f"{column}_high"] - data[column]]
        axes.bar(x + (offset - 0.5) * 0.38, data[column], 0.38, yerr=errors, color=colour, hatch=hatch,
                 edgecolor="black", capsize=3, label=label)
    axes.set_xticks(x, data.pathway)
    axes.set_ylabel("days (mean, 95 % interval)")
    axes.set_title("Length of stay and discharge delay by pathway")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


# --- length of stay distribution --------------------------------------------------------


def los_histogram_data(los: pd.DataFrame) -> pd.DataFrame:
    """Share of spells ended in the horizon by whole days of stay, all replications pooled (los_histogram.csv)."""
    counts = los.groupby("days")["spells"].sum()
    return pd.DataFrame({"days": counts.index.to_numpy(), "share": (counts / max(counts.sum(), 1)).to_numpy()})


def los_distribution(los: pd.DataFrame, mean: float, median: float) -> Figure:
    """The histogram, with the mean and median length of stay (from summary.csv) marked."""
    data = los_histogram_data(los)
    last = int(data.days.max())
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.bar(data.days, 100 * data.share, width=0.9, color="0.55")
    for value, style, label in [(median, "-", "median"), (mean, "--", "mean")]:
        axes.axvline(value, color="black", linestyle=style, label=f"{label} {value:.1f} days")
    for value, label in [(7, "7 days (stranded)"), (21, "21 days (super-stranded)")]:
        axes.axvline(value, color="0.3", linestyle=":", linewidth=1)
        axes.annotate(label, (value, axes.get_ylim()[1] * 0.9), fontsize=8, xytext=(3, 0), textcoords="offset points")
    axes.set_xlabel(f"length of stay, whole days ({last}: {last} or more)")
    axes.set_ylabel("% of spells ended in the horizon")
    axes.set_title("Length of stay distribution (all replications)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


# --- community services -------------------------------------------------------------


def service_data(daily: pd.DataFrame) -> pd.DataFrame:
    """Per day: median places in use and median queue of each service across replications."""
    columns = [f"{s}_{kind}" for s in SERVICES for kind in ("in_use", "queue")]
    return daily.groupby("day")[columns].median().reset_index()


def service_use(daily: pd.DataFrame) -> Figure:
    data = service_data(daily)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for service, style in zip(SERVICES, ["-", "--", "-.", ":"], strict=True):
        top.plot(data.day, data[f"{service}_in_use"], color="black", linestyle=style, label=service.replace("_", " "))
        bottom.plot(data.day, data[f"{service}_queue"], color="black", linestyle=style, label=service.replace("_", " "))
    top.set_ylabel("places in use (median)")
    bottom.set_ylabel("people waiting (median)")
    bottom.set_xlabel("day of the horizon")
    top.set_title("Community services: places in use and queues")
    top.legend(fontsize=8, ncol=2)
    figure.tight_layout()
    return figure


# --- batches --------------------------------------------------------------------------


def forest_data(comparison: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Each option's paired difference from the baseline, with its 95 % interval, for one indicator."""
    rows = comparison[comparison.indicator == indicator]
    return rows[["scenario", "diff", "diff_ci_low", "diff_ci_high"]].reset_index(drop=True)


def forest(comparison: pd.DataFrame, indicators: list[str] = FOREST_INDICATORS) -> Figure:
    shown = [i for i in indicators if (comparison.indicator == i).any()]
    scenarios = list(dict.fromkeys(comparison.scenario))
    figure, axes_list = plt.subplots(1, len(shown), figsize=(3.2 * len(shown), 0.35 * len(scenarios) + 1.8), sharey=True)
    for axes, indicator in zip(np.atleast_1d(axes_list), shown, strict=True):
        data = forest_data(comparison, indicator).set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))
        axes.errorbar(data["diff"], y, xerr=[data["diff"] - data.diff_ci_low, data.diff_ci_high - data["diff"]],
                      fmt="s", color="black", capsize=3, markersize=4)
        axes.axvline(0, color="0.5", linewidth=1)
        axes.set_title(plain(indicator), fontsize=8)
        axes.tick_params(labelsize=7)
    first = np.atleast_1d(axes_list)[0]
    first.set_yticks(np.arange(len(scenarios)), [s.replace("_", " ") for s in scenarios])
    first.invert_yaxis()
    figure.suptitle("Difference from the baseline (mean and 95 % interval, paired by replication)", fontsize=10)
    figure.tight_layout()
    return figure


def cost_plane(comparison: pd.DataFrame) -> Figure:
    beds = forest_data(comparison, "delayed_bed_days_per_year").set_index("scenario")
    cost = forest_data(comparison, "cost_total_per_year").set_index("scenario")
    figure, axes = plt.subplots(figsize=(7, 5))
    axes.errorbar(beds["diff"], cost["diff"] / 1e6,
                  xerr=[beds["diff"] - beds.diff_ci_low, beds.diff_ci_high - beds["diff"]],
                  yerr=[(cost["diff"] - cost.diff_ci_low) / 1e6, (cost.diff_ci_high - cost["diff"]) / 1e6],
                  fmt="o", color="black", ecolor="0.5", capsize=2)
    for name in beds.index:
        axes.annotate(name.replace("_", " "), (beds.loc[name, "diff"], cost.loc[name, "diff"] / 1e6), fontsize=7,
                      xytext=(4, 4), textcoords="offset points")
    axes.axhline(0, color="0.6", linewidth=1)
    axes.axvline(0, color="0.6", linewidth=1)
    axes.set_xlabel("change in delayed bed days per year")
    axes.set_ylabel("change in cost of care, GBP million per year")
    axes.set_title("Cost against delayed bed days, each option against the baseline")
    figure.tight_layout()
    return figure


def contributions(table: pd.DataFrame, indicator: str = "mean_los_days") -> Figure:
    rows = table[table.indicator == indicator]
    figure, axes = plt.subplots(figsize=(7, 0.5 * len(rows) + 1.5))
    y = np.arange(len(rows))
    axes.barh(y - 0.2, rows.effect_alone, 0.4, color="0.4", label="alone")
    axes.barh(y + 0.2, rows.marginal_effect, 0.4, color="0.8", hatch="//", edgecolor="black", label="added to the rest")
    axes.set_yticks(y, [c.replace("_", " ") for c in rows.component])
    axes.axvline(0, color="black", linewidth=1)
    axes.set_xlabel(f"change in {plain(indicator)}")
    axes.set_title(f"What each part of {rows.package.iloc[0].replace('_', ' ')} does")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
