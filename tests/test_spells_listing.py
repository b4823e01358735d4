"""`run --spells`: the per-spell listing for modellers agrees with the indicators it can reproduce, and has the values worked out by hand on constructed spells."""

from pathlib import Path

import pandas as pd
import pytest
from constructed import records, spell
from test_indicators_by_value import readmissions_case

from sim.cli import main
from sim.spells import spell_listing

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.yaml"
HORIZON = 200
COLUMNS = [
    "scenario", "replication", "patient", "spell", "age_band", "readmission", "arrival", "bed_wait_hours",
    "admitted", "medically_optimised", "pathway", "service", "left_bed", "los_days", "delay_days", "outcome",
    "readmitted_within_30d", "at_home_91d",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("spells")
    status = main([
        "run", str(BASELINE), "--replications", "2", "--workers", "1", "--quiet", "--spells", "--out", str(out),
        "--set", f"run.horizon_days={HORIZON}", "--set", "run.warmup_days=200",
        "--set", "census=null",  # a census's people have no first spell: every spell 1 here is a first admission
    ])
    assert status == 0
    return pd.read_csv(out / "spells.csv"), pd.read_csv(out / "replications.csv")


def indicator(replications: pd.DataFrame, replication: int, name: str) -> float:
    row = replications[(replications.replication == replication) & (replications.indicator == name)]
    return float(row.value.iloc[0])


def as_share(column: pd.Series) -> float:
    return float(column.dropna().astype(str).eq("True").mean())


def test_the_listing_has_the_spec_columns_and_one_row_per_spell(run):
    spells, _ = run
    assert list(spells.columns) == COLUMNS
    assert not spells.duplicated(["replication", "patient", "spell"]).any()
    first = spells[spells.spell == 1]
    assert not first.readmission.any() and spells[spells.spell > 1].readmission.all()


@pytest.mark.parametrize("replication", [0, 1])
def test_the_listing_reproduces_the_indicators(run, replication):
    spells, replications = run
    mine = spells[spells.replication == replication]
    ended = mine[(mine.left_bed >= 0) & (mine.left_bed < HORIZON)]
    assert ended.los_days.mean() == pytest.approx(indicator(replications, replication, "mean_los_days"), rel=1e-12)
    admitted = mine[(mine.admitted >= 0) & (mine.admitted < HORIZON)]
    assert len(admitted) * 365 / HORIZON == pytest.approx(indicator(replications, replication, "admissions_per_year"))
    discharged_in_horizon = mine[mine.left_bed >= 0]
    assert as_share(discharged_in_horizon.readmitted_within_30d) == pytest.approx(
        indicator(replications, replication, "readmission_30d_rate"), rel=1e-12
    )
    assert as_share(discharged_in_horizon.at_home_91d) == pytest.approx(
        indicator(replications, replication, "at_home_91d_rate"), rel=1e-12
    )
    requested = mine[(mine.arrival >= 0) & (mine.arrival < HORIZON)]
    assert (requested.outcome == "diverted").sum() * 365 / HORIZON == pytest.approx(
        indicator(replications, replication, "diverted_per_year")
    )



def test_the_listing_of_constructed_spells_has_the_values_worked_out_by_hand():
    """The readmission case of test_indicators_by_value.py, row by row, and a patient still waiting for a bed."""
    written, scenario = readmissions_case()
    listing = spell_listing(written, scenario)
    # patient, spell number, outcome, pathway (live discharges only), readmitted within 30 days (followed up only)
    expected = [
        (1, 1, "discharged", "p0", True),  # readmitted exactly 30 days later
        (2, 1, "discharged", "p0", False),  # 30.5 days later
        (3, 1, "discharged", "p0", False),
        (4, 1, "discharged", "p0", True),
        (5, 1, "discharged", "p0", None),  # discharged on day 70 of 100: its 30 days are not all inside
        (6, 1, "died_in_hospital", "", None),
        (1, 2, "discharged", "p0", False),
        (2, 2, "discharged", "p0", False),
        (4, 2, "in_hospital", "", None),
        (5, 2, "in_hospital", "", None),
    ]
    columns = ["patient", "spell", "outcome", "pathway", "readmitted_within_30d"]
    assert [tuple(row) for row in listing[columns].itertuples(index=False)] == expected
    assert listing.readmission.tolist() == [False] * 6 + [True] * 4
    assert (listing.los_days.iloc[0], listing.delay_days.iloc[0]) == (5.0, 2.0)
    assert listing.bed_wait_hours.tolist() == [0.0] * 10
    waiting = spell_listing(records(10.0, spells=[spell(7, 2.0, band=1)]), scenario)
    assert waiting.outcome.tolist() == ["waiting_for_bed"] and waiting.age_band.tolist() == [scenario.age_bands[1]]
