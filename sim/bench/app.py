"""`python -m sim.bench.app`: how quick the web app is for a person, measured in Debian's Chromium.

Two figures (the issue's targets: under 3 s and under 30 s on 2 cores):
- the first page: from asking for it to the scenario form drawn and checked,
  on a server just started (the first visitor) and again for later visitors;
- a run: from pressing Run (the baseline, REPLICATIONS replications of its
  own year, WORKERS workers) to its results drawn (every chart of the
  results page), with and without report.html.

It needs the test extra (Playwright) and /usr/bin/chromium, starts its own
server on a free port with a results folder in a temporary directory, and
ends both whatever happens. It prints the load average, as the machine may
be shared: a figure means little without it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
CHARTS = '[data-testid="stVegaLiteChart"]'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server at {url}")


def first_page(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    started = time.perf_counter()
    page.goto(url)
    page.get_by_text("OK: scenario").wait_for(timeout=120_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def run_to_results(browser, url: str, replications: int, workers: int, report: bool, name: str, shots: Path) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/")
    page.get_by_role("link", name="Run and compare").click()
    for label, value in [("Replications of each scenario", str(replications)), ("Worker processes", str(workers))]:
        box = page.get_by_role("spinbutton", name=label, exact=True)
        box.fill(value)
        box.press("Enter")
    named = page.get_by_role("textbox", name="Name of the run (its folder)")
    named.fill(name)
    named.press("Enter")
    if page.get_by_role("checkbox", name="Also write report.html").is_checked() != report:
        page.get_by_text("Also write report.html").click()
    page.wait_for_timeout(1000)  # let the last change reach the server before Run
    started = time.perf_counter()
    page.get_by_role("button", name="Run", exact=True).click()
    try:
        page.get_by_text(f"{name}: finished").wait_for(timeout=600_000)
        page.get_by_role("link", name="Results").click()  # the newest finished run is shown first
        page.get_by_role("heading", name="Headline indicators: Baseline").wait_for(timeout=120_000)
        page.wait_for_function(f"Array.from(document.querySelectorAll('{CHARTS}'))"
                               ".filter(chart => chart.querySelector('svg .mark-group')).length >= 6", timeout=120_000)
    finally:
        page.screenshot(path=shots / f"{name}.png")
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sim.bench.app", description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--visits", type=int, default=3, help="first-page loads to time (the first is the cold one)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port), "--results",
                                   str(Path(folder) / "results")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            serving(url)
            print(f"server answering after {time.perf_counter() - started:.1f} s")
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
                try:
                    for visit in range(args.visits):
                        print(f"first page, visitor {visit + 1}: {first_page(browser, url):.2f} s")
                    for report in (False, True):
                        name = f"bench-{'with' if report else 'without'}-report"
                        seconds = run_to_results(browser, url, args.replications, args.workers, report, name,
                                                 Path(folder))
                        print(f"Run to results, baseline, {args.replications} replications of a year, {args.workers} "
                              f"workers, {'with' if report else 'without'} report.html: {seconds:.1f} s")
                finally:
                    browser.close()
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            for job in Path(folder).glob("results/.app/*/app-job.json"):  # a run still going would outlive the server
                pid = json.loads(job.read_text()).get("pid")
                if pid:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
