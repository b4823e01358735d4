"""Run and compare page: a baseline and any options, replications or a precision, Run; and every run with its state.

A run is the command line's `run` (a baseline alone) or `compare` (with
options), started in a process of its own (sim.app.jobs): the page only
starts it and reads its folder, so it stays responsive, and a run goes on
when the browser is closed.
"""

from __future__ import annotations

import os

import streamlit as st

from sim.app import jobs, results_root, ui

STATE_WORDS = {"running": "running", "writing tables": "writing tables", "finished": "finished",
               "failed": "failed", "stopped": "stopped before it finished"}


@st.fragment(run_every=1.0)
def runs() -> None:
    """Every run of the results folder, newest first: progress while running, Open when finished (refreshed every second)."""
    found = jobs.past_runs(results_root())
    if not found:
        st.caption("No runs yet.")
        return
    for run in found:
        with st.container(border=True):
            top, buttons = st.columns([4, 1])
            when = f"{run.seconds:,.0f} s" if run.by_app else "from the command line"
            top.markdown(f"**{run.name}**: {STATE_WORDS[run.state]} ({when})")
            if not run.ended:
                top.progress(min(run.done / max(run.expected, 1), 1.0), text=ui.progress_text(run))
                if buttons.button("Stop", key=f"stop|{run.name}", help="Stops as Ctrl-C would; Resume carries on."):
                    jobs.stop_run(run.folder)
            elif run.state == "finished":
                if buttons.button("Open results", key=f"open|{run.name}", type="primary"):
                    st.session_state.open_run = run.name
                    st.switch_page(ui.RESULTS_PAGE)
            else:
                for line in run.errors:
                    top.error(line)
                if run.by_app and buttons.button("Resume", key=f"resume|{run.name}",
                                                 help="Runs the same command again into the same folder: it carries "
                                                      "on from the replications already finished."):
                    jobs.resume_run(run.folder)
            if run.command:
                top.caption(f"The same as typing: `{run.command}`")


st.title("Run and compare")
st.write("Choose a baseline and any options to compare with it (shipped interventions, your uploads, or the "
         "edits you kept on the Scenario page), how many replications, and press Run. The run goes on in the "
         "background: you can leave the page or close the browser and come back.")

choices = ui.scenario_choices()
names = list(choices)
baseline_name = st.selectbox("Baseline", names, index=names.index("baseline") if "baseline" in names else 0,
                             key="run_baseline")
options = st.multiselect("Options to compare with the baseline", [n for n in names if n != baseline_name],
                         key="run_options", help="None: the baseline is run on its own.")
baseline, errors = ui.checked(choices[baseline_name])
if baseline is None:
    for line in errors:
        st.error(line)
    st.stop()

left, middle, right = st.columns(3)  # fields that start from the baseline's own values are keyed by it
how = left.radio("Replications", ["a number", "enough for a precision"], key="run_how", horizontal=True,
                 help="A precision adds replications until every key indicator's 95 % interval is within that "
                      "share of its mean (--precision).")
replications = precision = cap = None
if how == "a number":
    replications = left.number_input("Replications of each scenario", value=baseline.run.replications, step=1,
                                      key=f"run_replications|{baseline_name}")
else:
    precision = left.number_input("Precision (share of the mean)", value=0.02, step=0.005, format="%g",
                                  key="run_precision")
    cap = left.number_input("At most this many replications", value=200, step=10, key="run_cap")
horizon = middle.number_input("Horizon (days)", value=float(baseline.run.horizon_days), step=7.0, format="%g",
                              key=f"run_horizon|{baseline_name}", help="Simulated time whose results are kept, for every scenario.")
warmup = middle.number_input("Warm-up (days)", value=float(baseline.run.warmup_days), step=7.0, format="%g",
                             key=f"run_warmup|{baseline_name}", help="Simulated before the horizon and discarded, for every scenario.")
workers = right.number_input("Worker processes", value=os.cpu_count() or 1, step=1, key="run_workers",
                             help="Results do not depend on it.")
calendar = [f"run.{key}={value:g}" for key, value, own in (
    ("horizon_days", horizon, baseline.run.horizon_days), ("warmup_days", warmup, baseline.run.warmup_days))
    if value != own]
report = right.checkbox("Also write report.html", value=True, key="run_report",
                        help="The self-contained HTML report, to email or print (a few seconds more).")
request = jobs.RunRequest(choices[baseline_name], tuple(choices[o] for o in options), replications, precision, cap,
                          tuple(calendar), workers, report)
name = right.text_input("Name of the run (its folder)", value="", placeholder=request.default_name(), key="run_name")
if st.button("Run", type="primary", key="run"):
    folder = jobs.start_run(request, results_root(), name or request.default_name())
    st.success(f"Started {folder.name!r}: its progress is below.")

st.subheader("Runs")
runs()
