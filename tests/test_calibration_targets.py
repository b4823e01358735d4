"""Historic targets: the shipped file is valid and sourced; distances from a run are z-scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.calibrate import load_targets, target_table
from sim.errors import InputError

TARGETS = Path(__file__).resolve().parents[1] / "calibration" / "targets.yaml"


def test_the_shipped_targets_are_valid_and_each_has_a_source_and_period():
    targets = load_targets(TARGETS)
    assert len(targets) >= 10
    assert len({t.indicator for t in targets}) == len(targets)
    assert all(len(t.source) > 20 and t.period for t in targets)
    los = next(t for t in targets if t.indicator == "mean_los_days")
    assert los.standard_deviation() == pytest.approx((9.0 - 8.0) / 3.919927969)


def summary_of(**values: tuple[float, float, float]) -> pd.DataFrame:
    rows = [(name, mean, low, high, 10) for name, (mean, low, high) in values.items()]
    return pd.DataFrame(rows, columns=["indicator", "mean", "ci_low", "ci_high", "replications"])


def test_z_is_the_distance_in_combined_standard_deviations(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": [
        {"indicator": "mean_los_days", "value": 8.0, "sd": 0.5, "period": "p", "source": "s"},
        {"indicator": "readmission_30d_rate", "value": 0.15, "sd": 0.01, "period": "p", "source": "s"},
    ]}))
    targets = load_targets(path)
    table = target_table(targets, summary_of(mean_los_days=(8.5, 8.5, 8.5), readmission_30d_rate=(0.15, 0.14, 0.16)))
    z = table.set_index("target").z
    assert z["mean_los_days"] == pytest.approx(1.0)  # no simulation noise: (8.5 - 8) / 0.5
    assert z["readmission_30d_rate"] == 0.0
    assert table.set_index("target").within_95.all()


@pytest.mark.parametrize(
    "target, key",
    [
        ({"indicator": "mean_los", "value": 8.0, "sd": 1.0}, "targets.0.indicator"),
        ({"indicator": "mean_los_days", "value": 8.0, "sd": 1.0, "interval": [7.0, 9.0]}, "targets.0"),
        ({"indicator": "mean_los_days", "value": 8.0}, "targets.0"),
        ({"indicator": "mean_los_days", "value": 10.0, "interval": [7.0, 9.0]}, "targets.0"),
        ({"indicator": "mean_los_days", "value": 8.0, "sd": -1.0}, "targets.0.sd"),
    ],
)
def test_bad_targets_are_refused_naming_the_key(tmp_path, target, key):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": [{"period": "p", "source": "s", **target}]}))
    with pytest.raises(InputError) as error:
        load_targets(path)
    assert str(path) in str(error.value) and key in str(error.value)
