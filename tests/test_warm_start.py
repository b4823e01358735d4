"""Warm start from a census: people put in place, the rest of their journeys, no warm-up needed; census files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from model_helpers import BASELINE, every_band
from scipy import integrate, stats

from sim.cli import main
from sim.distributions import from_uniform, residual_from_uniform
from sim.model import CENSUS_COLUMNS, draw_arrivals, simulate
from sim.model.census_start import census_of
from sim.runner import run_replication
from sim.scenario import load_scenario
from sim.scenario.census import read_census, write_census
from sim.scenario.schema import CensusEntry, Exponential, Lognormal, Scenario
from sim.streams import Streams

HISTORY = Path(__file__).resolve().parents[1] / "calibration" / "history"


def steady_state_census(replication: int, seed_offset: int = 1) -> list[CensusEntry]:
    """Who is where at day 0 of the baseline after its two-year warm-up (another seed than the runs compared)."""
    source = load_scenario(BASELINE, ["run.horizon_days=0.001"])
    streams = Streams(source.run.seed + seed_offset, replication)
    records = simulate(source, draw_arrivals(source, streams), streams)
    return census_of(records, source, at=0.0)


def with_census(scenario: Scenario, census: list[CensusEntry] | None) -> Scenario:
    data = scenario.model_dump()
    data["census"] = None if census is None else [e.model_dump() for e in census]
    data["run"]["warmup_days"] = 0.0
    return Scenario.model_validate(data)


# --- the rest of a duration already under way -------------------------------------


def test_an_exponential_duration_forgets_how_long_it_has_lasted():
    u = np.linspace(0.01, 0.99, 50)
    dist = Exponential(distribution="exponential", mean=12.0)
    assert residual_from_uniform(dist, u, 30.0) == pytest.approx(from_uniform(dist, u))


def test_the_rest_of_a_lognormal_stay_has_the_conditional_mean():
    """E[X - a | X > a] by numerical integration, against the mean of the inverse-transform draws."""
    dist = Lognormal(distribution="lognormal", mean=8.0, sd=10.0)
    elapsed = 12.0
    sigma2 = math.log1p((dist.sd / dist.mean) ** 2)
    law = stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(dist.mean) - sigma2 / 2))
    expected = integrate.quad(law.sf, elapsed, np.inf)[0] / law.sf(elapsed)
    draws = residual_from_uniform(dist, (np.arange(200_000) + 0.5) / 200_000, elapsed)
    assert draws.min() >= 0
    assert draws.mean() == pytest.approx(expected, rel=2e-3)


# --- people in place on day 0 --------------------------------------------------------


def test_the_census_people_are_where_the_census_says_on_day_0():
    census = steady_state_census(0)
    scenario = with_census(load_scenario(BASELINE, ["run.horizon_days=3"]), census)
    streams = Streams(scenario.run.seed, 0)
    records = simulate(scenario, draw_arrivals(scenario, streams), streams)  # checks conservation every midnight
    day0 = dict(zip(CENSUS_COLUMNS, records.census[0], strict=True))
    count = {place: sum(e.place == place for e in census) for place in ("acute_bed", "waiting_for_bed")}
    assert day0["beds_occupied"] == count["acute_bed"]
    assert day0["bed_queue"] == count["waiting_for_bed"]
    assert day0["delayed_patients"] == sum(e.place == "acute_bed" and e.delayed_days > 0 for e in census)
    for service in ("reablement", "home_care", "intermediate_care", "care_home"):
        assert day0[f"{service}_in_service"] == sum(e.place == service for e in census)


def test_the_census_leaves_out_people_who_died_after_a_recent_discharge():
    """Someone at home after a recent discharge is listed only while alive: deaths at home and in a service count."""
    source = load_scenario(BASELINE, ["run.horizon_days=0.001"])
    streams = Streams(source.run.seed + 1, 0)
    records = simulate(source, draw_arrivals(source, streams), streams)
    last = {s.patient: s for s in records.spells}  # spells are in order of arrival
    died_lately = {
        p for p, t in records.deaths.items()
        if p in last and t <= 0.0 and not last[p].died and 0.0 <= -last[p].left_bed < 30.0  # census people have no spell
    }
    at_home = sum(e.place == "home" for e in census_of(records, source, at=0.0))
    # both kinds are there, or this would test less than it says
    died_in_service = {st.patient for st in records.stays if st.outcome == "died"}
    assert died_lately & died_in_service and died_lately - died_in_service  # some at home too
    records.deaths.clear()  # the census with the deaths hidden from it
    assert sum(e.place == "home" for e in census_of(records, source, at=0.0)) - at_home == len(died_lately)


def test_more_people_in_beds_than_beds_is_refused(tmp_path, capsys):
    rows = "place,age_band,pathway,days,delayed_days\n" + "acute_bed,85+,p0,1.0,0\n" * 3
    (tmp_path / "census.csv").write_text(rows)
    code = main(["run", str(BASELINE), "--set", f"census={tmp_path / 'census.csv'}", "--set", "acute.beds=2",
                 "--set", "acute.escalation=[]", "--set", "run.warmup_days=0", "--set", "run.horizon_days=5",
                 "--replications", "1", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    assert "more people in acute beds than the 2 beds" in capsys.readouterr().err


def test_a_warm_start_from_the_steady_state_needs_no_warm_up():
    """Each replication starts from its own steady-state census (taken after two years, on other random
    numbers) with no warm-up, and runs 6 weeks; the same 6 weeks after the baseline's two-year warm-up are
    the long-run reference. Welch t-tests on 6 indicators at a family-wise 5 % (Bonferroni). The
    negative control, an empty start with no warm-up, must fail the same test.
    """
    replications = 16
    long_run = load_scenario(BASELINE, ["run.horizon_days=42"])
    indicators = ["mean_occupancy_pct", "delayed_patients_mean", "reablement_utilisation_pct",
                  "home_care_utilisation_pct", "admissions_per_year", "readmission_30d_rate"]
    warm, cold, reference = [], [], []
    for r in range(replications):
        warm.append(run_replication(with_census(long_run, steady_state_census(r)), r).indicators)
        cold.append(run_replication(with_census(long_run, None), r).indicators)
        reference.append(run_replication(long_run, r).indicators)
    level = 0.05 / len(indicators)
    for name in indicators:
        a, b = [x[name] for x in warm], [x[name] for x in reference]
        assert stats.ttest_ind(a, b, equal_var=False).pvalue > level, (name, np.mean(a), np.mean(b))
    empty = [x["mean_occupancy_pct"] for x in cold]
    assert stats.ttest_ind(empty, [x["mean_occupancy_pct"] for x in reference], equal_var=False).pvalue < level


def test_census_patients_who_will_die_keep_the_time_to_death_of_new_ones():
    """New patients' time before an in-hospital death is not scaled by their age band (only clinical stays
    are): census patients who will die get the rest of that same unscaled time. Everyone dies after an
    exponential 10 days (memoryless: 10 more days on average, whatever has passed); age factor 2 would
    double it if applied. 400 census patients: their mean is 10 +- 3 x 10 / sqrt(400) = 10 +- 1.5."""
    scenario = load_scenario(BASELINE, [
        "run.warmup_days=0", "run.horizon_days=300", "acute.beds=1000",
        "demand.arrivals_per_day=" + every_band(0.01),
        "in_hospital_death.probability=" + every_band(1.0),
        "in_hospital_death.stay_before_death={distribution: exponential, mean: 10.0}",
        "clinical_stay.age_band_factor=" + every_band(2.0),
    ])
    census = [CensusEntry(place="acute_bed", age_band="85+", pathway="p0", days=5.0)] * 400
    start = with_census(scenario, census)
    streams = Streams(start.run.seed, 0)
    records = simulate(start, draw_arrivals(start, streams), streams)
    census_spells = [s for s in records.spells if s.arrival == -5.0]
    assert len(census_spells) == 400 and all(s.died for s in census_spells)
    assert np.mean([s.left_bed for s in census_spells]) == pytest.approx(10.0, abs=1.5)


PAIRS = 12  # replications run with and without the census's elapsed time


@pytest.mark.slow
def test_census_patients_keep_what_is_left_of_their_stays():
    """Paired: the shipped census (150 of its people in treatment in an acute bed) run for 14 days, and the
    same census with those people's time in hospital so far set to 0 (fresh clinical stays), on the same 12
    replications. The clinical stays are lognormal with sd above the mean, so what is left of a stay already
    under way is longer than a fresh one: occupancy must be higher with the elapsed time. Code that ignored
    it would give identical runs.

    Power: over 24 pilot pairs (replications 0-23) the paired differences in mean occupancy had sd 0.61
    points (mean +1.7). With 12 pairs, a one-sided paired t-test at 1 % rejects "no change" with
    probability 0.996 when the true change is 1 point (noncentral t with 11 degrees of freedom,
    ncp = 1 / 0.61 x sqrt(12) = 5.7); 0.92 if the sd were 0.80, the pilot's upper 95 % bound.
    """
    with_elapsed = load_scenario(BASELINE, [f"census={HISTORY / 'census_day0.csv'}", "run.warmup_days=0",
                                            "run.horizon_days=14"])
    in_treatment = [e.place == "acute_bed" and e.delayed_days == 0 for e in with_elapsed.census]
    assert sum(in_treatment) >= 100
    fresh = [e.model_copy(update={"days": 0.0}) if treated else e
             for e, treated in zip(with_elapsed.census, in_treatment, strict=True)]
    without = with_elapsed.model_copy(update={"census": fresh})
    diffs = np.array([
        run_replication(with_elapsed, r).indicators["mean_occupancy_pct"]
        - run_replication(without, r).indicators["mean_occupancy_pct"]
        for r in range(PAIRS)
    ])
    assert diffs.mean() > 0
    assert stats.ttest_1samp(diffs, 0.0, alternative="greater").pvalue < 0.01, diffs


# --- census files ------------------------------------------------------------------------


def test_a_census_file_round_trips(tmp_path):
    census = steady_state_census(1)
    write_census(tmp_path / "census.csv", census)
    rows = read_census(tmp_path / "census.csv")
    assert len(rows) == len(census)
    assert [r["place"] for r in rows] == [e.place for e in census]
    assert [r["days"] for r in rows] == pytest.approx([e.days for e in census], abs=1e-4)


def test_the_shipped_census_loads_with_the_baseline():
    scenario = load_scenario(BASELINE, [f"census={HISTORY / 'census_day0.csv'}"])
    places = {e.place for e in scenario.census}
    assert {"acute_bed", "reablement", "home_care", "intermediate_care", "care_home", "home"} <= places


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("place,age_band,days\nward,85+,1\n", "row 2, column place: value 'ward'"),
        ("place,age_band,days\nacute_bed,85+,soon\n", "row 2, column days: value 'soon': expected a number"),
        ("place,age_band,days,delayed_days\nacute_bed,85+,1,2\n", "delayed_days 2 is more than days 1"),
        ("place,age_band,days\nacute_bed,90+,1\n", "age band '90+' is not in age_bands"),
        ("place,age_band\nacute_bed,85+\n", "missing ['days']"),
        ("place,age_band,days,ward\nacute_bed,85+,1,A\n", "unknown columns ['ward']"),
        ("place,age_band,days\nhome,85+,45\n", "expected at most 30"),
    ],
)
def test_a_bad_census_exits_2_naming_the_file_and_row(tmp_path, capsys, content, expected):
    path = tmp_path / "census.csv"
    path.write_text(content)
    code = main(["check", str(BASELINE), "--set", f"census={path}"])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert "census" in err


def test_a_census_path_is_read_relative_to_the_file_that_names_it(tmp_path, monkeypatch):
    """README: a census named in a scenario file is found beside that file, whatever the working directory
    (which holds a decoy of the same name) and whichever file extends it; one given with --set is a path
    from the working directory."""
    folder, other, elsewhere = tmp_path / "forecast", tmp_path / "other", tmp_path / "elsewhere"
    for place in (folder, other, elsewhere):
        place.mkdir()
    (folder / "census.csv").write_text("place,age_band,days\nacute_bed,85+,3\n", encoding="utf-8")
    (elsewhere / "census.csv").write_text("place,age_band,days\nhome,65-74,1\nhome,65-74,2\n", encoding="utf-8")
    named = folder / "start.yaml"
    named.write_text(f"extends: {BASELINE}\ncensus: census.csv\nrun: {{warmup_days: 0}}\n", encoding="utf-8")
    extending = other / "child.yaml"
    extending.write_text("extends: ../forecast/start.yaml\nname: child\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    for path in (named, extending):
        assert [(e.place, e.age_band, e.days) for e in load_scenario(path).census] == [("acute_bed", "85+", 3.0)]
    from_set = load_scenario(extending, ["census=census.csv"]).census
    assert [(e.place, e.days) for e in from_set] == [("home", 1.0), ("home", 2.0)]
