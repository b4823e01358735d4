"""The calibrate command: it recovers known parameter values, reports what it cannot match, writes a usable
calibrated scenario, resumes from its cache, and refuses bad settings naming the file and key.

Runs are short (the baseline over 120-180 days after a 30-60 day warm-up, 2-4
replications an evaluation) so the whole file takes well under a minute and a
half on two busy cores. Several tests were written against bugs found while
writing this file (arrival draws that reshuffled with demand, bounds never
reported, undefined targets, messages naming the wrong keys, duplicate
evaluations); they failed then and pass since the fixes.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from model_helpers import BASELINE, write_short_baseline

import sim.calibrate
import sim.calibrate.fit
from sim import __version__
from sim.calibrate import load_calibration
from sim.cli import main
from sim.runner import run_replication
from sim.scenario import load_scenario, scenario_hash
from sim.scenario.schema import PATHWAYS

ARRIVAL_RATES = load_scenario(BASELINE).demand.arrivals_per_day  # per age band
STAY_MEANS = {p: getattr(load_scenario(BASELINE).clinical_stay.by_pathway, p).mean for p in PATHWAYS}


def write_targets(folder: Path, targets: dict[str, tuple[float, float]]) -> Path:
    """`folder/targets.yaml`: indicator -> (value, sd)."""
    path = folder / "targets.yaml"
    rows = [
        {"indicator": indicator, "value": float(value), "sd": float(sd), "period": "synthetic", "source": "this test"}
        for indicator, (value, sd) in targets.items()
    ]
    path.write_text(yaml.safe_dump({"targets": rows}, sort_keys=False), encoding="utf-8")
    return path


def write_config(folder: Path, **changes) -> Path:
    """Fit settings beside short.yaml and targets.yaml; `changes` replace or add top-level keys."""
    config = {
        "name": "fit",
        "scenario": "short.yaml",
        "targets": "targets.yaml",
        "parameters": [STAY_SCALE, BEDS],
        "replications": 2,
        "seed": 7,
        **changes,
    }
    path = folder / "calibration.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def calibrate(config: Path, out: Path, *options: str) -> tuple[int, str]:
    """`python -m sim calibrate` in-process; the exit status and what it wrote to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["calibrate", str(config), "--out", str(out), "--workers", "2", "--quiet", *options])
    return status, err.getvalue()


# --- 1. Parameter recovery ----------------------------------------------------------------------------------------

RECOVERY_HORIZON_DAYS, RECOVERY_WARMUP_DAYS = 180, 60
TARGET_SEED, TARGET_REPLICATIONS = 101, 8  # the "historic" data
FIT_SEED, FIT_REPLICATIONS = 202, 4  # the calibration's own replications: another seed, so recovery is not exact
RECOVERY_INDICATORS = ("admissions_per_year", "mean_los_days", "mean_occupancy_pct")

P0_STAY_MEAN = {
    "name": "p0_stay_mean", "keys": ["clinical_stay.by_pathway.p0.mean"], "low": 3.0, "high": 7.0, "start": 3.5,
}
AVOIDANCE = {"name": "avoidance", "keys": ["demand.admission_avoidance_share"], "low": 0.0, "high": 0.3, "start": 0.02}
FIRST_ADMISSIONS_SCALE = {  # as in calibration/baseline.yaml
    "name": "first_admissions_scale",
    "keys": [f"demand.arrivals_per_day.{band}" for band in ARRIVAL_RATES],
    "mode": "scale",
    "low": 0.7,
    "high": 1.2,
    "start": 1.05,
}

# Each case: the free parameters, their true values, and the truth as --set assignments written out by hand (not
# with Calibration.overrides, which is under test).
RECOVERY_CASES = {
    # 10 % of first admissions avoided is 10 % fewer arrivals, what first_admissions_scale = 0.9 would give.
    "avoidance+p0_stay_mean": (
        [AVOIDANCE, P0_STAY_MEAN],
        {"avoidance": 0.10, "p0_stay_mean": 5.0},
        ["demand.admission_avoidance_share=0.1", "clinical_stay.by_pathway.p0.mean=5.0"],
    ),
    "first_admissions_scale+p0_stay_mean": (
        [FIRST_ADMISSIONS_SCALE, P0_STAY_MEAN],
        {"first_admissions_scale": 0.9, "p0_stay_mean": 5.0},
        [f"demand.arrivals_per_day.{band}={0.9 * rate!r}" for band, rate in ARRIVAL_RATES.items()]
        + ["clinical_stay.by_pathway.p0.mean=5.0"],
    ),
}

