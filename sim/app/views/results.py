"""Results page: a finished run's warnings, options ranked and in words, headline indicators, charts and downloads.

Everything shown comes from the run's folder through the functions the HTML
report uses (sim.report: appraisal, tables, figures' data, numbers; sim.trust),
so the app and the report say the same.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from sim.app import charts, jobs, results_root
from sim.app.readout import TABLES, read_tables, resolved_scenario_yaml
from sim.report import appraisal, tables, write_report
from sim.report.figures import FOREST_INDICATORS
from sim.trust import warning_summary


def warnings_box(warnings: list[dict]) -> None:
    """What the results cannot be trusted for, at the top (sim.trust), with each warning in full below."""
    if not warnings:
        return
    st.warning("**Read these results with care** (the run is valid; these say how far its numbers can be read):\n\n"
               + "\n".join(f"- {line}" for line in warning_summary(warnings)))
    with st.expander(f"Each warning in full ({len(warnings)})"):
        for item in warnings:
            st.markdown(f"- {item['message']}")


def appraisal_section(data: dict[str, pd.DataFrame], meta: dict) -> list[str]:
    """Options ranked, in words, and against the baseline; returns the options best first."""
    comparison = appraisal.options_only(data["comparison.csv"])
    rank_by = st.selectbox("Rank the options by", list(appraisal.MEASURES), key="rank_by",
                           index=list(appraisal.MEASURES).index(appraisal.DEFAULT_RANK_BY),
                           format_func=lambda m: f"{appraisal.label(m)} ({m})")
    order = appraisal.ranking(comparison, rank_by).option.tolist()
    st.subheader("Summary")
    st.markdown(f"**{appraisal.headline(comparison, rank_by, data.get('replications.csv'))}**")
    ranked = appraisal.ranking_table(comparison, rank_by)
    st.dataframe(ranked[[c for c in ranked.columns if not c.startswith("distinguishable_")]], hide_index=True,
                 key="ranking")
    st.caption(f"Options best first by their change in {appraisal.label(rank_by)} against the baseline, each with "
               f"its 95 % interval from {int(comparison.replications.max())} paired replications. Counts and days "
               "change in %, shares in percentage points (pp), money in GBP a year.")
    descriptions = meta.get("descriptions", {})
    for rank, option in enumerate(order, start=1):
        st.markdown(f"{rank}. {appraisal.summary_sentence(comparison, option, rank_by)}")
        if descriptions.get(option):
            st.caption(descriptions[option])
    with st.expander("Options against the baseline: every key indicator"):
        table = appraisal.options_table(comparison)
        shown = table[["label", "option", "baseline_text", "value_text", "diff_text", "rel_text", "distinguishable"]]
        st.dataframe(shown.set_axis(["indicator", "option", "baseline", "option's value", "difference (95 % interval)",
                                     "relative change", "distinguishable from no change"], axis=1),
                     hide_index=True, key="options_table")
    return order


@st.cache_data(max_entries=32, show_spinner=False)
def tables_of(folder: str, stamp: float) -> dict[str, pd.DataFrame]:
    """A run's tables, read once while its run.json is unchanged (`stamp`: its modification time)."""
    return read_tables(Path(folder))


@st.cache_data(max_entries=64, show_spinner=False)
def scenario_specs(folder: str, stamp: float, scenario: str) -> list[dict]:
    """One scenario's six charts as Vega-Lite specs (built once: Altair takes a second or two on a busy machine)."""
    data = tables_of(folder, stamp)
    indexed = data["summary.csv"][data["summary.csv"].scenario == scenario].set_index("indicator")
    daily = data["daily.csv"][data["daily.csv"].scenario == scenario]
    los = data["los_histogram.csv"][data["los_histogram.csv"].scenario == scenario]
    drawn = [charts.fan(daily), charts.fan(daily, "bed_queue"),
             charts.los_distribution(los, indexed.loc["mean_los_days", "mean"], indexed.loc["median_los_days", "mean"]),
             charts.by_pathway(indexed), charts.services(daily, "in_use"), charts.services(daily, "queue")]
    return [chart.to_dict() for chart in drawn]


@st.cache_data(max_entries=64, show_spinner=False)
def comparison_specs(folder: str, stamp: float, indicator: str, order: tuple[str, ...]) -> list[dict]:
    """The forest plot of one indicator and the cost plane, as Vega-Lite specs."""
    comparison = tables_of(folder, stamp)["comparison.csv"]
    return [charts.forest(comparison, indicator, list(order)).to_dict(),
            charts.cost_plane(comparison, list(order)).to_dict()]


