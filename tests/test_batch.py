"""Batches: expansion and naming, paired comparisons, workers, resuming after kill -9, bad batch files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from model_helpers import write_short_baseline

from sim.batch import BASELINE as BASELINE_NAME
from sim.batch import load_batch
from sim.cli import main

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OUTPUTS = ("replications.csv", "summary.csv", "comparison.csv")


def write_batch(folder: Path, **changes) -> Path:
    """A small batch on a shortened baseline: two options and a 2 x 2 grid."""
    write_short_baseline(folder, horizon_days=120)
    batch = {
        "name": "small",
        "baseline": "short.yaml",
        "replications": 4,
        "seed": 11,
        "scenarios": [
            {"name": "more_beds", "set": {"acute.beds": 240}},
            {"name": "same_again", "set": {"acute.beds": 215}},
        ],
        "grids": [
            {
                "name": "reablement",
                "parameters": {"services.reablement.places": [100, 140], "discharge.end_hour": [17, 20]},
            }
        ],
        **changes,
    }
    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump(batch, sort_keys=False))
    return path


def run_batch_cli(path: Path, out: Path, *options: str) -> int:
    return main(["batch", str(path), "--out", str(out), "--quiet", *options])


def test_grids_expand_to_every_combination_named_by_their_values(tmp_path):
    plan = load_batch(write_batch(tmp_path))
    assert list(plan.scenarios) == [
        BASELINE_NAME,
        "more_beds",
        "same_again",
        "reablement__places=100__end_hour=17",
        "reablement__places=100__end_hour=20",
        "reablement__places=140__end_hour=17",
        "reablement__places=140__end_hour=20",
    ]
    grid_point = plan.scenarios["reablement__places=140__end_hour=17"]
    assert grid_point.services.reablement.places == 140 and grid_point.discharge.end_hour == 17
    assert all(s.run.seed == 11 and s.run.replications == 4 for s in plan.scenarios.values())
    assert plan.scenarios["more_beds"].acute.beds == 240
    assert load_batch(write_batch(tmp_path), replications=2).replications == 2


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    path = write_batch(folder)
    out = folder / "one_worker"
    assert run_batch_cli(path, out, "--workers", "1") == 0
    return path, out


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(finished):
    _, out = finished
    comparison = pd.read_csv(out / "comparison.csv")
    same = comparison[comparison.scenario == "same_again"].dropna(subset=["diff"])
    assert len(same) > 30
    assert (same["diff"] == 0).all() and (same.diff_ci_low == 0).all() and (same.diff_ci_high == 0).all()


def test_comparison_has_the_spec_columns_and_sensible_signs(finished):
    _, out = finished
    comparison = pd.read_csv(out / "comparison.csv")
    for column in ("baseline", "baseline_mean", "scenario_mean", "diff", "diff_ci_low", "diff_ci_high", "rel_diff_pct"):
        assert column in comparison.columns
    beds = comparison[(comparison.scenario == "more_beds") & (comparison.indicator == "mean_occupancy_pct")].iloc[0]
    assert beds["diff"] < 0 and beds.diff_ci_high < 0  # more beds, the same patients: lower occupancy
    assert beds.scenario_mean - beds.baseline_mean == pytest.approx(beds["diff"])


def test_two_workers_give_identical_files(finished, tmp_path):
    path, out = finished
    assert run_batch_cli(path, tmp_path / "two", "--workers", "2") == 0
    for name in OUTPUTS:
        assert (tmp_path / "two" / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.slow
def test_a_dask_local_cluster_gives_identical_files(finished, tmp_path):
    """The cluster path: the same tasks on dask.distributed workers, the same bytes."""
    path, out = finished
    assert run_batch_cli(path, tmp_path / "dask", "--scheduler", "local", "--workers", "2") == 0
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (out / name).read_bytes(), name


def test_paired_intervals_are_narrower_than_unpaired(finished):
    """Common random numbers: the paired difference varies far less than two independent means would."""
    _, out = finished
    replications = pd.read_csv(out / "replications.csv")
    option = "reablement__places=140__end_hour=20"  # reablement +17 %, like the shipped intervention
    values = replications[replications.indicator == "mean_los_days"].pivot(
        index="replication", columns="scenario", values="value"
    )
    paired_sd = (values[option] - values[BASELINE_NAME]).std(ddof=1)
    unpaired_sd = (values[option].var(ddof=1) + values[BASELINE_NAME].var(ddof=1)) ** 0.5
    assert paired_sd < unpaired_sd


def test_a_rerun_does_no_work_and_a_changed_batch_is_refused(finished, tmp_path, capsys):
    path, out = finished
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    assert run_batch_cli(path, out, "--workers", "1") == 0
    assert '"tasks_run_now": 0' in (out / "run.json").read_text()
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before
    changed = write_batch(tmp_path, seed=12)
    capsys.readouterr()
    assert run_batch_cli(changed, out) == 2
    assert "holds the results of different work" in capsys.readouterr().err


def test_a_batch_killed_part_way_resumes_to_identical_files(finished, tmp_path):
    """kill -9 the whole process group mid-run; the rerun finishes and matches an uninterrupted run."""
    path, uninterrupted = finished
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "tasks").rglob("*.json"))) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list((out / "tasks").rglob("*.json")))
    assert 3 <= done < 7 * 4, f"expected to kill it part-way, {done} tasks were done"
    assert not (out / "comparison.csv").exists()
    assert subprocess.run(command, cwd=ROOT).returncode == 0
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (uninterrupted / name).read_bytes(), name


def test_a_package_is_split_into_what_each_component_does(tmp_path):
    """With two components, "package without A" is "only B": the same scenario, so the same numbers exactly."""
    package = {"name": "package", "set": {"acute.beds": 240, "demand.admission_avoidance_share": 0.05}}
    path = write_batch(
        tmp_path,
        scenarios=[package, {"name": "more_beds", "set": {"acute.beds": 240}}],
        grids=[],
        replications=3,
        packages=[{"scenario": "package", "components": {
            "beds": ["acute.beds"], "avoidance": ["demand.admission_avoidance_share"]}}],
    )
    out = tmp_path / "out"
    assert run_batch_cli(path, out, "--workers", "2") == 0
    replications = pd.read_csv(out / "replications.csv")
    values = replications.pivot_table(index=["replication", "indicator"], columns="scenario", values="value")
    pd.testing.assert_series_equal(values["package__only_beds"], values["more_beds"], check_names=False)
    pd.testing.assert_series_equal(values["package__without_beds"], values["package__only_avoidance"], check_names=False)
    contributions = pd.read_csv(out / "contributions.csv")
    occupancy = contributions[contributions.indicator == "mean_occupancy_pct"].set_index("component")
    assert occupancy.loc["beds", "effect_alone"] < 0 and occupancy.loc["avoidance", "effect_alone"] < 0
    both = occupancy.loc["beds"]
    assert both.marginal_effect + both.package_without_effect == pytest.approx(both.package_effect)


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"replications": 0}, "replications"),
        ({"seed": "seven"}, "seed"),
        ({"scenarios": [{"set": {"acute.beds": 3}}]}, "scenarios.0"),
        ({"scenarios": [{"name": "x", "set": {"acute.bedz": 3}}]}, "acute.bedz"),
        ({"scenarios": [{"file": "missing.yaml"}]}, "missing.yaml"),
        ({"grids": [{"name": "g", "parameters": {"acute.beds": []}}]}, "parameters.acute.beds"),
        ({"scenarios": [{"name": "more_beds", "set": {"acute.beds": 300}}] * 2}, "more_beds"),
        ({"packages": [{"scenario": "nope", "components": {"a": ["acute.beds"], "b": ["acute.escalation"]}}]}, "packages.0"),
        ({"packages": [{"scenario": "more_beds", "components": {"a": ["acute.bedz"], "b": ["acute.beds"]}}]}, "acute.bedz"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_batch_file_exits_2_naming_the_key(tmp_path, capsys, changes, key):
    path = write_batch(tmp_path, **changes)
    assert run_batch_cli(path, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert str(path) in err and key in err and "Traceback" not in err
