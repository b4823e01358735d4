"""Behaviour of the hospital model on short runs of the shipped baseline."""


from collections import Counter

import numpy as np
import pytest
from model_helpers import BASELINE, simulate_replication

from sim.calendar import DischargeWindow
from sim.model import CENSUS_COLUMNS
from sim.runner import run_replication
from sim.scenario import load_scenario

SHORT = ["run.warmup_days=60", "run.horizon_days=120", "run.replications=2"]


def short_baseline(*overrides: str):
    return load_scenario(BASELINE, [*SHORT, *overrides])


def census_columns(records):
    census = np.array(records.census, dtype=float)
    return {name: census[:, i] for i, name in enumerate(CENSUS_COLUMNS)}


def test_conservation_holds_at_every_midnight():
    """spells arrived = waiting for a bed + in a bed + in each service + at home awaiting readmission + ended."""
    _, records = simulate_replication(short_baseline())
    c = census_columns(records)
    present = (
        c["bed_queue"]
        + c["beds_occupied"]
        + sum(c[f"{s}_in_service"] for s in ("reablement", "home_care", "intermediate_care", "care_home"))
        + c["at_home"]
    )
    exited = c["exited_home"] + c["died_in_hospital"] + c["died_after_discharge"] + c["diverted"] + c["readmitted"]
    assert len(c["day"]) == 120
    assert np.array_equal(c["arrived"], present + exited)
    assert c["arrived"][-1] > c["arrived"][0] > 0  # people did arrive and leave during the run
    assert c["exited_home"][-1] > c["exited_home"][0]


def test_the_midnight_census_counts_what_the_spell_records_say():
    """At every midnight t of the horizon: in a bed = admitted by t and not yet gone; waiting for a bed = asked by
    t, not admitted, not sent elsewhere; delayed = medically optimised by t and still in the bed (the back-test
    compares the last with a hospital's daily count of delayed patients)."""
    _, records = simulate_replication(short_baseline())
    c = census_columns(records)
    s = {f: np.array([getattr(spell, f) for spell in records.spells], dtype=float)
         for f in ("arrival", "admitted", "optimised", "left_bed")}
    diverted = np.array([spell.diverted for spell in records.spells])
    day = c["day"][:, None]  # midnights down, spells across
    not_gone = ~(s["left_bed"] <= day)
    in_bed = ((s["admitted"] <= day) & not_gone).sum(axis=1)
    waiting = ((s["arrival"] <= day) & ~(s["admitted"] <= day) & ~diverted).sum(axis=1)
    delayed = ((s["optimised"] <= day) & not_gone).sum(axis=1)
    assert np.array_equal(c["beds_occupied"], in_bed)
    assert np.array_equal(c["bed_queue"], waiting)
    assert np.array_equal(c["delayed_patients"], delayed)
    assert delayed.min() > 0 and waiting.max() > 0  # the counts are not all zero


def test_clients_there_at_the_start_are_marked_outside_the_cohort():
    """Home care clients and care home residents there when the run starts (no census) are outside the cohort:
    their stays are marked so, which leaves them out of the cohort's costs and waits; the cohort's own are not."""
    scenario = short_baseline("census=null", "services.home_care.clients_at_start=50",
                              "services.care_home.residents_at_start=40")
    _, records = simulate_replication(scenario)
    outside = [stay for stay in records.stays if stay.patient == -1]
    assert sorted(Counter(stay.service for stay in outside).items()) == [("care_home", 40), ("home_care", 50)]
    assert all(stay.background is True for stay in outside)
    assert not any(stay.background for stay in records.stays if stay.patient >= 0)


def test_a_warm_up_of_part_of_a_day_still_counts_at_every_midnight():
    """A run starting at day -0.5 (a warm-up of half a day) takes its first census at the first midnight, day 0,
    then every midnight of the horizon."""
    _, records = simulate_replication(short_baseline("run.warmup_days=0.5", "run.horizon_days=3"))
    assert census_columns(records)["day"].tolist() == [0.0, 1.0, 2.0]


def test_same_scenario_and_seed_give_identical_results():
    scenario = short_baseline()
    first, second = run_replication(scenario, 1), run_replication(scenario, 1)
    assert first.indicators == second.indicators
    assert np.array_equal(first.census, second.census)
    assert run_replication(scenario, 2).indicators != first.indicators