@st.cache_data(max_entries=64, show_spinner=False)
def scenario_yaml(folder: str, stamp: float, scenario: str) -> str | None:
    return resolved_scenario_yaml(Path(folder), scenario)


def scenario_charts(folder: Path, stamp: float, data: dict[str, pd.DataFrame], scenario: str) -> None:
    """One scenario's headline indicators and charts."""
    summary = data["summary.csv"]
    st.subheader(f"Headline indicators: {appraisal.option_title(scenario)}")
    st.table(tables.headline_table(summary[summary.scenario == scenario]).set_index("indicator"))
    occupancy, queue, los, pathways, in_use, waiting = scenario_specs(str(folder), stamp, scenario)
    left, right = st.columns(2)
    left.vega_lite_chart(occupancy)
    left.caption("Median (line), 50 % and 90 % of replications (dark and light bands); beds available dashed, "
                 "92 % of them dotted.")
    right.vega_lite_chart(queue)
    right.caption("A queue that keeps rising, or never clears, is a saturated system.")
    left.vega_lite_chart(los)
    right.vega_lite_chart(pathways)
    left.vega_lite_chart(in_use)
    right.vega_lite_chart(waiting)


def downloads(folder: Path, stamp: float, scenario: str) -> None:
    """Every table the folder holds, run.json and report.html as they are, and the scenario as run (YAML)."""
    st.subheader("Downloads")
    columns = st.columns(4)
    files = [name for name in [*TABLES, "contributions.csv", "run.json", "report.html"] if (folder / name).is_file()]
    for index, name in enumerate(files):
        columns[index % 4].download_button(name, data=(folder / name).read_bytes(), file_name=name,
                                           key=f"download|{name}")
    if "report.html" not in files and (folder / "run.json").is_file() and st.button(
            "Write report.html", key="write_report", help="The self-contained HTML report of this run (a few seconds)."):
        with st.spinner("Writing the report"):
            write_report(folder)
        st.rerun()
    if not scenario:  # a folder that is not a run's: no scenario to offer
        return
    text = scenario_yaml(str(folder), stamp, scenario)
    if text is None:
        st.caption("No scenario file for this run: its run.json does not record the resolved scenarios (a folder "
                   "written by an older version).")
    else:
        st.download_button(f"{scenario}.yaml (the scenario as run)", data=text, file_name=f"{scenario}.yaml",
                           key="download|scenario")


st.title("Results")
finished = [r for r in jobs.past_runs(results_root()) if r.state == "finished"]
if not finished:
    st.info("No finished runs in the results folder yet: start one on the Run and compare page.")
    st.stop()
names = [r.name for r in finished]
wanted = st.session_state.pop("open_run", None)
if wanted in names:
    st.session_state.result = wanted
if st.session_state.get("result") not in names:
    st.session_state.pop("result", None)
chosen = st.selectbox("Run", names, key="result",
                      format_func=lambda n: f"{n} ({datetime.fromtimestamp(finished[names.index(n)].started):%d %b %Y %H:%M})")
folder = results_root() / chosen
stamp = (folder / "run.json").stat().st_mtime
data = tables_of(str(folder), stamp)
meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
warnings_box(meta.get("warnings", []))
if not {"summary.csv", "daily.csv", "los_histogram.csv"} <= set(data):  # a sensitivity run, a calibration, an old run
    st.info("This folder does not hold the tables of a run or a comparison (summary.csv, daily.csv and "
            "los_histogram.csv): its files are below, and its report.html if it has one.")
    downloads(folder, stamp, "")
    st.stop()
scenarios = list(dict.fromkeys(data["summary.csv"].scenario))
if "comparison.csv" in data:
    order = appraisal_section(data, meta)
    st.subheader("Differences from the baseline")
    indicator = st.selectbox("Indicator", [i for i in FOREST_INDICATORS if (data["comparison.csv"].indicator == i).any()],
                             format_func=appraisal.label, key="forest_indicator")
    forest, plane = comparison_specs(str(folder), stamp, indicator, tuple(order))
    left, right = st.columns(2)
    left.vega_lite_chart(forest)
    left.caption("Each option's paired difference from the baseline and its 95 % interval; an open marker's "
                 "interval includes no change.")
    right.vega_lite_chart(plane)
scenario = st.selectbox("Scenario", scenarios, key="result_scenario", format_func=appraisal.option_title) \
    if len(scenarios) > 1 else scenarios[0]
scenario_charts(folder, stamp, data, scenario)
downloads(folder, stamp, scenario)
