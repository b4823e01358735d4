"""Interactive charts of the app (Altair: hover shows the values), drawn from the report's figure data.

Every chart takes its numbers from the data function the HTML report draws
from (sim/report/figures.py), so the app and the report cannot disagree;
only the drawing differs (interactive here, print-ready there).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sim.report import figures
from sim.report.appraisal import HIGHER_IS_BETTER, MEASURES, distinguishable, label, option_title
from sim.report.numbers import format_estimate, format_interval
from sim.scenario.schema import SERVICES

HEIGHT = 260  # of the plotting area; title, axes and legend come on top (Streamlit would squeeze them into it)
OUTER, INNER, LINE = "#c6dbef", "#6baed6", "#08306b"  # 90 % band, 50 % band, median
COUNT = alt.Axis(format=",.0f", tickMinStep=1)  # beds, places, people: whole numbers, never 0.000000


def framed(chart: alt.LayerChart, title: str, height: int = HEIGHT) -> alt.LayerChart:
    """A chart as wide as its column, with a plotting area `height` pixels high and its title above it."""
    return chart.properties(title=title, height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def legend() -> alt.Legend:
    return alt.Legend(title=None, orient="bottom", columns=2, labelLimit=260)


def _day_hover(data: pd.DataFrame, y: str, tooltip: list) -> list[alt.Chart]:
    """A point on the line at the day nearest the pointer, with every value of that day, and a rule through it."""
    hover = alt.selection_point(fields=["day"], nearest=True, on="pointerover", empty=False, clear="pointerout")
    points = alt.Chart(data).mark_point(filled=True, size=50, color=LINE).encode(
        x="day:Q", y=f"{y}:Q", opacity=alt.condition(hover, alt.value(1.0), alt.value(0.0)), tooltip=tooltip,
    ).add_params(hover)
    rule = alt.Chart(data).mark_rule(color="gray", opacity=0.5).encode(x="day:Q").transform_filter(hover)
    return [points, rule]


def fan(daily: pd.DataFrame, measure: str = "beds_occupied") -> alt.LayerChart:
    """Occupied beds (or, with measure="bed_queue", people waiting for a bed) each midnight across replications:
    median, 50 % and 90 % bands; for occupancy also beds available and the 92 % line."""
    data = figures.fan_data(daily, measure)
    occupancy = measure == "beds_occupied"
    lines = {"p50": "median"} | ({"beds_available": "beds available",
                                   "ceiling": f"{100 * figures.OCCUPANCY_CEILING:g} % of beds"} if occupancy else {})
    long = data.melt(id_vars="day", value_vars=list(lines), var_name="series", value_name="value")
    long["series"] = long.series.map(lines)
    y_title = "occupied acute beds at midnight" if occupancy else "waiting for a bed at midnight"
    base = alt.Chart(data).encode(x=alt.X("day:Q", title="day of the horizon"))
    bands = [
        base.mark_area(color=OUTER).encode(y=alt.Y("p05:Q", title=y_title, axis=COUNT), y2="p95:Q"),
        base.mark_area(color=INNER).encode(y="p25:Q", y2="p75:Q"),
    ]
    drawn = alt.Chart(long).mark_line(color=LINE).encode(
        x="day:Q", y="value:Q",
        strokeDash=alt.StrokeDash("series:N", sort=list(lines.values()), legend=legend()),
    )
    tooltip = [alt.Tooltip("day:Q", title="day"), alt.Tooltip("p50:Q", title="median", format=",.0f"),
               alt.Tooltip("p25:Q", title="50 % band from", format=",.0f"),
               alt.Tooltip("p75:Q", title="50 % band to", format=",.0f"),
               alt.Tooltip("p05:Q", title="90 % band from", format=",.0f"),
               alt.Tooltip("p95:Q", title="90 % band to", format=",.0f")]
    if occupancy:
        tooltip.append(alt.Tooltip("beds_available:Q", title="beds available", format=",.0f"))
    title = "Acute bed occupancy over time" if occupancy else "The bed queue over time"
    return framed(alt.layer(*bands, drawn, *_day_hover(data, "p50", tooltip)), title)


def los_distribution(los: pd.DataFrame, mean: float, median: float) -> alt.LayerChart:
    """Share of spells by whole days of stay (all replications), with the mean, median, 7 and 21 days marked."""
    data = figures.los_histogram_data(los).assign(percent=lambda d: 100 * d.share, end=lambda d: d.days + 1)
    last = int(data.days.max())
    bars = alt.Chart(data).mark_rect(color=INNER, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("days:Q", title=f"length of stay, whole days ({last}: {last} or more)"), x2="end:Q",
        y=alt.Y("percent:Q", title="% of spells ended in the horizon"), y2=alt.datum(0),
        tooltip=[alt.Tooltip("days:Q", title="days"), alt.Tooltip("percent:Q", title="% of spells", format=".2f")],
    )
    marks = pd.DataFrame({"days": [median, mean, 7.0, 21.0],
                          "mark": [f"median {median:.1f} days", f"mean {mean:.1f} days", "7 days (stranded)",
                                   "21 days (super-stranded)"]})
    rules = alt.Chart(marks).mark_rule(color=LINE).encode(
        x="days:Q", strokeDash=alt.StrokeDash("mark:N", sort=list(marks.mark), legend=legend()),
        tooltip=[alt.Tooltip("mark:N", title="marks")],
    )
    return framed(alt.layer(bars, rules), "Length of stay distribution (all replications)")


def by_pathway(summary: pd.DataFrame) -> alt.LayerChart:
    """Mean length of stay and mean discharge delay by pathway, with 95 % intervals (summary indexed by indicator)."""
    data = figures.pathway_data(summary)
    long = pd.concat([
        data[["pathway", column, f"{column}_low", f"{column}_high"]].set_axis(["pathway", "days", "low", "high"], axis=1)
        .assign(measure=words) for column, words in (("los", "length of stay"), ("delay", "of which discharge delay"))
    ], ignore_index=True)
    long["interval"] = [format_interval(lo, hi, "days") for lo, hi in zip(long.low, long.high, strict=False)]
    order = ["length of stay", "of which discharge delay"]
    encoding = dict(x=alt.X("pathway:N", title="discharge pathway"), xOffset=alt.XOffset("measure:N", sort=order))
    bars = alt.Chart(long).mark_bar().encode(
        **encoding, y=alt.Y("days:Q", title="days (mean, 95 % interval)"),
        color=alt.Color("measure:N", sort=order, scale=alt.Scale(range=[INNER, OUTER]), legend=legend()),
        tooltip=[alt.Tooltip("pathway:N"), alt.Tooltip("measure:N"), alt.Tooltip("days:Q", title="mean days", format=".2f"),
                 alt.Tooltip("interval:N", title="95 % interval")],
    )
    errors = alt.Chart(long).mark_rule(color=LINE).encode(**encoding, y="low:Q", y2="high:Q")
    return framed(alt.layer(bars, errors), "Length of stay and discharge delay by pathway")


def services(daily: pd.DataFrame, kind: str) -> alt.LayerChart:
    """Median places in use (kind="in_use") or people waiting (kind="queue") of each community service by day."""
    data = figures.service_data(daily)
    columns = {f"{s}_{kind}": s.replace("_", " ") for s in SERVICES}
    long = data.melt(id_vars="day", value_vars=list(columns), var_name="service", value_name="value")
    long["service"] = long.service.map(columns)
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("day:Q", title="day of the horizon"),
        y=alt.Y("value:Q", title="places in use (median)" if kind == "in_use" else "people waiting (median)", axis=COUNT),
        color=alt.Color("service:N", sort=list(columns.values()), legend=legend()),
    )
    tooltip = [alt.Tooltip("day:Q")] + [alt.Tooltip(f"{c}:Q", title=words, format=",.0f") for c, words in columns.items()]
    what = "places in use" if kind == "in_use" else "people waiting for a place"
    busiest = data[list(columns)].mean().idxmax()  # the hover points sit on the busiest service's line
    return framed(alt.layer(lines, *_day_hover(data, busiest, tooltip)), f"Community services: {what}")


def forest(comparison: pd.DataFrame, indicator: str, order: list[str]) -> alt.LayerChart:
    """Each option's paired difference from the baseline in one indicator, with its 95 % interval (open: includes 0)."""
    factor, unit_words = figures.axis_scale(indicator)
    unit = MEASURES[indicator][0]
    data = figures.forest_data(comparison, indicator).set_index("scenario").reindex(order).reset_index()
    data = data.assign(
        option=[option_title(o) for o in data.scenario], x=data["diff"] * factor,
        low=data.diff_ci_low * factor, high=data.diff_ci_high * factor,
        clear=["yes" if distinguishable(lo, hi) else "no" for lo, hi in zip(data.diff_ci_low, data.diff_ci_high, strict=False)],
        change=[format_estimate(d, lo, hi, unit, difference=True)
                for d, lo, hi in zip(data["diff"], data.diff_ci_low, data.diff_ci_high, strict=False)],
    )
    y = alt.Y("option:N", sort=[option_title(o) for o in order], title=None, axis=alt.Axis(labelLimit=220))
    tooltip = [alt.Tooltip("option:N"), alt.Tooltip("change:N", title="change (95 % interval)"),
               alt.Tooltip("clear:N", title="distinguishable from no change")]
    intervals = alt.Chart(data).mark_rule(color=LINE).encode(x="low:Q", x2="high:Q", y=y, tooltip=tooltip)
    points = alt.Chart(data).mark_point(shape="square", size=70, color=LINE, opacity=1).encode(
        x=alt.X("x:Q", title=f"change from the baseline, {unit_words}", scale=alt.Scale(zero=True)), y=y,
        fill=alt.Fill("clear:N", scale=alt.Scale(domain=["yes", "no"], range=[LINE, "white"]), legend=None),
        tooltip=tooltip,
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="gray").encode(x="x:Q")
    return framed(alt.layer(zero, intervals, points), f"{option_title(label(indicator))}: mean and 95 % interval",
                  max(60, 36 * len(order)))


