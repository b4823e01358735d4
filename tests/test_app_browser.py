"""The web app end to end in a real browser: `python -m sim app` on a free port, driven in Debian's Chromium.

Playwright drives /usr/bin/chromium (never a browser of its own): the test
changes the acute beds, keeps the edit, runs it against the baseline for
3 replications of a four-week horizon, waits for the results, and checks
that the headline table and every chart drew, that hovering a chart shows
its values, and that the browser's console has no errors. A negative
control feeds the same checks a deliberately broken page. The server, the
browser and any run still going are ended whatever happens.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import playwright.sync_api as playwright  # the test extra installs it
import pytest

from sim.app.jobs import JOB, RECORDS, alive, read_json, record_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
CHARTS = 8  # occupancy, bed queue, length of stay, pathways, services in use, services queueing, forest, cost plane
CHARTS_SELECTOR = '[data-testid="stVegaLiteChart"]'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the app's server stopped before it served"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the app did not answer at {url} within {timeout} s")


def end(server: subprocess.Popen, results: Path) -> None:
    """Stop the server (its whole process group) and any run it started that is still going."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)  # a test server holds nothing worth a graceful stop
        server.wait()
    for job in results.glob(f"{RECORDS}/*/{JOB}"):
        pid = read_json(job).get("pid")
        if pid and alive(pid):
            os.killpg(pid, signal.SIGKILL)


def rendered_problems(page, charts: int) -> list[str]:
    """What is wrong with a results page as drawn: missing or empty charts, a missing or empty headline table."""
    problems = []
    found = page.locator(CHARTS_SELECTOR)
    if found.count() != charts:
        problems.append(f"{found.count()} charts, expected {charts}")
    for index in range(found.count()):
        marks = found.nth(index).locator("svg .mark-group, canvas")
        box = found.nth(index).bounding_box()
        if marks.count() == 0 or not box or box["width"] < 100 or box["height"] < 60:
            problems.append(f"chart {index + 1} drew nothing")
    table = page.locator('[data-testid="stTable"] table')
    rows = table.locator("tbody tr").count() if table.count() == 1 else 0
    if rows < 10 or "mean los days" not in (table.inner_text() if table.count() == 1 else ""):
        problems.append(f"headline table with {rows} rows")
    return problems


def hover_shows_values(page, timeout: float = 10_000) -> bool:
    """Hovering over the occupancy chart shows a tooltip with the day's median."""
    chart = page.locator(CHARTS_SELECTOR).filter(has=page.locator("svg text", has_text="Acute bed occupancy"))
    if chart.count() != 1:
        return False
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    tooltip = page.locator("#vg-tooltip-element")
    try:
        tooltip.wait_for(state="visible", timeout=timeout)
    except playwright.TimeoutError:
        return False
    return "median" in tooltip.inner_text()


@pytest.mark.slow
def test_a_planner_changes_beds_runs_and_reads_every_chart_in_chromium(tmp_path):
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), \
        "Chromium is needed for the browser test: apt-get install chromium (.ci/run does this)"
    port, results = free_port(), tmp_path / "results"
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port), "--results", str(results)],
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp_path,
                                  start_new_session=True)
    console: list[str] = []
    try:
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                wait_until_serving(url, server)
                page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
                page.set_default_timeout(60_000)
                page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: console.append(str(e)))
                page.goto(url)

                beds = page.get_by_role("spinbutton", name="Beds (beds)", exact=True)
                beds.fill("230")
                beds.press("Enter")
                page.get_by_text("changed from 'baseline': acute.beds.").wait_for()  # drawn after the download
                with page.expect_download() as download:
                    page.get_by_role("button", name="Download the scenario (YAML)").click()
                assert "beds: 230" in Path(download.value.path()).read_text(encoding="utf-8")
                page.get_by_role("button", name="Keep it for runs").click()
                page.get_by_text("Kept as").wait_for()

                page.get_by_role("link", name="Run and compare").click()
                options = page.get_by_role("combobox", name="Options to compare with the baseline")
                options.click()
                options.fill("edit: baseline_edited")
                options.press("Enter")
                page.keyboard.press("Escape")
                for label, value in [("Replications of each scenario", "3"), ("Horizon (days)", "28"),
                                     ("Warm-up (days)", "14"), ("Worker processes", "2")]:
                    box = page.get_by_role("spinbutton", name=label, exact=True)
                    box.fill(value)
                    box.press("Enter")
                page.get_by_role("button", name="Run", exact=True).click()
                page.get_by_role("button", name="Open results").click(timeout=150_000)

                page.get_by_role("heading", name="Headline indicators: Baseline").wait_for()
                page.wait_for_function(f"Array.from(document.querySelectorAll('{CHARTS_SELECTOR}'))"
                                       f".filter(chart => chart.querySelector('svg .mark-group')).length >= {CHARTS}")
                assert rendered_problems(page, CHARTS) == []
                assert hover_shows_values(page)
                page.mouse.move(0, 0)
                page.set_viewport_size({"width": 1280, "height": 5200})  # the whole page in one picture
                page.wait_for_timeout(500)
                page.screenshot(path=tmp_path / "results.png")
                assert console == [], console

                # Negative control: the same checks on a broken page (no charts drawn, a script error) must fail.
                page.set_content("<div data-testid='stVegaLiteChart'></div><script>null.draw()</script>")
                page.wait_for_timeout(300)
                assert rendered_problems(page, CHARTS) == [f"1 charts, expected {CHARTS}", "chart 1 drew nothing",
                                                           "headline table with 0 rows"]
                assert not hover_shows_values(page, timeout=1_000) and console
            finally:
                browser.close()
    finally:
        end(server, results)
    assert (tmp_path / "results.png").stat().st_size > 100_000
    [run] = [p for p in results.iterdir() if p.name.startswith("compare")]
    argv = read_json(record_of(run) / JOB)["argv"]
    for flag, value in [("--replications", "3"), ("--set", "run.horizon_days=28"), ("--workers", "2")]:
        assert argv[argv.index(flag) + 1] == value  # what was typed reached the command
    assert len(list(run.glob("tasks/*/replication-*.json"))) == 6 and (run / "report.html").is_file()
