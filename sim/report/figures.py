"""Figures for the report: a data function (tested) and a drawing function for each.

Drawing functions take data frames and return a matplotlib Figure; they read
no files. Colours are greys and line styles differ, so every figure reads in
greyscale. Every figure is as wide as an A4 page's text (PAGE_WIDTH) and no
text in it is smaller than MIN_FONT_PT, so it prints legibly at A4 and shows
legibly on a 1280-pixel slide.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.indicators import INDICATORS  # noqa: E402
from sim.report.appraisal import HIGHER_IS_BETTER, MEASURES, label, option_title  # noqa: E402
from sim.scenario.schema import PATHWAYS, SERVICES  # noqa: E402

PAGE_WIDTH = 6.3  # inches: A4 (210 mm) less 25 mm margins each side
MIN_FONT_PT = 8.0
FOREST_INDICATORS = [
    "delayed_bed_days_per_year", "mean_los_days", "mean_occupancy_pct",
    "readmission_30d_rate", "at_home_91d_rate", "cost_net_per_year",
]
OCCUPANCY_CEILING = 0.92  # the planning ceiling of acute bed occupancy, drawn on the occupancy fan
MARKERS = ["o", "s", "^", "v", "D", "P", "X", "*", "h", "<", ">", "p"]


def plain(indicator: str) -> str:
    """An indicator's name in plain words, with its unit."""
    return f"{indicator.replace('_', ' ')} ({INDICATORS[indicator][0]})" if indicator in INDICATORS else indicator


# --- occupancy over time ------------------------------------------------------------


def fan_data(daily: pd.DataFrame, measure: str = "beds_occupied") -> pd.DataFrame:
    """Per day: median and 50 % / 90 % bands of a daily measure across replications, beds available and 92 % of them."""
    grouped = daily.groupby("day")
    data = grouped[measure].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    data.columns = ["p05", "p25", "p50", "p75", "p95"]
    data["beds_available"] = grouped["beds_available"].median()
    data["ceiling"] = OCCUPANCY_CEILING * data["beds_available"]
    return data.reset_index()


def bed_queue(daily: pd.DataFrame) -> Figure:
    """People waiting for an acute bed each midnight: a queue that keeps rising is a saturated system."""
    data = fan_data(daily, "bed_queue")
    figure, axes = _fan_axes(data, height=3.2)
    axes.set_ylim(bottom=0)
    return _labelled(figure, axes, "waiting for a bed at midnight", "The bed queue over time", "upper left")


def _fan_axes(data: pd.DataFrame, height: float) -> tuple[Figure, plt.Axes]:
    """A page-wide figure with the replications' 90 % and 50 % bands and their median (from fan_data)."""
    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, height))
    axes.fill_between(data.day, data.p05, data.p95, color="0.85", label="90 % of replications")
    axes.fill_between(data.day, data.p25, data.p75, color="0.65", label="50 % of replications")
    axes.plot(data.day, data.p50, color="black", linewidth=1.5, label="median")
    return figure, axes


def _labelled(figure: Figure, axes: plt.Axes, ylabel: str, title: str, legend_at: str) -> Figure:
    axes.set_xlabel("day of the horizon")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(loc=legend_at, fontsize=MIN_FONT_PT)
    figure.tight_layout()
    return figure