def cost_plane(comparison: pd.DataFrame, order: list[str], effect: str = "delayed_bed_days_per_year") -> alt.LayerChart:
    """Each option's change in net cost against its change in `effect`, both with 95 % intervals."""
    factor, unit_words = figures.axis_scale(effect)
    data = figures.cost_plane_data(comparison, effect).set_index("scenario").reindex(order).reset_index()
    unit = MEASURES[effect][0]
    data = data.assign(
        option=[option_title(o) for o in data.scenario],
        x=data.diff_effect * factor, x_low=data.diff_ci_low_effect * factor, x_high=data.diff_ci_high_effect * factor,
        y=data.diff_cost / 1e6, y_low=data.diff_ci_low_cost / 1e6, y_high=data.diff_ci_high_cost / 1e6,
        effect_text=[format_estimate(d, lo, hi, unit, difference=True) for d, lo, hi in
                     zip(data.diff_effect, data.diff_ci_low_effect, data.diff_ci_high_effect, strict=False)],
        cost_text=[format_estimate(d, lo, hi, "GBP/year", difference=True) for d, lo, hi in
                   zip(data.diff_cost, data.diff_ci_low_cost, data.diff_ci_high_cost, strict=False)],
    )
    tooltip = [alt.Tooltip("option:N"), alt.Tooltip("effect_text:N", title=f"change in {label(effect)}"),
               alt.Tooltip("cost_text:N", title="change in net cost a year")]
    colour = alt.Color("option:N", sort=list(data.option), scale=alt.Scale(scheme="tableau10"), legend=legend())
    better = "right" if effect in HIGHER_IS_BETTER else "left"
    layers = [
        alt.Chart(pd.DataFrame({"v": [0.0]})).mark_rule(color="gray").encode(x="v:Q"),
        alt.Chart(pd.DataFrame({"v": [0.0]})).mark_rule(color="gray").encode(y="v:Q"),
        alt.Chart(data).mark_rule().encode(x="x_low:Q", x2="x_high:Q", y="y:Q", color=colour, tooltip=tooltip),
        alt.Chart(data).mark_rule().encode(x="x:Q", y="y_low:Q", y2="y_high:Q", color=colour, tooltip=tooltip),
        alt.Chart(data).mark_point(filled=True, size=90).encode(
            x=alt.X("x:Q", title=[f"change in {label(effect)}, {unit_words}", f"(better to the {better})"],
                    scale=alt.Scale(zero=True)),
            y=alt.Y("y:Q", title=["change in net cost,", "GBP million a year (cheaper below)"], scale=alt.Scale(zero=True)),
            color=colour, shape=alt.Shape("option:N", sort=list(data.option)), tooltip=tooltip),
    ]
    return framed(alt.layer(*layers), f"Net cost against {label(effect)}", 300)
