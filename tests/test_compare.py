"""`compare`: options against a baseline without a batch file, end to end on a short horizon, and its report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from test_report import CHROMIUM_FLAGS, console_errors

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OPTIONS = [ROOT / "scenarios" / "interventions" / f"{name}.yaml" for name in ("admission_avoidance", "seven_day_discharge")]
SHORT = ["--set", "run.horizon_days=60", "--set", "run.warmup_days=30", "--replications", "3", "--workers", "1"]


def compare(out: Path, *extra: str) -> int:
    return main(["compare", str(BASELINE), *map(str, OPTIONS), *SHORT, "--out", str(out), "--quiet", *extra])


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    assert compare(out, "--report", "--format", "parquet") == 0
    return out


@pytest.mark.slow
def test_compare_writes_the_batch_tables_with_the_economic_measures(compared):
    for name in ("replications.csv", "summary.csv", "comparison.csv", "run.json", "report.html"):
        assert (compared / name).is_file(), name
    comparison = pd.read_csv(compared / "comparison.csv")
    assert set(comparison.scenario) == {"admission_avoidance", "seven_day_discharge"}
    measures = set(comparison.indicator)
    assert {"cost_net_per_year", "cost_programme_per_year", "cost_per_bed_day_saved", "cost_per_admission_avoided",
            "net_monetary_benefit_per_year"} <= measures
    programme = comparison[comparison.indicator == "cost_programme_per_year"].set_index("scenario")["diff"]
    assert programme["seven_day_discharge"] == 670_000 and programme["admission_avoidance"] == 543_300
    meta = json.loads((compared / "run.json").read_text())
    assert meta["bed_day_value"] == 273 and meta["replications"] == 3
    assert meta["descriptions"]["seven_day_discharge"].startswith("Seven-day discharge:")


@pytest.mark.slow
def test_every_table_is_also_parquet_with_the_same_content(compared):
    tables = sorted(compared.glob("*.csv"))
    assert {t.name for t in tables} == {"replications.csv", "summary.csv", "comparison.csv"}
    for table in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(table.with_suffix(".parquet")), pd.read_csv(table),
                                      check_dtype=False)


@pytest.mark.slow
def test_a_rerun_resumes_and_prints_the_ranking_in_words(compared, capsys):
    """Run again into the same folder: nothing left to run, the same table, the options ranked (here by LOS)."""
    before = (compared / "comparison.csv").read_bytes()
    assert compare(compared, "--rank-by", "mean_los_days") == 0
    assert json.loads((compared / "run.json").read_text())["tasks_run_now"] == 0
    assert (compared / "comparison.csv").read_bytes() == before
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Of 2 options, ") and " does most for mean length of stay: it " in lines[0]
    assert [line[:3] for line in lines[1:]] == ["1. ", "2. "]


def refused(capsys, argv: list[str], expected: str, out: Path) -> None:
    """Exit 2, one line matching `expected`, nothing written."""
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and re.search(expected, error), error
    assert not out.exists()


def test_an_unknown_rank_by_is_refused_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "bad"
    argv = ["compare", str(BASELINE), *map(str, OPTIONS), "--out", str(out), "--rank-by", "beds"]
    refused(capsys, argv, r"--rank-by beds: not an indicator; expected one of .*delayed_bed_days_per_year", out)


def test_an_option_on_another_calendar_is_refused(tmp_path, capsys):
    """Only the baseline shortened: the options keep the shipped two-year warm-up and cannot be paired with it."""
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {BASELINE}\nrun: {{horizon_days: 60, warmup_days: 30}}\n", encoding="utf-8")
    out = tmp_path / "bad"
    argv = ["compare", str(short), *map(str, OPTIONS), "--out", str(out)]
    refused(capsys, argv, r"admission_avoidance.yaml: run.warmup_days: value 730: expected the baseline's 30 ", out)


FIRST_SCREEN = """<script>
window.addEventListener('load', () => {
  const table = document.querySelector('table.ranking');
  const words = document.querySelector('p.headline');
  const seen = e => e && e.getBoundingClientRect().bottom <= window.innerHeight;
  const images = Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length;
  document.title = 'WORDS ' + seen(words) + ' TABLE ' + seen(table) + ' IMAGES ' + images + ' OF ' + document.images.length;
});
</script></body>"""


def first_screen(page: Path, screenshot: Path) -> tuple[str, str]:
    """Open the page at 1280 x 800 in headless Chromium: (what the check found, the browser's log); screenshot it."""
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is needed for the browser test: apt-get install chromium (.ci/run does this)"
    checked = page.with_name("first_screen.html")
    checked.write_text(page.read_text(encoding="utf-8").replace("</body>", FIRST_SCREEN), encoding="utf-8")
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={page.parent / 'chromium-profile'}",
              "--virtual-time-budget=5000", "--window-size=1280,800"]
    dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", checked.as_uri()],
                         capture_output=True, text=True, timeout=120)
    subprocess.run([*common, f"--screenshot={screenshot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    title = re.search(r"<title>(.*?)</title>", dom.stdout)
    return (title.group(1) if title else ""), dom.stderr


@pytest.mark.slow
def test_the_first_screen_says_which_option_does_most_in_words_and_one_table(compared):
    text = (compared / "report.html").read_text(encoding="utf-8")
    summary = text[text.index("<h2>Summary</h2>"):text.index("<h2>What was run</h2>")]
    assert "does most for delayed bed days" in summary and "For mean length of stay" in summary
    assert summary.count("<table") == 1 and "net cost" in summary and "95 % interval" in summary
    words = re.sub(r"data:image/png;base64,[^\"]*", "", text)
    assert not re.search(r"\de[-+]\d", words)  # never scientific notation
    assert text.count("<img ") == 7  # six forest panels and the cost plane
    screenshot = compared / "first_screen.png"
    found, log = first_screen(compared / "report.html", screenshot)
    assert found == "WORDS true TABLE true IMAGES 7 OF 7", found
    assert console_errors(log) == []
    assert screenshot.stat().st_size > 20_000
