"""The web app (`python -m sim app`): change a lever, run, compare, download, in a browser.

Streamlit pages (pages/) over small modules that do one job each and import
no Streamlit: the levers of a scenario from its schema (levers) with their
sources from the files' comments (sources), an edit checked by the loader and
saved as YAML (edits), runs in processes of their own through the command
line (jobs, background), charts from the report's figure data (charts), and
what keeps a shared machine safe (safety). The app reads only the scenarios
folder and the results folder, and writes only in the results folder.
"""

from __future__ import annotations

import os
from pathlib import Path

RESULTS_VARIABLE, SCENARIOS_VARIABLE = "SIM_APP_RESULTS", "SIM_APP_SCENARIOS"
SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"


def results_root() -> Path:
    """The results folder the app lists, opens and writes runs into (`app --results DIR`; default results/)."""
    return Path(os.environ.get(RESULTS_VARIABLE, "results")).resolve()


def scenarios_root() -> Path:
    """The folder of shipped scenarios the app offers (the repository's scenarios/)."""
    return Path(os.environ.get(SCENARIOS_VARIABLE, SHIPPED)).resolve()
