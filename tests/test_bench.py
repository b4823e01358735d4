"""`python -m sim bench`: output format and that both implementations run the same ward. No timing checks."""

from __future__ import annotations

import math
import re

import pytest

from sim.bench import reference, run_bench
from sim.bench.ward import bench_ward_scenario
from sim.cli import main

YEARS = 0.2
DAYS = YEARS * reference.DAYS_PER_YEAR
EXPECTED = reference.ARRIVALS_PER_DAY * DAYS  # Poisson mean of admission requests
TOLERANCE = 5 * math.sqrt(EXPECTED)  # five standard deviations


@pytest.fixture(scope="module")
def bench_result() -> dict:
    return run_bench(years=YEARS, repeats=1)


def test_cli_prints_ratio_as_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--years", str(YEARS), "--repeats", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"ratio_vs_simpy_reference: \d+\.\d\d", lines[-1])
    assert any("patients/s" in line for line in lines[:-1])


def test_both_implementations_see_the_same_demand(bench_result: dict) -> None:
    for side in ("ours", "reference"):
        row = bench_result[side]
        assert abs(row["patients"] - EXPECTED) < TOLERANCE, (side, row)
        assert 0 < row["admitted"] <= row["patients"]
        assert abs(row["admitted"] - EXPECTED) < TOLERANCE, (side, row)


def test_ratio_is_ours_over_reference(bench_result: dict) -> None:
    ours, ref = bench_result["ours"]["patients_per_second"], bench_result["reference"]["patients_per_second"]
    assert bench_result["ratio"] == pytest.approx(ours / ref)


def test_bench_scenario_is_the_reference_ward() -> None:
    scenario = bench_ward_scenario(years=5)
    assert scenario.run.horizon_days == 5 * 365
    assert scenario.run.warmup_days == 0
    assert scenario.demand.arrivals_per_day == {"all": reference.ARRIVALS_PER_DAY}
    assert scenario.acute.beds == reference.BEDS
    assert scenario.services.reablement.places == reference.SERVICE_PLACES
    assert scenario.services.reablement.duration.mean == reference.SERVICE_MEAN
    assert scenario.pathways.probabilities["all"].p1 == reference.SERVICE_SHARE
    assert scenario.in_hospital_death.probability == {"all": 0.0}
    for pathway in ("p0", "p1", "p2", "p3"):
        stay = scenario.clinical_stay.by_pathway.of(pathway)
        assert (stay.mean, stay.sd) == (reference.LOS_MEAN, reference.LOS_SD)


def test_the_instruction_count_is_read_from_callgrind_s_summary_line() -> None:
    from sim.bench.instructions import summary_instructions

    output = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 626239123\ntotals: 626239123\n"
    assert summary_instructions(output) == 626239123
    with pytest.raises(ValueError):
        summary_instructions("events: Ir\n")


def test_instruction_counting_without_valgrind_exits_2(monkeypatch, capsys) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["bench", "--instructions"]) == 2
    assert "needs valgrind" in capsys.readouterr().err