def recover(folder: Path, parameters: list[dict], truth_overrides: list[str]) -> tuple[int, str, Path]:
    """Targets simulated at the truth with TARGET_SEED; a calibration from elsewhere with FIT_SEED."""
    short = write_short_baseline(folder, RECOVERY_HORIZON_DAYS, RECOVERY_WARMUP_DAYS)
    truth = load_scenario(short, [*truth_overrides, f"run.seed={TARGET_SEED}"])
    runs = [run_replication(truth, r).indicators for r in range(TARGET_REPLICATIONS)]
    # Each target is the mean over the replications and its sd the standard error of that mean: like historic data,
    # the targets carry their own sampling uncertainty, which the calibration's z-scores (and so its sd) include.
    targets = {}
    for indicator in RECOVERY_INDICATORS:
        values = np.array([run[indicator] for run in runs])
        targets[indicator] = (values.mean(), values.std(ddof=1) / math.sqrt(len(values)))
    write_targets(folder, targets)
    config = write_config(
        folder, parameters=parameters, name="recovery", replications=FIT_REPLICATIONS, seed=FIT_SEED,
        optimiser={"max_evaluations": 40},
    )
    out = folder / "out"
    status, err = calibrate(config, out)
    return status, err, out


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        "avoidance+p0_stay_mean",
        pytest.param(
            "first_admissions_scale+p0_stay_mean",
        ),
    ],
)
def test_the_fit_recovers_known_parameter_values_within_3_reported_sd(tmp_path, case):
    """Targets simulated at known parameter values are fitted back within 3 of the reported sd of the truth.

    3 sd: if the errors are near normal with the reported sd, each parameter is within 3 sd with probability 99.7 %,
    both of them with at least 99.4 % (Bonferroni), so a failure is a finding, not bad luck. The sd must also be
    finite and small (3 sd under a quarter of the range), or the check would say nothing; and the objective must
    fall from the start.

    Measured (23 evaluations of 4 replications, 14-31 s on 2 cores as busy as they were): with these seeds
    avoidance 0.0979 (truth 0.10, sd 0.0079: 0.26 sd off) and p0_stay_mean 5.0008 (truth 5.0, sd 0.110: 0.01 sd
    off). Five other seed pairs gave errors of 0.1-1.1 sd (root mean square 0.7 sd) with 3 sd at 5-14 % of the
    range: the reported sd is honest, if anything generous.
    The first_admissions_scale case (the shipped calibration's demand parameter, truth 0.9) stalled at its start
    (36 sd off) while arrival draws reshuffled with the rate; since request times are a time change of one
    unit-rate stream (sim/model/arrivals.py) it recovers 0.897 (sd 0.0078, 0.4 sd off) in 16 evaluations.
    """
    parameters, truth, truth_overrides = RECOVERY_CASES[case]
    status, err, out = recover(tmp_path, parameters, truth_overrides)
    assert status == 0, err
    fitted = pd.read_csv(out / "parameters.csv").set_index("parameter")
    for name, true_value in truth.items():
        row = fitted.loc[name]
        assert math.isfinite(row.sd) and row.sd > 0, f"{name}: sd {row.sd}"
        assert 3 * row.sd < 0.25 * (row.high - row.low), f"{name}: sd {row.sd:.4g} too wide to test anything"
        error = row.fitted - true_value
        assert abs(error) <= 3 * row.sd, f"{name}: fitted {row.fitted:.4g}, truth {true_value}, sd {row.sd:.4g}"
    run = json.loads((out / "run.json").read_text())
    assert run["objective_fitted"] < run["objective_start"]


