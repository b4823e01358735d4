"""The report: figure data on small hand-made cases, a self-contained page, and a real browser opening it."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from model_helpers import write_short_baseline

from sim.cli import main
from sim.indicators import LOS_BINS, los_counts
from sim.model.records import Records, SpellRecord
from sim.report.figures import fan_data, forest_data, los_histogram_data, pathway_data

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def test_fan_data_gives_quantiles_across_replications_per_day():
    daily = pd.DataFrame({
        "day": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
        "replication": [0, 1, 2, 3, 4] * 2,
        "beds_occupied": [10, 20, 30, 40, 50, 5, 5, 5, 5, 5],
        "beds_available": [60] * 10,
    })
    data = fan_data(daily).set_index("day")
    assert data.loc[0, "p50"] == 30 and data.loc[0, "p25"] == 20 and data.loc[0, "p75"] == 40
    assert data.loc[0, "p05"] == pytest.approx(12) and data.loc[0, "p95"] == pytest.approx(48)
    assert (data.loc[1, ["p05", "p25", "p50", "p75", "p95"]] == 5).all()
    assert (data.beds_available == 60).all()


def test_forest_and_pathway_data_pick_the_right_rows():
    comparison = pd.DataFrame({
        "scenario": ["a", "a", "b"], "indicator": ["mean_los_days", "cost_total_per_year", "mean_los_days"],
        "diff": [-1.0, 5.0, 2.0], "diff_ci_low": [-1.5, 4.0, 1.0], "diff_ci_high": [-0.5, 6.0, 3.0],
    })
    forest = forest_data(comparison, "mean_los_days")
    assert forest.scenario.tolist() == ["a", "b"] and forest["diff"].tolist() == [-1.0, 2.0]
    rows = [(f"mean_{kind}_days_p{i}", 10 * i + (kind == "delay"), 0.0, 99.0) for i in range(4) for kind in ("los", "delay")]
    summary = pd.DataFrame(rows, columns=["indicator", "mean", "ci_low", "ci_high"]).set_index("indicator")
    data = pathway_data(summary)
    assert data.pathway.tolist() == ["P0", "P1", "P2", "P3"]
    assert data.los.tolist() == [0, 10, 20, 30] and data.delay.tolist() == [1, 11, 21, 31]


def test_los_counts_bin_whole_days_of_spells_ended_in_the_horizon():
    records = Records(horizon_days=30.0, warmup_days=10.0)
    # (admitted, left the bed): before the horizon, 0.5 days, 2.9 days, 95 days (top bin), after it, not ended
    for admitted, left in [(-6.0, -5.0), (0.5, 1.0), (-0.9, 2.0), (-72.0, 23.0), (47.0, 50.0), (3.0, math.nan)]:
        spell = SpellRecord(0, 0, 0, False, admitted)
        spell.admitted, spell.left_bed = admitted, left
        records.spells.append(spell)
    counts = los_counts(records)
    assert len(counts) == LOS_BINS and counts.sum() == 3
    assert counts[0] == 1 and counts[2] == 1 and counts[LOS_BINS - 1] == 1


def test_the_los_histogram_pools_replications_as_shares():
    los = pd.DataFrame({"replication": [0, 0, 0, 1, 1, 1], "days": [0, 1, 2] * 2, "spells": [1, 2, 0, 3, 0, 2]})
    data = los_histogram_data(los).set_index("days").share
    assert data.tolist() == pytest.approx([4 / 8, 2 / 8, 2 / 8])


@pytest.fixture(scope="module")
def run_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    status = main(["run", str(BASELINE), "--replications", "3", "--workers", "1", "--quiet", "--report",
                   "--set", "run.horizon_days=60", "--set", "run.warmup_days=60", "--out", str(out)])
    assert status == 0
    return out / "report.html"


def test_the_report_is_self_contained(run_report):
    text = run_report.read_text(encoding="utf-8")
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    assert links and all(link.startswith("data:image/png;base64,") for link in links)
    assert "http" not in " ".join(links) and "<link" not in text and "@import" not in text
    images = re.findall(r"<img [^>]*>", text)
    assert len(images) == 5 and all(re.search(r'alt="[^"]{20,}"', image) for image in images)
    for name in ("los_delay.png", "los_distribution.png", "occupancy.png", "bed_queue.png", "services.png"):
        assert (run_report.parent / name).stat().st_size > 5000


def test_a_batch_report_has_the_forest_plot_and_cost_plane(tmp_path):
    write_short_baseline(tmp_path, horizon_days=60)
    batch = tmp_path / "batch.yaml"
    batch.write_text(yaml.safe_dump({
        "name": "tiny", "baseline": "short.yaml", "replications": 2, "seed": 1,
        "scenarios": [{"name": "more_beds", "set": {"acute.beds": 240}}, {"name": "seven_days", "set": {
            "discharge.days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}}],
    }))
    out = tmp_path / "out"
    assert main(["batch", str(batch), "--out", str(out), "--workers", "1", "--quiet", "--report"]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Options against the baseline" in text and text.count("<img ") == 7  # six forest panels, the cost plane
    assert (out / "forest_delayed_bed_days_per_year.png").is_file() and (out / "cost_plane.png").is_file()


CHECKER = """<script>
window.addEventListener('load', () => {
  const images = Array.from(document.images);
  const loaded = images.filter(i => i.complete && i.naturalWidth > 0).length;
  document.title = 'IMAGES ' + loaded + ' OF ' + images.length;
});
</script></body>"""


def open_in_chromium(page: Path, screenshot: Path) -> tuple[str, str]:
    """Open a page in headless Chromium: (the title after load, what the browser logged); save a screenshot."""
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is needed for the browser test: apt-get install chromium (.ci/run does this)"
    checked = page.with_name(page.stem + "_checked.html")
    checked.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECKER), encoding="utf-8")
    profile = page.parent / "chromium-profile"
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000"]
    dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", checked.as_uri()],
                         capture_output=True, text=True, timeout=120)
    subprocess.run([*common, "--window-size=1200,2400", f"--screenshot={screenshot}", page.as_uri()],
                   capture_output=True, text=True, timeout=120, check=True)
    title = re.search(r"<title>(.*?)</title>", dom.stdout)
    return (title.group(1) if title else ""), dom.stderr


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def test_the_report_opens_in_a_browser_with_every_image_and_no_console_error(run_report):
    screenshot = run_report.with_name("screenshot.png")
    title, log = open_in_chromium(run_report, screenshot)
    assert title == "IMAGES 5 OF 5", title
    assert console_errors(log) == []
    assert screenshot.stat().st_size > 20_000


def test_the_browser_check_can_fail(tmp_path):
    """Negative control: a broken image and a script error are seen."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><img src="data:image/png;base64,AAAA" alt="broken">'
                    "<script>undefinedFunction();</script></body></html>", encoding="utf-8")
    title, log = open_in_chromium(page, tmp_path / "broken.png")
    assert title == "IMAGES 0 OF 1"
    assert console_errors(log), log[-2000:]
