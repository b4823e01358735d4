"""Results page: a finished run's warnings, options ranked and in words, headline indicators, charts and downloads.

Everything shown comes from the run's folder through the functions the HTML
report uses (sim.report: appraisal, tables, figures' data, numbers; sim.trust),
so the app and the report say the same.
"""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import streamlit as st

from sim.app import charts, jobs, results_root
from sim.app.readout import TABLES, read_tables, resolved_scenario_yaml
from sim.report import appraisal, tables
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


def scenario_charts(data: dict[str, pd.DataFrame], scenario: str) -> None:
    """One scenario's headline indicators and charts."""
    summary = data["summary.csv"]
    mine = summary[summary.scenario == scenario]
    st.subheader(f"Headline indicators: {appraisal.option_title(scenario)}")
    st.table(tables.headline_table(mine).set_index("indicator"))
    indexed = mine.set_index("indicator")
    daily = data["daily.csv"]
    daily = daily[daily.scenario == scenario] if "scenario" in daily else daily
    left, right = st.columns(2)
    left.altair_chart(charts.fan(daily))
    left.caption("Median (line), 50 % and 90 % of replications (dark and light bands); beds available dashed, "
                 "92 % of them dotted.")
    right.altair_chart(charts.fan(daily, "bed_queue"))
    right.caption("A queue that keeps rising, or never clears, is a saturated system.")
    los = data["los_histogram.csv"]
    left.altair_chart(charts.los_distribution(los[los.scenario == scenario], indexed.loc["mean_los_days", "mean"],
                                              indexed.loc["median_los_days", "mean"]))
    right.altair_chart(charts.by_pathway(indexed))
    left.altair_chart(charts.services(daily, "in_use"))
    right.altair_chart(charts.services(daily, "queue"))


def downloads(folder, data: dict[str, pd.DataFrame], scenario: str) -> None:
    st.subheader("Downloads")
    columns = st.columns(4)
    files = [name for name in [*TABLES, "contributions.csv", "run.json", "report.html"] if (folder / name).is_file()]
    for index, name in enumerate(files):
        columns[index % 4].download_button(name, data=(folder / name).read_bytes(), file_name=name,
                                           key=f"download|{name}")
    text = resolved_scenario_yaml(folder, scenario)
    if text is None:
        st.caption("No scenario file for this run: it was not started from the app and its run.json does not "
                   "hold the resolved scenarios.")
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
data = read_tables(folder)
meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
warnings_box(meta.get("warnings", []))
scenarios = list(dict.fromkeys(data["summary.csv"].scenario))
if "comparison.csv" in data:
    order = appraisal_section(data, meta)
    st.subheader("Differences from the baseline")
    indicator = st.selectbox("Indicator", [i for i in FOREST_INDICATORS if (data["comparison.csv"].indicator == i).any()],
                             format_func=appraisal.label, key="forest_indicator")
    left, right = st.columns(2)
    left.altair_chart(charts.forest(data["comparison.csv"], indicator, order))
    left.caption("Each option's paired difference from the baseline and its 95 % interval; an open marker's "
                 "interval includes no change.")
    right.altair_chart(charts.cost_plane(data["comparison.csv"], order))
scenario = st.selectbox("Scenario", scenarios, key="result_scenario", format_func=appraisal.option_title) \
    if len(scenarios) > 1 else scenarios[0]
scenario_charts(data, scenario)
downloads(folder, data, scenario)