def test_admissions_follow_an_arrival_scale_smoothly_under_common_random_numbers(tmp_path):
    """The premise of the search (fit.py): with the same seed, a slightly larger arrival scale gives slightly more
    admissions, about in proportion. Before request times were a time change of one stream, 1.0, 1.001, 1.01
    and 1.02 gave 8249, 8322 (+0.9 % for +0.1 %), 8401 and 8383 admissions a year (fewer at 1.02 than at 1.01)."""
    short = write_short_baseline(tmp_path, horizon_days=120, warmup_days=30)
    scales = (1.0, 1.001, 1.01, 1.02)
    admissions = []
    for scale in scales:
        overrides = [f"demand.arrivals_per_day.{band}={scale * rate!r}" for band, rate in ARRIVAL_RATES.items()]
        scenario = load_scenario(short, [*overrides, "run.seed=202"])
        admissions.append(run_replication(scenario, 0).indicators["admissions_per_year"])
    assert all(later >= earlier for earlier, later in itertools.pairwise(admissions)), admissions
    for scale, value in zip(scales, admissions, strict=True):
        assert value / admissions[0] == pytest.approx(scale, abs=0.005), admissions


# --- 2, 3, 5. A fit that cannot match everything: its report, its outputs, its rerun, whole beds ------------------

STAY_SCALE = {  # lengthens every clinical stay; at most 1.2 x, which cannot reach a 14-day mean stay
    "name": "stay_scale",
    "keys": [f"clinical_stay.by_pathway.{p}.mean" for p in PATHWAYS],
    "mode": "scale",
    "low": 0.8,
    "high": 1.2,
    "start": 1.15,  # near its upper bound, so that the tiny budget gets there
}
BEDS = {"name": "beds", "keys": ["acute.beds"], "low": 190, "high": 240, "integer": True}
UNMATCHED_TARGETS = {
    "mean_los_days": (14.0, 0.2),  # out of reach: stay_scale stops at its upper bound
    "pathway_share_p0": (0.30, 0.05),  # the model gives 0.58; over the whole search its z moves by < 0.05
    "mean_occupancy_pct": (88.0, 1.0),  # within reach of beds
}
UNMATCHED_BUDGET = 8
Z_FAR = 4.0  # both unmatched targets are far out, not borderline


@pytest.fixture(scope="module")
def unmatched(tmp_path_factory):
    """A calibration with a tiny budget (it succeeds): its folder, config, out folder, stderr and fit.csv."""
    folder = tmp_path_factory.mktemp("unmatched")
    # without the baseline's long-stay census (a quieter spring, so that 88 % occupancy is within the beds' reach)
    write_short_baseline(folder, horizon_days=120, warmup_days=30, census=None)
    write_targets(folder, UNMATCHED_TARGETS)
    config = write_config(folder, name="unmatched", optimiser={"tolerance": 0.005})  # at a bound within 0.5 % of its range
    out = folder / "out"
    status, err = calibrate(config, out, "--max-evaluations", str(UNMATCHED_BUDGET))
    assert status == 0, err
    return folder, config, out, err, pd.read_csv(out / "fit.csv")


def test_an_unmatched_target_is_reported_with_its_reason(unmatched):
    *_, err, fit = unmatched
    fit = fit.set_index("target")
    for target in ("mean_los_days", "pathway_share_p0"):
        assert not fit.loc[target, "within_95"], target
        assert fit.loc[target, "status"].startswith("unmatched: "), fit.loc[target, "status"]
    assert "stay_scale" in fit.loc["mean_los_days", "status"]  # the parameter that would move it
    assert "no free parameter moves it" in fit.loc["pathway_share_p0", "status"]
    assert fit.loc["mean_los_days", "z"] < -Z_FAR and fit.loc["pathway_share_p0", "z"] > Z_FAR
    matched = fit.status.str.startswith("matched")
    assert (matched == fit.within_95).all()  # every target outside its interval says why, and only those
    within = int(fit.within_95.sum())
    assert f"{within} of {len(fit)} targets within their 95 % interval" in err


def test_a_target_out_of_reach_says_which_parameter_is_at_its_bound(unmatched):
    _, _, out, _, fit = unmatched
    parameters = pd.read_csv(out / "parameters.csv").set_index("parameter")
    tolerance = 0.005 * (1.2 - 0.8)  # the search's own tolerance (optimiser.tolerance, a share of the range)
    assert parameters.loc["stay_scale", "fitted"] > 1.2 - tolerance  # at the bound, as far as the search can tell ...
    status = fit.set_index("target").loc["mean_los_days", "status"]
    assert "at a bound: stay_scale" in status, status  # ... so say so
    assert parameters.loc["stay_scale", "at_bound"]