def occupancy_fan(daily: pd.DataFrame) -> Figure:
    data = fan_data(daily)
    figure, axes = _fan_axes(data, height=3.6)
    axes.plot(data.day, data.beds_available, color="black", linestyle="--", linewidth=1, label="beds available")
    axes.plot(data.day, data.ceiling, color="black", linestyle=":", linewidth=1,
              label=f"{100 * OCCUPANCY_CEILING:g} % of beds")
    return _labelled(figure, axes, "occupied acute beds at midnight", "Acute bed occupancy over time", "lower right")


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
    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 3.6))
    x = np.arange(len(data))
    for offset, (column, name, colour, hatch) in enumerate(
        [("los", "length of stay", "0.35", ""), ("delay", "of which discharge delay", "0.75", "//")]
    ):
        errors = [data[column] - data[f"{column}_low"], data[f"{column}_high"] - data[column]]
        axes.bar(x + (offset - 0.5) * 0.38, data[column], 0.38, yerr=errors, color=colour, hatch=hatch,
                 edgecolor="black", capsize=3, label=name)
    axes.set_xticks(x, data.pathway)
    axes.set_ylabel("days (mean, 95 % interval)")
    axes.set_title("Length of stay and discharge delay by pathway")
    axes.legend(fontsize=MIN_FONT_PT)
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
    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 3.6))
    axes.bar(data.days, 100 * data.share, width=0.9, color="0.55")
    for value, style, name in [(median, "-", "median"), (mean, "--", "mean")]:
        axes.axvline(value, color="black", linestyle=style, label=f"{name} {value:.1f} days")
    for value, words in [(7, "7 days (stranded)"), (21, "21 days (super-stranded)")]:
        axes.axvline(value, color="0.3", linestyle=":", linewidth=1)
        axes.annotate(words, (value, axes.get_ylim()[1] * 0.9), fontsize=MIN_FONT_PT, xytext=(3, 0),
                      textcoords="offset points")
    axes.set_xlabel(f"length of stay, whole days ({last}: {last} or more)")
    axes.set_ylabel("% of spells ended in the horizon")
    axes.set_title("Length of stay distribution (all replications)")
    axes.legend(fontsize=MIN_FONT_PT, loc="center right")
    figure.tight_layout()
    return figure


# --- community services -------------------------------------------------------------


def service_data(daily: pd.DataFrame) -> pd.DataFrame:
    """Per day: median places in use and median queue of each service across replications."""
    columns = [f"{s}_{kind}" for s in SERVICES for kind in ("in_use", "queue")]
    return daily.groupby("day")[columns].median().reset_index()


def service_use(daily: pd.DataFrame) -> Figure:
    data = service_data(daily)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(PAGE_WIDTH, 5.4), sharex=True)
    for service, style in zip(SERVICES, ["-", "--", "-.", ":"], strict=True):
        top.plot(data.day, data[f"{service}_in_use"], color="black", linestyle=style, label=service.replace("_", " "))
        bottom.plot(data.day, data[f"{service}_queue"], color="black", linestyle=style, label=service.replace("_", " "))
    top.set_ylabel("places in use (median)")
    bottom.set_ylabel("people waiting (median)")
    bottom.set_xlabel("day of the horizon")
    top.set_title("Community services: places in use and queues")
    top.legend(fontsize=MIN_FONT_PT, ncol=2)
    figure.tight_layout()
    return figure


# --- batches --------------------------------------------------------------------------


def forest_data(comparison: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Each option's paired difference from the baseline, with its 95 % interval, for one indicator."""
    rows = comparison[comparison.indicator == indicator]
    return rows[["scenario", "diff", "diff_ci_low", "diff_ci_high"]].reset_index(drop=True)


def axis_scale(indicator: str) -> tuple[float, str]:
    """How a difference is drawn: (multiplier, unit in words) - shares in points, money in GBP million."""
    unit = MEASURES[indicator][0]
    if unit == "share" or unit == "%":
        return (100.0 if unit == "share" else 1.0), "percentage points"
    if unit.startswith("GBP"):
        return 1e-6, "GBP million a year"
    return 1.0, unit.replace("/", " a ")


def forest(comparison: pd.DataFrame, indicator: str, order: list[str] | None = None) -> Figure:
    """One indicator's panel: each option's paired difference and 95 % interval (open marker: includes 0).

    One figure per indicator, so each fits a page and a slide; the report
    stacks them. `order`: the options top to bottom (default: as in the table).
    """
    options = order or [s for s in dict.fromkeys(comparison.scenario) if s != "baseline"]
    data = forest_data(comparison, indicator).set_index("scenario").reindex(options)
    factor, unit_words = axis_scale(indicator)
    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 0.3 * len(options) + 1.1))
    y = np.arange(len(options))
    clear = (data.diff_ci_low > 0) | (data.diff_ci_high < 0)
    for shown, face in ((clear, "black"), (~clear, "white")):
        rows = data[shown]
        axes.errorbar(rows["diff"] * factor, y[shown.to_numpy()],
                      xerr=[((rows["diff"] - rows.diff_ci_low) * factor).clip(lower=0),
                            ((rows.diff_ci_high - rows["diff"]) * factor).clip(lower=0)],
                      fmt="s", color="black", markerfacecolor=face, capsize=3, markersize=5)
    axes.axvline(0, color="0.5", linewidth=1)
    axes.set_yticks(y, [option_title(o) for o in options])
    axes.set_ylim(len(options) - 0.5, -0.5)
    axes.set_xlabel(f"change from the baseline, {unit_words}")
    axes.set_title(f"{option_title(label(indicator))}: mean and 95 % interval", fontsize=10)
    figure.tight_layout()
    return figure


