"""Bad values in the community-service, readmission and cost sections are refused (exit 2).

Spec ("Scenarios", "Command line"): probabilities that do not sum to one,
negative capacities and rates, unknown keys and the like are refused with a
message that names the file, the key path and what was expected; exit status 2.

Each case writes a small scenario into tmp_path that `extends:` the shipped
baseline (by absolute path) and changes one thing, then runs
`python -m sim check FILE` in-process.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import simpy
import yaml

from sim.cli import main
from sim.indicators import compute_indicators
from sim.model import CENSUS_COLUMNS, Records, draw_arrivals, simulate
from sim.model.services import make_services
from sim.scenario import load_scenario
from sim.scenario.schema import Reablement
from sim.streams import Streams

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
BAND = load_scenario(BASELINE).age_bands[0]  # an age band the baseline has, whatever they are called


def child(tmp_path: Path, changes: dict, name: str = "child.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"extends": str(BASELINE), **changes}, sort_keys=False), encoding="utf-8")
    return path


def refused(capsys, path: Path) -> str:
    status = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert status == 2, f"exit {status}; stdout {out!r}; stderr {err!r}"
    assert out == ""
    assert err.startswith("error: ") and "Traceback" not in err, err
    return err


def names_key_path(message: str, key_path: str) -> bool:
    """The message names the dotted key path, whole ("a.b.c: ...") or as section and key ("a: b.c ...", "a.b: c ...")."""
    if f"{key_path}:" in message:
        return True
    parts = key_path.split(".")
    return any(
        f"{'.'.join(parts[:i])}: {'.'.join(parts[i:])}" in message for i in range(1, len(parts))
    )


def outcomes(**shares: float) -> dict:
    return {BAND: shares}


# (id, changes, key path the message must name, words it must contain)
BAD = [
    (
        "reablement outcomes sum to 1.05",
        {"services": {"reablement": {"outcomes": outcomes(independent=0.8, home_care=0.2, readmitted=0.05, died=0.0)}}},
        f"services.reablement.outcomes.{BAND}",
        ["1.05", "expected 1"],
    ),
    (
        "intermediate care outcomes sum to 0.9",
        {"services": {"intermediate_care": {"outcomes": {BAND: {"home": 0.5, "home_care": 0.2, "care_home": 0.1, "readmitted": 0.1, "died": 0.0}}}}},
        f"services.intermediate_care.outcomes.{BAND}",
        ["0.9", "expected 1"],
    ),
    (
        "an outcome probability above 1",
        {"services": {"reablement": {"outcomes": outcomes(independent=1.2, home_care=-0.2, readmitted=0.0, died=0.0)}}},
        f"services.reablement.outcomes.{BAND}.independent",
        ["1.2", "expected less than or equal to 1"],
    ),
    (
        "reablement places and care hours both",
        {"services": {"reablement": {"places": 120, "care_hours_per_week": 1000.0, "hours_per_person_per_week": 8.0}}},
        "services.reablement",
        ["places", "care_hours_per_week", "not both"],
    ),
    (
        "reablement capacity neither as places nor as hours",
        {"services": {"reablement": {"places": None, "care_hours_per_week": None, "hours_per_person_per_week": None}}},
        "services.reablement",
        ["no capacity", "places", "care_hours_per_week"],
    ),
    (
        "care hours without hours per person",
        {"services": {"reablement": {"places": None, "care_hours_per_week": 1000.0, "hours_per_person_per_week": None}}},
        "services.reablement",
        ["hours_per_person_per_week"],
    ),
    (
        "care hours below one place",
        {"services": {"reablement": {"places": None, "care_hours_per_week": 4.0, "hours_per_person_per_week": 8.0}}},
        "services.reablement",
        ["care_hours_per_week", "below 1 place", "expected at least 1"],
    ),
    (
        "no home care packages",
        {"services": {"home_care": {"packages": 0, "clients_at_start": 0}}},
        "services.home_care.packages",
        ["value 0", "expected greater than 0"],
    ),
    (
        "more home care clients at start than packages",
        {"services": {"home_care": {"packages": 100, "clients_at_start": 101}}},
        "services.home_care.clients_at_start",
        ["101", "100", "expected at most packages"],
    ),
    (
        "negative home care end rate",
        {"services": {"home_care": {"end_rates_per_year": {"died": -0.1}}}},
        "services.home_care.end_rates_per_year.died",
        ["-0.1", "expected greater than or equal to 0"],
    ),
    (
        "negative care home end rate",
        {"services": {"care_home": {"end_rates_per_year": {"readmitted": -0.4}}}},
        "services.care_home.end_rates_per_year.readmitted",
        ["-0.4", "expected greater than or equal to 0"],
    ),
    (
        "more care home residents at start than places",
        {"services": {"care_home": {"places": 10, "residents_at_start": 11}}},
        "services.care_home.residents_at_start",
        ["11", "10", "expected at most places"],
    ),
    (
        "30-day readmission probability 1.5",
        {"readmission": {"within_30_days": {"p1": 1.5}}},
        "readmission.within_30_days.p1",
        ["1.5", "expected less than or equal to 1"],
    ),
    (
        "negative delay effect",
        {"readmission": {"delay_effect_per_day": -0.01}},
        "readmission.delay_effect_per_day",
        ["-0.01", "expected greater than or equal to 0"],
    ),
    (
        "unknown key under readmission",
        {"readmission": {"within_30_day": {"p1": 0.1}}},
        "readmission.within_30_day",
        ["unknown key", "within_30_days", "delay_effect_per_day"],
    ),
    (
        "reablement outcome for an age band not in age_bands",
        {"services": {"reablement": {"outcomes": {"95+": {"independent": 1.0, "home_care": 0.0, "readmitted": 0.0, "died": 0.0}}}}},
        "services.reablement.outcomes",
        ["'95+'", "not in age_bands", "expected one of"],
    ),
    (
        "intermediate care outcome for an age band not in age_bands",
        {"services": {"intermediate_care": {"outcomes": {"95+": {"home": 1.0, "home_care": 0.0, "care_home": 0.0, "readmitted": 0.0, "died": 0.0}}}}},
        "services.intermediate_care.outcomes",
        ["'95+'", "not in age_bands"],
    ),
    (
        "negative unit cost",
        {"costs": {"home_care_hour": -30.0}},
        "costs.home_care_hour",
        ["-30", "expected greater than or equal to 0"],
    ),
    (
        "negative acute bed day cost",
        {"costs": {"acute_bed_day": -1}},
        "costs.acute_bed_day",
        ["-1", "expected greater than or equal to 0"],
    ),
    (
        "pathway 1 home care share 2",
        {"pathways": {"p1_home_care_share": 2}},
        "pathways.p1_home_care_share",
        ["value 2", "expected less than or equal to 1"],
    ),
    (
        "unknown when_full choice",
        {"services": {"reablement": {"when_full": "divert"}}},
        "services.reablement.when_full",
        ["'divert'", "expected"],
    ),
    (
        "negative home death rate",
        {"after_discharge": {"death_rate_per_year_at_home": -0.2}},
        "after_discharge.death_rate_per_year_at_home",
        ["expected greater than or equal to 0"],
    ),
    (
        "time to readmission that can never fall within 30 days",
        {"readmission": {"time_to_readmission": {"distribution": "fixed", "value": 40.0}}},
        "readmission.time_to_readmission",
        ["30 days", "expected"],
    ),
]


@pytest.mark.parametrize("changes, key_path, words", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_service_value_is_refused_naming_file_and_key_path(tmp_path, capsys, changes, key_path, words):
    path = child(tmp_path, changes)
    message = refused(capsys, path)
    assert str(path) in message, message
    assert names_key_path(message, key_path), f"{key_path!r} not named in {message!r}"
    assert "expected" in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_readmission_key_errors_name_the_child_file_not_the_baseline(tmp_path, capsys):
    path = child(tmp_path, {"readmission": {"delay_effect_per_day": -1.0}})
    message = refused(capsys, path)
    assert f"{path}: readmission.delay_effect_per_day: value -1.0:" in message
    assert str(BASELINE) not in message


# A check comparing two keys once ran on the whole section, so its error named
# whichever file last set anything in that section; these tests keep it on the
# file that set the offending value.


@pytest.mark.parametrize(
    "bad, unrelated",
    [
        ({"home_care": {"packages": 100, "clients_at_start": 101}}, {"reablement": {"places": 50}}),
        ({"care_home": {"places": 10, "residents_at_start": 11}}, {"care_home": {"placement_wait": {"distribution": "fixed", "value": 1.0}}}),
    ],
    ids=["home_care_clients", "care_home_residents"],
)
def test_start_clients_error_names_the_file_that_set_them(tmp_path, capsys, bad, unrelated):
    """Like any inherited value: a parent with too many clients at start, a child that changes something
    else in `services`: the message must send the analyst to the parent."""
    parent = child(tmp_path, {"services": bad}, name="parent.yaml")
    kid = tmp_path / "kid.yaml"
    kid.write_text(yaml.safe_dump({"extends": "parent.yaml", "services": unrelated}), encoding="utf-8")
    message = refused(capsys, kid)
    assert f"{parent}: services." in message, message
    assert str(kid) not in message, message


def test_start_clients_error_is_not_blamed_on_an_unrelated_set(tmp_path, capsys):
    parent = child(tmp_path, {"services": {"home_care": {"packages": 100, "clients_at_start": 101}}}, name="parent.yaml")
    status = main(["check", str(parent), "--set", "services.reablement.places=50"])
    _, err = capsys.readouterr()
    assert status == 2
    assert f"{parent}: services.home_care" in err, err
    assert "--set" not in err, err


def test_good_service_values_pass(tmp_path, capsys):
    """The boundary values are allowed: shares of 0 and 1, clients filling every package, free care.

    Without the baseline's long-stay census: its 918 home care clients would not fit 50 packages (refused by
    check too, tests/test_hostile_inputs.py).
    """
    path = child(
        tmp_path,
        {
            "census": None,
            "pathways": {"p1_home_care_share": 1.0},
            "services": {
                "reablement": {"outcomes": outcomes(independent=1.0, home_care=0.0, readmitted=0.0, died=0.0)},
                "home_care": {"packages": 50, "clients_at_start": 50, "end_rates_per_year": {"died": 0.0, "care_home": 0.0, "readmitted": 0.0}},
                "care_home": {"places": 10, "residents_at_start": 10},
            },
            "readmission": {"within_30_days": {"p0": 0.0, "p1": 1.0}, "delay_effect_per_day": 0.0},
            "costs": {"acute_bed_day": 0.0},
        },
    )
    status = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "OK" in out


# --- reablement capacity in care hours -------------------------------------------------------------


def by_hours(care_hours: float, per_person: float) -> Reablement:
    return Reablement.model_validate(
        {
            "care_hours_per_week": care_hours,
            "hours_per_person_per_week": per_person,
            "duration": {"distribution": "fixed", "value": 14.0},
        }
    )


@pytest.mark.parametrize(
    "care_hours, per_person, places",
    [(1000.0, 8.0, 125), (1001.0, 8.0, 125), (999.0, 8.0, 124), (8.0, 8.0, 1), (2.4, 0.8, 3), (0.7, 0.1, 7)],
)
def test_care_hours_give_whole_places(care_hours, per_person, places):
    """places = floor(hours / hours per person); a quotient like 2.4 / 0.8 = 2.9999999999999996 still gives 3."""
    assert by_hours(care_hours, per_person).place_count() == places


def test_reablement_capacity_in_care_hours_reaches_the_model(tmp_path, capsys):
    path = child(
        tmp_path,
        {
            "run": {"warmup_days": 30, "horizon_days": 60},
            "services": {"reablement": {"places": None, "care_hours_per_week": 1000.0, "hours_per_person_per_week": 8.0}},
        },
    )
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
    scenario = load_scenario(path)
    assert scenario.services.reablement.place_count() == 125
    services = make_services(simpy.Environment(), scenario, Records(horizon_days=60.0, warmup_days=30.0))
    assert services["reablement"].places.capacity == 125

    # tight enough to fill: the census never shows more than 125 places in use, and does show 125
    tight = load_scenario(path, ["services.reablement.care_hours_per_week=600", "run.seed=125"])  # 75 places
    streams = Streams(tight.run.seed, 0)
    records = simulate(tight, draw_arrivals(tight, streams), streams)
    in_use = [row[CENSUS_COLUMNS.index("reablement_in_use")] for row in records.census]
    assert max(in_use) == 75
    # utilisation is measured against the places the hours buy
    horizon = records.horizon_days
    held = sum(
        max(0.0, min(horizon if math.isnan(st.released) else st.released, horizon) - max(st.reserved, 0.0))
        for st in records.stays
        if st.service == "reablement" and not math.isnan(st.reserved)
    )
    utilisation = compute_indicators(records, tight)["reablement_utilisation_pct"]
    assert utilisation == pytest.approx(100 * held / (75 * horizon), rel=1e-9)
    assert utilisation <= 100 + 1e-9
