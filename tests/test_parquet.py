"""--format parquet: every results table also as Parquet, the same content as its CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.cli import main
from sim.files import write_tables

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


def test_write_tables_adds_parquet_only_when_asked(tmp_path):
    table = pd.DataFrame({"scenario": ["a", "b"], "value": [1.5, float("nan")], "count": [3, 4]})
    write_tables(tmp_path / "csv_only", {"t.csv": table})
    assert [p.name for p in (tmp_path / "csv_only").iterdir()] == ["t.csv"]
    write_tables(tmp_path / "both", {"t.csv": table}, parquet=True)
    back = pd.read_parquet(tmp_path / "both" / "t.parquet")
    pd.testing.assert_frame_equal(back, table)  # types kept, NaN included
    assert sorted(p.name for p in (tmp_path / "both").iterdir()) == ["t.csv", "t.parquet"]


def test_run_writes_every_table_as_parquet_too(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(BASELINE), "--replications", "1", "--workers", "1", "--quiet", "--format", "parquet",
                 "--set", "run.horizon_days=20", "--set", "run.warmup_days=10", "--out", str(out)]) == 0
    tables = sorted(out.glob("*.csv"))
    assert {t.name for t in tables} >= {"summary.csv", "replications.csv", "daily.csv"}
    for table in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(table.with_suffix(".parquet")), pd.read_csv(table),
                                      check_dtype=False)