def cost_plane_data(comparison: pd.DataFrame, effect: str = "delayed_bed_days_per_year") -> pd.DataFrame:
    """Per option: change in `effect` and in net cost (running cost plus care), each with its 95 % interval."""
    beds = forest_data(comparison, effect).set_index("scenario")
    cost = forest_data(comparison, "cost_net_per_year").set_index("scenario")
    return beds.merge(cost, left_index=True, right_index=True, suffixes=("_effect", "_cost")).reset_index()


def quadrant_words(better: bool, cheaper: bool) -> str:
    return f"{'cheaper' if cheaper else 'dearer'} and {'better' if better else 'worse'}"


def cost_plane(comparison: pd.DataFrame, effect: str = "delayed_bed_days_per_year", order: list[str] | None = None) -> Figure:
    """Net cost against the change in `effect`, the quadrants named, each option a marker of its own in the key.

    `order`: the options in the key (default: as in the table).
    """
    data = cost_plane_data(comparison, effect)
    if order:
        data = data.set_index("scenario").reindex(order).reset_index()
    factor, unit_words = axis_scale(effect)
    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 5.6))
    def reach(centre: float, low: float, high: float) -> list[list[float]]:  # never below 0 by rounding
        return [[max(centre - low, 0.0)], [max(high - centre, 0.0)]]

    for index, row in data.iterrows():
        x, y = row.diff_effect * factor, row.diff_cost / 1e6
        axes.errorbar(x, y, xerr=reach(x, row.diff_ci_low_effect * factor, row.diff_ci_high_effect * factor),
                      yerr=reach(y, row.diff_ci_low_cost / 1e6, row.diff_ci_high_cost / 1e6),
                      fmt=MARKERS[index % len(MARKERS)], color="black", ecolor="0.55", capsize=2, markersize=7,
                      markerfacecolor="black" if index < len(MARKERS) else "white", label=option_title(row.scenario))
    axes.axhline(0, color="0.6", linewidth=1)
    axes.axvline(0, color="0.6", linewidth=1)
    for limits, set_limits in ((axes.get_xlim(), axes.set_xlim), (axes.get_ylim(), axes.set_ylim)):
        reach = max(abs(limits[0]), abs(limits[1]))
        set_limits(-1.25 * reach, 1.25 * reach)  # zero in the middle, room in the corners for their names
    for x_side in (-1, 1):
        for y_side in (-1, 1):
            better = (x_side > 0) == (effect in HIGHER_IS_BETTER)
            axes.text(0.02 if x_side < 0 else 0.98, 0.03 if y_side < 0 else 0.97, quadrant_words(better, y_side < 0),
                      transform=axes.transAxes, ha="left" if x_side < 0 else "right",
                      va="bottom" if y_side < 0 else "top", fontsize=9, color="0.35", style="italic")
    axes.set_xlabel(f"change in {label(effect)}, {unit_words}")
    axes.set_ylabel("change in net cost, GBP million a year")
    axes.set_title(f"Net cost against {label(effect)}, each option against the baseline", fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=9, frameon=False)
    figure.tight_layout()
    return figure


def contributions(table: pd.DataFrame, indicator: str = "mean_los_days") -> Figure:
    rows = table[table.indicator == indicator]
    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 0.5 * len(rows) + 1.5))
    y = np.arange(len(rows))
    axes.barh(y - 0.2, rows.effect_alone, 0.4, color="0.4", label="alone")
    axes.barh(y + 0.2, rows.marginal_effect, 0.4, color="0.8", hatch="//", edgecolor="black", label="added to the rest")
    axes.set_yticks(y, [c.replace("_", " ") for c in rows.component])
    axes.axvline(0, color="black", linewidth=1)
    axes.set_xlabel(f"change in {plain(indicator)}")
    axes.set_title(f"What each part of {rows.package.iloc[0].replace('_', ' ')} does")
    axes.legend(fontsize=MIN_FONT_PT)
    figure.tight_layout()
    return figure
