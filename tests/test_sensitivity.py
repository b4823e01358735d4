"""Sensitivity analysis: a parameter that cannot matter scores zero, a dominant one ranks first, reproducibly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from model_helpers import write_short_baseline

from sim.cli import main
from sim.sensitivity import base_scenario, load_config, point_scenarios, sample_points


def write_config(folder: Path, **changes) -> Path:
    write_short_baseline(folder, horizon_days=90)
    config = {
        "name": "tiny",
        "scenario": "short.yaml",
        "parameters": [
            {"key": "clinical_stay.by_pathway.p0.mean", "low": 3.0, "high": 5.0},
            {"key": "costs.care_home_week", "low": 700, "high": 1100},  # cannot change a length of stay
            {"key": "services.intermediate_care.places", "low": 45, "high": 55, "integer": True},
        ],
        "indicators": ["mean_los_days", "cost_care_home_per_year"],
        "method": "morris",
        "samples": 4,
        "replications": 1,
        "seed": 5,
        **changes,
    }
    path = folder / "sensitivity.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def morris(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sensitivity")
    path = write_config(folder)
    out = folder / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    return path, out, pd.read_csv(out / "sensitivity.csv")


def mu_star(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    return table[(table.indicator == indicator) & (table["index"] == "mu_star")].set_index("parameter")


def test_a_parameter_that_cannot_matter_scores_zero_and_the_dominant_one_ranks_first(morris):
    _, _, table = morris
    los = mu_star(table, "mean_los_days")
    irrelevant = los.loc["costs.care_home_week"]
    assert irrelevant.value == 0 and irrelevant.ci_low <= 0 <= irrelevant.ci_high  # common random numbers: exactly 0
    assert los.value.idxmax() == "clinical_stay.by_pathway.p0.mean"
    cost = mu_star(table, "cost_care_home_per_year")
    assert cost.value.idxmax() == "costs.care_home_week"


def test_outputs_are_written_with_their_columns(morris):
    _, out, table = morris
    assert list(table.columns) == ["parameter", "indicator", "method", "index", "value", "ci_low", "ci_high"]
    assert (out / "sensitivity_mean_los_days.png").stat().st_size > 1000
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4 * (3 + 1)  # Morris: trajectories x (parameters + 1)


def test_sampling_and_results_are_reproducible_with_the_seed(morris, tmp_path):
    path, out, _ = morris
    again = tmp_path / "again"
    assert main(["sensitivity", str(path), "--out", str(again), "--workers", "1", "--quiet"]) == 0
    assert (again / "sensitivity.csv").read_bytes() == (out / "sensitivity.csv").read_bytes()
    config, _ = load_config(path)
    other, _ = load_config(write_config(tmp_path, seed=6))
    assert (sample_points(config) == sample_points(config)).all()
    assert not (sample_points(config) == sample_points(other)).all()


def test_a_balanced_parameter_keeps_its_sum(tmp_path):
    path = write_config(tmp_path, parameters=[
        {"key": "services.reablement.outcomes.85+.independent", "low": 0.52, "high": 0.72,
         "balance": "services.reablement.outcomes.85+.home_care"},
        {"key": "acute.beds", "low": 200, "high": 230, "integer": True},
    ])
    config, config_path = load_config(path)
    for scenario in point_scenarios(config, config_path, base_scenario(config, config_path), sample_points(config)).values():
        outcome = scenario.services.reablement.outcomes["85+"]
        assert sum(outcome.as_list()) == pytest.approx(1.0)
        assert outcome.home_care == pytest.approx(0.26 - (outcome.independent - 0.62))
        assert scenario.acute.beds == int(scenario.acute.beds)


def test_sobol_gives_first_order_and_total_indices(tmp_path):
    path = write_config(tmp_path, method="sobol", samples=8, indicators=["mean_los_days"])
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["index"]) == {"S1", "ST"}
    total = table[table["index"] == "ST"].set_index("parameter").value
    assert total.idxmax() == "clinical_stay.by_pathway.p0.mean"


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"indicators": ["mean_los"]}, "indicators"),
        ({"parameters": [{"key": "acute.beds", "low": 230, "high": 200}, {"key": "acute.beds", "low": 1, "high": 2}]}, "parameters.0"),
        ({"method": "fast"}, "method"),
        ({"samples": 1}, "samples"),
        ({"colour": "red"}, "colour"),
        ({"scenario": "nowhere.yaml"}, "scenario"),
        ({"parameters": [{"key": "acute.bedz", "low": 1, "high": 2}, {"key": "acute.beds", "low": 200, "high": 220}]}, "acute.bedz"),
    ],
)
def test_a_bad_config_exits_2_naming_the_key(tmp_path, capsys, changes, key):
    path = write_config(tmp_path, **changes)
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err