def stays_by_patient(records):
    """First spells only: readmissions depend on what happened before, so they are not expected to match."""
    return {
        s.patient: (s.arrival, s.band, s.pathway, s.died, s.left_bed - s.admitted if s.died else s.optimised - s.admitted)
        for s in records.spells
        if not s.readmission and not np.isnan(s.left_bed if s.died else s.optimised)
    }


def test_more_beds_leave_every_arrival_and_clinical_stay_unchanged():
    """Common random numbers: capacity changes when things happen, never who arrives or how ill they are."""
    arrivals_small, small = simulate_replication(short_baseline("acute.beds=170"))
    arrivals_large, large = simulate_replication(short_baseline("acute.beds=260"))
    assert np.array_equal(arrivals_small.time, arrivals_large.time)
    assert list(arrivals_small.each()) == list(arrivals_large.each())
    small_stays, large_stays = stays_by_patient(small), stays_by_patient(large)
    common = small_stays.keys() & large_stays.keys()
    assert len(common) > 0.9 * len(large_stays)
    for patient in common:
        s, g = small_stays[patient], large_stays[patient]
        assert s[:4] == g[:4]
        assert s[4] == pytest.approx(g[4], abs=1e-9)
    # ...while the waits did change
    waits = lambda r: np.nanmean([s.admitted - s.arrival for s in r.spells])  # noqa: E731
    assert waits(small) > waits(large)


def test_avoided_admissions_leave_the_other_patients_as_they_were():
    arrivals, _ = simulate_replication(short_baseline())
    fewer, _ = simulate_replication(short_baseline("demand.admission_avoidance_share=0.3"))
    kept = np.isin(arrivals.time, fewer.time)
    assert kept.sum() == len(fewer)
    assert 0.6 < len(fewer) / len(arrivals) < 0.8
    assert np.array_equal(arrivals.column("stay")[kept], fewer.column("stay"))


def test_discharges_happen_only_inside_the_discharge_window():
    scenario = short_baseline()
    window = DischargeWindow(scenario.discharge)
    _, records = simulate_replication(scenario)
    discharged = [s.left_bed for s in records.spells if not s.died and not np.isnan(s.left_bed)]
    assert len(discharged) > 1000
    # (a discharge at the opening hour may land a rounding error before it)
    assert all(window.next_open(t) - t < 1e-9 for t in discharged)


def test_every_live_discharge_follows_optimised_then_placed():
    _, records = simulate_replication(short_baseline())
    for s in records.spells:
        if not s.died and not np.isnan(s.left_bed):
            assert s.arrival <= s.admitted <= s.optimised <= s.ready <= s.placed <= s.left_bed
            if s.pathway == 0:
                assert s.placed == s.ready  # pathway 0 waits for no community place


def test_escalation_beds_appear_in_the_census():
    scenario = short_baseline("acute.beds=150", "acute.escalation=[{months: [1, 2], extra_beds: 12}]")
    _, records = simulate_replication(scenario)
    c = census_columns(records)
    winter = c["day"] < 59  # January and February
    assert set(c["beds_available"][winter]) == {162}
    assert set(c["beds_available"][~winter]) == {150}


def test_divert_mode_never_queues_and_counts_diversions():
    scenario = short_baseline("acute.when_full=divert", "acute.beds=150")
    result = run_replication(scenario, 0)
    c = {name: result.census[:, i] for i, name in enumerate(CENSUS_COLUMNS)}
    assert c["bed_queue"].max() == 0
    assert c["diverted"][-1] > 0
    assert 0 < result.indicators["diverted_share"] < 1
    assert result.indicators["mean_bed_wait_hours"] == 0


def test_fewer_reablement_places_mean_longer_pathway_1_delays():
    """A paired (same seed) comparison on the mechanism that matters most to commissioners."""
    tight = run_replication(short_baseline("services.reablement.places=100"), 0).indicators
    ample = run_replication(short_baseline("services.reablement.places=200"), 0).indicators
    assert tight["mean_delay_days_p1"] > ample["mean_delay_days_p1"] + 0.5
    assert tight["reablement_mean_wait_days"] > ample["reablement_mean_wait_days"]
    assert ample["reablement_mean_wait_days"] == pytest.approx(0.0, abs=1e-9)
