"""Starting the web app: Streamlit's own server on the app's entry script, bound to localhost unless asked.

The settings keep a shared team machine safe and quiet: listen only where
asked (127.0.0.1 by default), uploads capped (sim.app.safety checks them
again, more tightly), no file watching or reruns on save, no usage
statistics sent anywhere, no browser opened on the server.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from sim.app import RESULTS_VARIABLE

MAIN = Path(__file__).resolve().with_name("main.py")
DEFAULT_PORT, DEFAULT_HOST = 8501, "127.0.0.1"
# What the pages import, loaded before the server takes its first visitor (with the baseline), so that the first
# page is quick.
PRELOAD = ("pandas", "altair", "sim.app.ui", "sim.app.levers", "sim.app.charts", "sim.app.readout", "sim.report.tables",
           "sim.scenario.summary")


def streamlit_arguments(port: int, host: str) -> list[str]:
    """`streamlit run` on the app, with the settings above."""
    settings = {
        "server.port": port, "server.address": host, "server.headless": "true", "server.fileWatcherType": "none",
        "server.runOnSave": "false", "server.maxUploadSize": 1, "browser.gatherUsageStats": "false",
        "global.developmentMode": "false", "client.toolbarMode": "viewer", "theme.base": "light",
    }
    flags = [part for name, value in settings.items() for part in (f"--{name}", str(value))]
    return ["run", str(MAIN), *flags]


def serve(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, results: Path = Path("results")) -> None:
    """Print the address, then run Streamlit's server in this process (Ctrl-C stops it; runs carry on)."""
    results = results.resolve()
    results.mkdir(parents=True, exist_ok=True)
    os.environ[RESULTS_VARIABLE] = str(results)
    for module in PRELOAD:
        importlib.import_module(module)
    from sim.app import ui

    ui.warm()
    shown = f"[{host}]" if ":" in host else host
    print(f"sim app: open http://{shown}:{port} in a browser (results folder {results}; Ctrl-C stops the app, "
          "runs under way carry on)", flush=True)
    from streamlit.web import cli

    cli.main(args=streamlit_arguments(port, host), prog_name="streamlit")  # what `streamlit run ...` does