def test_the_calibrated_scenario_is_valid_and_holds_the_fitted_values(unmatched, capsys):
    folder, config, out, _, _ = unmatched
    assert main(["check", str(out / "calibrated.yaml")]) == 0
    assert "OK" in capsys.readouterr().out
    fitted = pd.read_csv(out / "parameters.csv").set_index("parameter").fitted
    start = load_scenario(folder / "short.yaml")
    calibrated = load_scenario(out / "calibrated.yaml")
    for p in PATHWAYS:  # a scale: the start scenario's value times the fitted factor, for each key
        value = getattr(calibrated.clinical_stay.by_pathway, p).mean
        assert value == pytest.approx(STAY_MEANS[p] * fitted["stay_scale"], rel=1e-12), p
    assert fitted["beds"] == round(fitted["beds"])  # an integer parameter: a whole number
    assert calibrated.acute.beds == fitted["beds"] and isinstance(calibrated.acute.beds, int)
    assert calibrated.run == start.run  # the evaluations' seed and replications are not written into it

    run = json.loads((out / "run.json").read_text())
    calibration = load_calibration(config)
    assert run["evaluation_scenario_hash"] == scenario_hash(calibration.start)
    assert run["scenario_hash"] == scenario_hash(start)
    assert run["calibrated_scenario_hash"] == scenario_hash(calibrated)
    assert run["seed"] == 7 == calibration.start.run.seed
    assert run["package_version"] == __version__
    assert run["replications_per_evaluation"] == 2
    assert run["evaluations"] == len(pd.read_csv(out / "evaluations.csv"))


def test_integer_parameters_are_evaluated_at_whole_numbers(unmatched):
    _, config, out, _, _ = unmatched
    evaluations = pd.read_csv(out / "evaluations.csv")
    assert len(evaluations) <= UNMATCHED_BUDGET  # the budget caps every point, the uncertainty estimate's too
    assert (evaluations.beds == evaluations.beds.round()).all()
    assert evaluations.beds.nunique() > 1  # the search did move beds
    calibration = load_calibration(config)
    scenario = calibration.scenario_at({"stay_scale": 1.0, "beds": 212.6})
    assert scenario.acute.beds == 213 and isinstance(scenario.acute.beds, int)


def test_a_rerun_into_the_same_folder_simulates_nothing_and_gives_the_same_fit(unmatched, monkeypatch):
    _, config, out, _, _ = unmatched
    tables = ("fit.csv", "parameters.csv", "evaluations.csv")
    before = {name: (out / name).read_bytes() for name in tables}
    tasks = {path: path.stat().st_mtime_ns for path in (out / "tasks").rglob("*.json")}
    assert len(tasks) == len(pd.read_csv(out / "evaluations.csv")) * 2  # every point, 2 replications each
    ran = []
    real = sim.calibrate.fit.run_missing_tasks

    def counting(*args, **kwargs):
        ran.append(real(*args, **kwargs))
        return ran[-1]

    monkeypatch.setattr(sim.calibrate.fit, "run_missing_tasks", counting)
    status, err = calibrate(config, out, "--max-evaluations", str(UNMATCHED_BUDGET))
    assert status == 0, err
    assert ran and sum(ran) == 0  # asked for every point, simulated none
    assert {path: path.stat().st_mtime_ns for path in (out / "tasks").rglob("*.json")} == tasks
    assert {name: (out / name).read_bytes() for name in tables} == before


