"""Reproduce from the record: each kind of results folder, rerun from its run.json alone, gives the same tables.

The originals' files are removed before the rerun, so nothing but the record
can have been read; a changed record gives different tables (the comparison
can fail), and a folder without a usable record is refused with exit 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from model_helpers import write_short_baseline

from sim.cli import main

HISTORY = Path(__file__).resolve().parents[1] / "calibration" / "history"
QUICK = ["--replications", "2", "--workers", "1", "--quiet"]


def tables(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


def rerun_matches(original: Path, inputs: Path, tmp_path: Path) -> Path:
    """Remove the inputs, rerun the folder from its record, and check every table came out the same to the byte."""
    shutil.rmtree(inputs)
    again = tmp_path / "again"
    assert main(["rerun", str(original), "--out", str(again), "--workers", "2", "--quiet"]) == 0
    assert tables(again) and tables(again) == tables(original)
    return again


def run_then_rerun(command: str, settings: Path, tmp_path: Path) -> None:
    """Run a command of one settings file, then check its folder reruns from the record alone."""
    out = tmp_path / command
    assert main([command, str(settings), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    rerun_matches(out, settings.parent, tmp_path)


def beside(scenario: Path, name: str, settings: dict) -> Path:
    """A settings file written in the scenario's folder (removed with it before the rerun)."""
    path = scenario.parent / name
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def short(tmp_path: Path, **changes) -> Path:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    return write_short_baseline(inputs, horizon_days=40, warmup_days=30, census=None, **changes)


@pytest.mark.slow
def test_a_run_with_precision_reruns_to_the_same_tables(tmp_path):
    scenario = short(tmp_path)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--precision", "0.2", "--replications", "3", "--workers", "1",
                 "--quiet", "--set", "acute.beds=210"]) == 0
    again = rerun_matches(out, scenario.parent, tmp_path)
    record = json.loads((again / "run.json").read_text())
    assert record["precision"]["replications"] == json.loads((out / "run.json").read_text())["precision"]["replications"]


def test_a_changed_record_gives_other_tables(tmp_path):
    """Negative control: the rerun really follows the record."""
    scenario = short(tmp_path)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), *QUICK]) == 0
    record = json.loads((out / "run.json").read_text())
    record["resolved_scenario"]["run"]["seed"] += 1
    (out / "run.json").write_text(json.dumps(record))
    assert main(["rerun", str(out), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    assert tables(tmp_path / "again")["summary.csv"] != tables(out)["summary.csv"]


@pytest.mark.slow
def test_a_batch_reruns_to_the_same_tables(tmp_path):
    scenario = short(tmp_path)
    batch = beside(scenario, "batch.yaml", {
        "name": "tiny", "baseline": "short.yaml", "replications": 2, "seed": 3,
        "scenarios": [{"name": "more_beds", "set": {"acute.beds": 240}}], "packages": [],
    })
    run_then_rerun("batch", batch, tmp_path)


@pytest.mark.slow
def test_a_backtest_reruns_to_the_same_tables(tmp_path):
    scenario = short(tmp_path)
    observed = scenario.parent / "observed.csv"
    shutil.copy(HISTORY / "observed_daily.csv", observed)
    out = tmp_path / "backtest"
    assert main(["backtest", str(scenario), "--census", str(HISTORY / "census_day0.csv"), "--observed", str(observed),
                 "--out", str(out), *QUICK]) == 0
    rerun_matches(out, scenario.parent, tmp_path)


@pytest.mark.slow
def test_a_sensitivity_run_reruns_to_the_same_tables(tmp_path):
    scenario = short(tmp_path)
    config = beside(scenario, "sensitivity.yaml", {
        "name": "tiny", "scenario": "short.yaml", "method": "morris", "samples": 2, "replications": 1, "seed": 5,
        "indicators": ["mean_los_days"],
        "parameters": [{"key": "clinical_stay.by_pathway.p0.mean", "low": 3.0, "high": 5.0},
                       {"key": "acute.beds", "low": 200, "high": 230, "integer": True}],
        "set": {"run.horizon_days": 30},
    })
    run_then_rerun("sensitivity", config, tmp_path)


@pytest.mark.slow
def test_a_calibration_reruns_to_the_same_tables(tmp_path):
    scenario = short(tmp_path)
    beside(scenario, "targets.yaml", {"targets": [
        {"indicator": "mean_occupancy_pct", "value": 85.0, "sd": 2.0, "period": "synthetic", "source": "this test"},
    ]})
    config = beside(scenario, "calibration.yaml", {
        "name": "tiny", "scenario": "short.yaml", "targets": "targets.yaml", "replications": 2, "seed": 7,
        "parameters": [{"name": "beds", "keys": ["acute.beds"], "low": 190, "high": 240, "integer": True}],
        "optimiser": {"max_evaluations": 4},
    })
    out = tmp_path / "calibration"
    assert main(["calibrate", str(config), "--out", str(out), "--workers", "1", "--quiet", "--set", "acute.beds=205"]) == 0
    again = rerun_matches(out, scenario.parent, tmp_path)
    assert (again / "calibrated.yaml").is_file()
    assert main(["check", str(again / "calibrated.yaml")]) == 0


def test_a_folder_without_a_usable_record_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["rerun", str(tmp_path / "empty")]) == 2
    assert "no run.json" in capsys.readouterr().err
    old = tmp_path / "old"
    old.mkdir()
    (old / "run.json").write_text(json.dumps({"scenario": "baseline"}))  # a record from before records said their command
    assert main(["rerun", str(old)]) == 2
    assert "command: value None" in capsys.readouterr().err
