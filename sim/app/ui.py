"""What the app's pages share: the scenarios on offer, cached loading, and the runs under way in the sidebar."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from sim.app import jobs, results_root, scenarios_root
from sim.app.edits import check_overrides, default_name, overrides_of
from sim.app.safety import edited_scenarios, shipped_scenarios, uploaded_scenarios
from sim.app.sources import value_sources
from sim.scenario import Scenario

SCENARIO_PAGE, RUN_PAGE, RESULTS_PAGE = "views/scenario.py", "views/run.py", "views/results.py"


def scenario_choices() -> dict[str, Path]:
    """Every scenario the app offers, by the name it shows: shipped, then uploads, then edits kept for runs."""
    root = results_root()
    return {**shipped_scenarios(scenarios_root()), **uploaded_scenarios(root), **edited_scenarios(root)}


def _stamp(path: Path) -> float:
    return path.stat().st_mtime if path.is_file() else 0.0


# Cached for the whole server (every visitor), keyed by the file's modification time: a changed file is read again.
@functools.lru_cache(maxsize=256)
def _checked(path: str, stamp: float, overrides: tuple[str, ...]) -> tuple[Scenario | None, list[str]]:
    return check_overrides(Path(path), list(overrides))


def checked(path: Path, edits: dict | None = None) -> tuple[Scenario | None, list[str]]:
    """The scenario at `path` with `edits`, or the command line's error lines (cached while the file is unchanged)."""
    return _checked(str(path), _stamp(path), tuple(overrides_of(edits or {})))


@functools.lru_cache(maxsize=64)
def _sources(path: str, stamp: float) -> dict[str, str]:
    return value_sources(Path(path))


def sources(path: Path) -> dict[str, str]:
    """Where each value of the scenario at `path` comes from (comments of its files), cached."""
    return _sources(str(path), _stamp(path))


def warm() -> None:
    """Read the shipped baseline as the first page shows it, before the first visitor comes (at server start)."""
    baseline = scenarios_root() / "baseline.yaml"
    scenario, _ = checked(baseline)
    if scenario is not None:
        checked(baseline, {"name": default_name(scenario, is_edit=False)})
        sources(baseline)


def progress_text(run: jobs.RunState) -> str:
    """'12 of 20 replications, about 40 s left' (with a precision, the count so far is a floor)."""
    if run.state == "writing tables":
        return f"{run.done} of {run.expected} replications; writing the tables (and the report)"
    left = f", about {run.left:,.0f} s left" if run.left is not None else ""
    floor = "at least " if run.open_ended else ""
    return f"{run.done} of {floor}{run.expected} replications{left}"


@st.fragment(run_every=1.0)
def runs_under_way() -> None:
    """The sidebar's list of runs still working, with their progress (refreshed every second on its own)."""
    running = jobs.runs_under_way(results_root())
    st.caption(f"Results folder: `{results_root()}`")
    if not running:
        st.caption("No runs under way.")
        return
    st.markdown("**Runs under way**")
    for run in running:
        st.progress(min(run.done / max(run.expected, 1), 1.0), text=f"{run.name}: {progress_text(run)}")
