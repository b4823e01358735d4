"""The app's entry script (`python -m sim app` runs it with Streamlit): three pages and the runs under way."""

import streamlit as st

from sim.app import ui

st.set_page_config(page_title="sim: hospital discharge and home care", layout="wide")
page = st.navigation([
    st.Page(ui.SCENARIO_PAGE, title="Scenario", default=True),
    st.Page(ui.RUN_PAGE, title="Run and compare"),
    st.Page(ui.RESULTS_PAGE, title="Results"),
])
with st.sidebar:
    ui.runs_under_way()
page.run()