# --- 4. Bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, options, expected",
    [
        ({"colour": "blue"}, [], ["colour", "unknown key"]),
        ({"parameters": [{**BEDS, "low": 240, "high": 190}]}, [], ["parameters.0", "low"]),
        ({"parameters": [{**BEDS, "low": 200, "high": 200}]}, [], ["parameters.0", "low"]),
        ({"parameters": [{**BEDS, "start": 250}]}, [], ["parameters.0", "start"]),
        ({"parameters": [{**BEDS, "keys": ["acute.bedz"]}]}, [], ["parameters.0.keys", "acute.bedz"]),
        ({"parameters": [{**BEDS, "keys": ["acute.when_full"]}]}, [], ["parameters.0.keys", "acute.when_full"]),
        ({"parameters": [{**STAY_SCALE, "integer": True}]}, [], ["parameters.0", "integer"]),
        ({"weights": {"median_los_days": 2.0}}, [], ["weights.median_los_days", "not a target"]),
        ({"weights": {"mean_los_days": -1.0}}, [], ["weights", "mean_los_days"]),
        ({"scenario": "missing.yaml"}, [], ["scenario", "missing.yaml", "not found"]),
        ({"targets": "missing_targets.yaml"}, [], ["targets", "missing_targets.yaml", "not found"]),
        ({"set": {"run.warmup_dayz": 10}}, [], ["set", "warmup_dayz"]),
        ({"replications": 1}, [], ["replications"]),
        ({"optimiser": {"max_evaluations": 1}}, [], ["optimiser.max_evaluations"]),
        ({}, ["--max-evaluations", "1"], ["--max-evaluations", "2 or more"]),
    ],
)
def test_bad_settings_exit_2_naming_the_file_and_key_without_simulating(
    tmp_path, monkeypatch, changes, options, expected
):
    def no_simulation(*args, **kwargs):
        pytest.fail("bad settings must be refused before anything is simulated")

    monkeypatch.setattr(sim.calibrate, "run_calibration", no_simulation)
    write_short_baseline(tmp_path, horizon_days=60, warmup_days=10)
    write_targets(tmp_path, UNMATCHED_TARGETS)
    config = write_config(tmp_path, **changes)
    out = tmp_path / "out"
    status, err = calibrate(config, out, *options)
    assert status == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    if not options:  # a bad option names the option; a bad file names the file
        assert str(config) in err, err
    for fragment in expected:
        assert fragment in err, err
    assert not out.exists()


def test_the_budget_caps_every_evaluation_and_the_fit_says_the_search_stopped(unmatched):
    """--max-evaluations 2: the start point, then no room for a step (3 points) nor the uncertainty estimate (2)."""
    folder, config, _, _, _ = unmatched
    out = folder / "tiny_budget"
    status, err = calibrate(config, out, "--max-evaluations", "2")
    assert status == 0, err
    assert len(pd.read_csv(out / "evaluations.csv")) <= 2
    assert json.loads((out / "run.json").read_text())["evaluations"] <= 2
    fit = pd.read_csv(out / "fit.csv")
    assert fit.status.str.contains("search stopped: budget of 2 evaluations spent").all(), fit.status.tolist()
    assert not fit.status.str.contains("trade-off").any()
    assert pd.read_csv(out / "parameters.csv").sd.isna().all()  # not estimated: no budget left for it


def test_a_target_the_model_leaves_undefined_is_refused_naming_it(tmp_path):
    write_short_baseline(tmp_path, horizon_days=60, warmup_days=10)
    write_targets(tmp_path, {"care_home_utilisation_pct": (90.0, 2.0), "mean_los_days": (9.0, 0.3)})
    config = write_config(tmp_path, parameters=[BEDS])
    status, err = calibrate(config, tmp_path / "out", "--max-evaluations", "3")
    assert status == 2 and "care_home_utilisation_pct" in err, err


@pytest.mark.parametrize(
    "changes, wanted, unwanted",
    [
        pytest.param(
            {"colour": "blue"}, "parameters", "age_bands", id="unknown-key",
        ),
        pytest.param(
            {"parameters": [{**BEDS, "keys": ["acute.bedz"]}]}, "acute.bedz", "<object", id="missing-key-path",
        ),
    ],
)
def test_bad_settings_messages_say_what_was_expected(tmp_path, changes, wanted, unwanted):
    write_short_baseline(tmp_path, horizon_days=60, warmup_days=10)
    write_targets(tmp_path, UNMATCHED_TARGETS)
    status, err = calibrate(write_config(tmp_path, **changes), tmp_path / "out")
    assert status == 2 and wanted in err and unwanted not in err, err
