"""Outcome indicators: still at home 91 days after discharge (ASCOF 2B(1)) and costs.

Spec: of those discharged alive into reablement or rehabilitation, the share at
home (alive, not in hospital nor a care home) 91 days after discharge; cost =
acute bed days, reablement, home care, intermediate care and care home use at
the scenario's unit costs. The 91-day rule is tested on constructed histories,
written as the records the model would leave, then end to end on tiny
deterministic scenarios whose answer is known exactly; costs are recomputed
from the records by hand.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from constructed import records_of
from model_helpers import BANDS, BASELINE, every_band, simulate_replication

from sim.indicators import at_home_after, at_home_cohort, at_home_on, compute_indicators, spell_table, stay_table
from sim.model import Records, StayRecord
from sim.runner import run_replication
from sim.scenario import load_scenario


def fixed(days: float) -> str:
    return json.dumps({"distribution": "fixed", "value": days})


# --- the 91-day rule on constructed histories ---------------------------------------------------
# A history lists (time, place) moves of one person from a discharge at 0 on; `records_of`
# (tests/constructed.py) writes it as the model would (spells, community stays, a death), and the
# rule reads the records. Day 91 is 91 days after the discharge.

HISTORIES = [
    ("plain home", [(0.0, "reablement"), (14.0, "home")], True),
    ("still in reablement", [(0.0, "reablement"), (80.0, "hospital"), (85.0, "reablement")], True),
    ("home care", [(0.0, "reablement"), (20.0, "home_care")], True),
    ("home care after intermediate care", [(0.0, "intermediate_care"), (40.0, "home_care")], True),
    ("died before day 91", [(0.0, "reablement"), (14.0, "home"), (60.0, "died")], False),
    ("died in reablement", [(0.0, "reablement"), (10.0, "died")], False),
    ("died in hospital", [(0.0, "reablement"), (14.0, "home"), (70.0, "hospital"), (75.0, "died")], False),
    ("in hospital on day 91", [(0.0, "reablement"), (14.0, "home"), (85.0, "hospital")], False),
    ("readmitted on day 91 itself", [(0.0, "reablement"), (14.0, "home"), (91.0, "hospital")], False),
    ("moved to a care home", [(0.0, "intermediate_care"), (30.0, "care_home")], False),
    ("still in an intermediate care bed", [(0.0, "intermediate_care")], False),
    ("left intermediate care on day 91 itself", [(0.0, "intermediate_care"), (91.0, "home")], True),
    ("readmitted and back home", [(0.0, "reablement"), (14.0, "home"), (30.0, "hospital"), (40.0, "home")], True),
    ("readmitted, home on day 91 itself", [(0.0, "reablement"), (14.0, "home"), (80.0, "hospital"), (91.0, "home")],
     True),
    ("died on day 91 itself", [(0.0, "reablement"), (14.0, "home"), (91.0, "died")], False),
    ("readmitted, back to reablement", [(0.0, "reablement"), (5.0, "hospital"), (12.0, "reablement")], True),
    ("death at home after day 91", [(0.0, "reablement"), (14.0, "home"), (200.0, "died")], True),
    ("death at home just after day 91", [(0.0, "reablement"), (14.0, "home"), (91.5, "died")], True),
    ("sent elsewhere (no bed)", [(0.0, "reablement"), (14.0, "home"), (50.0, "elsewhere")], False),
]


def at_home(records: Records, day: float) -> bool:
    """Was patient 0 at home at `day`, by the rule the indicator uses?"""
    result = at_home_on(records, spell_table(records), stay_table(records), np.array([0]), np.array([day]))
    return bool(result[0])


@pytest.mark.parametrize("history, expected", [h[1:] for h in HISTORIES], ids=[h[0] for h in HISTORIES])
def test_at_home_on_day_91(history, expected):
    assert at_home(records_of(history), 91.0) is expected


def test_the_at_home_rate_counts_the_constructed_case():
    """The indicator itself, on the records of each constructed case: the spell discharged at 0 is in the cohort."""
    for name, history, expected in HISTORIES:
        records = records_of(history)
        s, st = spell_table(records), stay_table(records)
        live = (s["left_bed"] >= 0) & (s["left_bed"] < records.horizon_days) & ~s["died"]  # as compute_indicators has it
        cohort = at_home_cohort(s, live, records.horizon_days)
        discharged_at_0 = s["left_bed"][cohort] == 0.0  # of the cohort's spells
        assert discharged_at_0.sum() == 1, name
        assert bool(at_home_after(records, s, st, cohort)[discharged_at_0][0]) is expected, name


def test_a_place_held_while_waiting_for_the_next_counts_until_it_is_given_back():
    """Bridging: care in the intermediate care bed ended on day 60, but the bed is held until a care home place on day 100."""
    records = records_of([(0.0, "intermediate_care"), (100.0, "care_home")])
    records.stays[0].care_end = 60.0
    assert not at_home(records, 91.0)


def test_a_place_reserved_but_never_taken_does_not_count():
    """A care home place reserved on day 65 for someone in intermediate care, who is readmitted on day 70
    before moving in and goes home on day 80: on day 91 they are at home, not in the care home."""
    records = records_of([(0.0, "intermediate_care"), (70.0, "hospital"), (80.0, "home")])
    never_taken = StayRecord("care_home", 0, 60.0)
    never_taken.reserved, never_taken.outcome = 65.0, "readmitted"  # never started, never released
    records.stays.append(never_taken)
    assert at_home(records, 91.0)


def test_death_in_a_care_home_is_not_at_home():
    assert not at_home(records_of([(0.0, "intermediate_care"), (30.0, "care_home"), (60.0, "died")]), 91.0)
    assert not at_home(records_of([(0.0, "reablement"), (20.0, "home_care"), (60.0, "died")]), 91.0)


def test_at_home_on_follows_the_day_asked_for():
    records = records_of([(0.0, "reablement"), (10.0, "home"), (50.0, "hospital"), (60.0, "home"), (150.0, "died")])
    assert at_home(records, 91.0)
    assert not at_home(records, 55.0)  # readmitted
    assert not at_home(records, -1.0)  # still in the first spell
    assert not at_home(records, -6.0)  # not yet arrived
    assert at_home(records, 149.9)
    assert not at_home(records, 150.0)  # died that moment
    assert not at_home(records, 300.0)


def test_each_query_reads_its_own_persons_records():
    """Several people at once: the last record begun by the day is looked up per person, not across people."""
    plain, in_care = [(0.0, "reablement"), (14.0, "home")], [(0.0, "intermediate_care"), (30.0, "care_home")]
    later = [(time + 100.0, place) for time, place in plain]  # discharged on day 100
    records = Records(horizon_days=400.0, warmup_days=0.0)
    for patient, history in enumerate([in_care, plain, in_care, plain, later]):
        records_of(history, patient, into=records)
    people, days = np.array([0, 1, 2, 1, 4, 4]), np.array([91.0, 91.0, 91.0, 5.0, 191.0, 50.0])
    answer = at_home_on(records, spell_table(records), stay_table(records), people, days)
    # the last: person 4 has not arrived by day 50, though person 3, just before in every order, is at home then
    assert answer.tolist() == [False, True, False, True, True, False]


# --- 91 days at home, end to end -----------------------------------------------------------------
# Everyone leaves by one pathway, every duration is fixed, places are ample,
# discharges happen at any hour: each discharge's fate at day 91 is known.


def tiny(pathway: str, *overrides: str, horizon: float = 250.0):
    split = {p: 1.0 if p == pathway else 0.0 for p in ("p0", "p1", "p2", "p3")}
    return load_scenario(
        BASELINE,
        [
            "census=null",
            "run.warmup_days=0",
            f"run.horizon_days={horizon}",
            "run.seed=91",
            "census=null",  # nobody there at the start but outside clients (clients_at_start, residents_at_start)
            "age_bands=" + json.dumps(BANDS),
            "demand.arrivals_per_day=" + every_band(0.4),
            "demand.day_of_week_factors=[1, 1, 1, 1, 1, 1, 1]",
            "demand.month_factors=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
            "demand.growth_per_year=0.0",
            "demand.admission_avoidance_share=0.0",
            "acute.beds=100000",
            "acute.escalation=[]",
            "clinical_stay.by_pathway="
            + json.dumps({p: {"distribution": "fixed", "value": 5.0} for p in ("p0", "p1", "p2", "p3")}),
            "clinical_stay.age_band_factor=" + every_band(1.0),
            "in_hospital_death.probability=" + every_band(0.0),
            "pathways.probabilities=" + every_band(split),
            "pathways.p1_home_care_share=0.0",
            "discharge.assessment="
            + json.dumps({p: {"distribution": "fixed", "value": 0.0} for p in ("p0", "p1", "p2", "p3")}),
            "discharge.days=[Mon, Tue, Wed, Thu, Fri, Sat, Sun]",
            "discharge.start_hour=0",
            "discharge.end_hour=24",
            "services.reablement.places=100000",
            "services.reablement.duration=" + fixed(10.0),
            "services.reablement.when_full=wait",
            "services.home_care.packages=100000",
            "services.home_care.clients_at_start=0",
            "services.home_care.end_rates_per_year={died: 0, care_home: 0, readmitted: 0}",
            "services.home_care.when_full=wait",
            "services.intermediate_care.places=100000",
            "services.intermediate_care.duration=" + fixed(20.0),
            "services.care_home.places=null",
            "services.care_home.residents_at_start=0",
            "services.care_home.placement_wait=" + fixed(0.0),
            "services.care_home.end_rates_per_year={died: 0, readmitted: 0}",
            "readmission.within_30_days={p0: 0, p1: 0, p2: 0, p3: 0}",
            "readmission.delay_effect_per_day=0.0",
            "after_discharge.death_rate_per_year_at_home=0.0",
            *overrides,
        ],
    )


def reablement_outcome(outcome: str) -> str:
    shares = {name: 1.0 if name == outcome else 0.0 for name in ("independent", "home_care", "readmitted", "died")}
    return "services.reablement.outcomes=" + every_band(shares)


def intermediate_care_outcome(outcome: str) -> str:
    shares = {
        name: 1.0 if name == outcome else 0.0 for name in ("home", "home_care", "care_home", "readmitted", "died")
    }
    return "services.intermediate_care.outcomes=" + every_band(shares)


def followed_discharges(records) -> int:
    horizon = records.horizon_days
    return sum(
        1
        for sp in records.spells
        if sp.service in ("reablement", "intermediate_care") and not sp.died and 0 <= sp.left_bed < horizon - 91
    )


AT_HOME_CASES = [
    ("reablement, independent", "p1", [reablement_outcome("independent")], 1.0),
    ("reablement, home care", "p1", [reablement_outcome("home_care")], 1.0),
    ("reablement, died", "p1", [reablement_outcome("died")], 0.0),
    ("intermediate care, home", "p2", [intermediate_care_outcome("home")], 1.0),
    ("intermediate care, home care", "p2", [intermediate_care_outcome("home_care")], 1.0),
    ("intermediate care, care home", "p2", [intermediate_care_outcome("care_home")], 0.0),
    ("intermediate care, died", "p2", [intermediate_care_outcome("died")], 0.0),
    # readmitted at the end of every reablement: a cycle of reablement (r days) and hospital (s days);
    # on day 91 = 12 x 7.5 + 1 the person is 1 day into the 13th cycle
    (
        "readmitted each time, back in reablement on day 91",
        "p1",
        [reablement_outcome("readmitted"), "services.reablement.duration=" + fixed(2.0),
         "clinical_stay.by_pathway.p1=" + fixed(5.5)],
        1.0,
    ),
    (
        "readmitted each time, in hospital on day 91",
        "p1",
        [reablement_outcome("readmitted"), "services.reablement.duration=" + fixed(0.5),
         "clinical_stay.by_pathway.p1=" + fixed(7.0)],
        0.0,
    ),
    # a certain 30-day readmission t days after every discharge, 5 days in hospital, 2 days of reablement:
    # a cycle of t + 5 days, so day 91 falls at a known point of it
    (
        "30-day readmission each time, back home on day 91",
        "p1",
        [reablement_outcome("independent"), "services.reablement.duration=" + fixed(2.0),
         "readmission.within_30_days={p0: 0, p1: 1.0, p2: 0, p3: 0}",
         "readmission.time_to_readmission=" + fixed(9.0)],  # cycle 14: day 91 = 6 x 14 + 7, at home since day 2
        1.0,
    ),
    (
        "30-day readmission each time, in hospital on day 91",
        "p1",
        [reablement_outcome("independent"), "services.reablement.duration=" + fixed(2.0),
         "readmission.within_30_days={p0: 0, p1: 1.0, p2: 0, p3: 0}",
         "readmission.time_to_readmission=" + fixed(0.5)],  # cycle 5.5: day 91 = 16 x 5.5 + 3, in hospital from 0.5
        0.0,
    ),
]


@pytest.mark.parametrize(
    "pathway, overrides, expected", [c[1:] for c in AT_HOME_CASES], ids=[c[0] for c in AT_HOME_CASES]
)
def test_at_home_91d_rate_on_deterministic_cases(pathway, overrides, expected):
    s = tiny(pathway, *overrides)
    _, records = simulate_replication(s)
    assert followed_discharges(records) > 20
    assert compute_indicators(records, s)["at_home_91d_rate"] == expected


def test_at_home_91d_rate_counts_each_discharge_by_its_own_outcome():
    """Half independent, half died during reablement: the rate is the share of followed discharges
    whose reablement ended independent, counted here from the stay records."""
    shares = {"independent": 0.5, "home_care": 0.0, "readmitted": 0.0, "died": 0.5}
    s = tiny("p1", "services.reablement.outcomes=" + every_band(shares))
    _, records = simulate_replication(s)
    horizon = records.horizon_days
    outcome_of = {st.patient: st.outcome for st in records.stays if st.service == "reablement"}
    cohort = [sp.patient for sp in records.spells if sp.service == "reablement" and 0 <= sp.left_bed < horizon - 91]
    assert len(cohort) > 20
    expected = sum(outcome_of[p] == "independent" for p in cohort) / len(cohort)
    assert 0 < expected < 1
    assert compute_indicators(records, s)["at_home_91d_rate"] == pytest.approx(expected, abs=1e-12)


def test_at_home_91d_rate_excludes_home_care_and_plain_discharges():
    """Nobody discharged into reablement or rehabilitation: the indicator is undefined (NaN), not 0 or 1."""
    for s in (tiny("p0"), tiny("p1", "pathways.p1_home_care_share=1.0"), tiny("p3")):
        _, records = simulate_replication(s)
        assert math.isnan(compute_indicators(records, s)["at_home_91d_rate"])


# --- costs ------------------------------------------------------------------------------------------

UNIT_COSTS = {
    "acute_bed_day": 400.0,
    "reablement_place_day": 150.0,
    "home_care_hour": 30.0,
    "intermediate_care_bed_day": 250.0,
    "care_home_week": 910.0,
}
HOURS_PER_WEEK = 12.0
COSTED = [
    "run.warmup_days=40",
    "run.horizon_days=100",
    "run.seed=365",
    "pathways.probabilities=" + every_band({"p0": 0.4, "p1": 0.3, "p2": 0.2, "p3": 0.1}),
    "pathways.p1_home_care_share=0.2",
    f"services.home_care.hours_per_week={HOURS_PER_WEEK}",
    "services.home_care.clients_at_start=5",  # outside the cohort: in no cost
    "services.home_care.end_rates_per_year={died: 1.0, care_home: 1.0, readmitted: 1.0}",
    "services.care_home.residents_at_start=5",
    "services.care_home.end_rates_per_year={died: 1.0, readmitted: 1.0}",
    "services.reablement.outcomes=" + every_band({"independent": 0.5, "home_care": 0.5, "readmitted": 0.0, "died": 0.0}),
    "readmission.within_30_days={p0: 0.2, p1: 0.2, p2: 0.2, p3: 0.2}",
    *(f"costs.{key}={value}" for key, value in UNIT_COSTS.items()),
]
COST_PARTS = ("acute", "reablement", "home_care", "intermediate_care", "care_home")
UNIT_OF_PART = {
    "acute": "acute_bed_day",
    "reablement": "reablement_place_day",
    "home_care": "home_care_hour",
    "intermediate_care": "intermediate_care_bed_day",
    "care_home": "care_home_week",
}


def tiny_costed(*overrides: str):
    return tiny("p1", *COSTED, *overrides, horizon=100.0)


def days_inside(start: float, end: float, horizon: float) -> float:
    """Days of [start, end) inside [0, horizon); NaN end: still going at the end of the run."""
    if math.isnan(start):
        return 0.0
    end = horizon if math.isnan(end) else end
    return max(0.0, min(end, horizon) - max(start, 0.0))


def expected_costs(records, unit: dict[str, float], hours_per_week: float) -> dict[str, float]:
    horizon = records.horizon_days
    per_year = 365.0 / horizon
    bed_days = sum(days_inside(sp.admitted, sp.left_bed, horizon) for sp in records.spells)
    place_days = {service: 0.0 for service in COST_PARTS[1:]}
    for st in records.stays:
        if not st.background:
            place_days[st.service] += days_inside(st.started, st.released, horizon)
    return {
        "acute": bed_days * unit["acute_bed_day"] * per_year,
        "reablement": place_days["reablement"] * unit["reablement_place_day"] * per_year,
        "home_care": place_days["home_care"] * hours_per_week / 7 * unit["home_care_hour"] * per_year,
        "intermediate_care": place_days["intermediate_care"] * unit["intermediate_care_bed_day"] * per_year,
        "care_home": place_days["care_home"] / 7 * unit["care_home_week"] * per_year,
    }


@pytest.fixture(scope="module")
def costed():
    s = tiny_costed()
    _, records = simulate_replication(s)
    return s, records, compute_indicators(records, s)


def test_costs_are_days_used_times_unit_costs(costed):
    s, records, indicators = costed
    expected = expected_costs(records, UNIT_COSTS, HOURS_PER_WEEK)
    for part in COST_PARTS:
        assert expected[part] > 0, f"nothing used in {part}: the case tests nothing"
        assert indicators[f"cost_{part}_per_year"] == pytest.approx(expected[part], rel=1e-9), part


def test_background_clients_cost_nothing(costed):
    """The clients and residents there at the start are outside the cohort: they hold places but are not priced."""
    s, records, indicators = costed
    horizon, per_year = records.horizon_days, 365.0 / records.horizon_days
    background = [st for st in records.stays if st.background]
    assert {st.service for st in background} == {"home_care", "care_home"}
    for service, unit_per_day in (
        ("home_care", UNIT_COSTS["home_care_hour"] * HOURS_PER_WEEK / 7),
        ("care_home", UNIT_COSTS["care_home_week"] / 7),
    ):
        theirs = sum(days_inside(st.started, st.released, horizon) for st in background if st.service == service)
        assert theirs > 0
        cohort_only = expected_costs(records, UNIT_COSTS, HOURS_PER_WEEK)[service]
        assert indicators[f"cost_{service}_per_year"] == pytest.approx(cohort_only, rel=1e-9)
        assert indicators[f"cost_{service}_per_year"] < cohort_only + theirs * unit_per_day * per_year


def test_cost_total_is_the_sum_of_its_parts(costed):
    _, _, indicators = costed
    parts = sum(indicators[f"cost_{part}_per_year"] for part in COST_PARTS)
    assert indicators["cost_total_per_year"] == pytest.approx(parts, rel=1e-12)


def test_a_programme_cost_adds_to_the_net_cost_and_changes_no_care(costed):
    """The running cost of an option is a fixed sum a year: in cost_net_per_year, in no care cost, in no event."""
    s, _, base = costed
    assert base["cost_programme_per_year"] == 0 and base["cost_net_per_year"] == base["cost_total_per_year"]
    assert base["bed_days_per_year"] * UNIT_COSTS["acute_bed_day"] == pytest.approx(base["cost_acute_per_year"], rel=1e-12)
    result = run_replication(tiny_costed("costs.programme_per_year=250000"), 0).indicators
    assert result["cost_programme_per_year"] == 250_000
    assert result["cost_net_per_year"] == pytest.approx(base["cost_total_per_year"] + 250_000, rel=1e-12)
    changed = {name for name in base if result[name] != base[name] and not (math.isnan(result[name]) and math.isnan(base[name]))}
    assert changed == {"cost_programme_per_year", "cost_net_per_year"}


@pytest.mark.parametrize("part", COST_PARTS)
def test_doubling_a_unit_cost_doubles_its_part_exactly(costed, part):
    """Paired (same seed): prices change no event, so one part doubles and the others stay as they were."""
    s, records, base = costed
    key = UNIT_OF_PART[part]
    doubled = tiny_costed(f"costs.{key}={2 * UNIT_COSTS[key]}")
    result = run_replication(doubled, 0).indicators
    assert run_replication(s, 0).indicators == base  # the same run
    for other in COST_PARTS:
        if other == part:
            assert result[f"cost_{other}_per_year"] == 2 * base[f"cost_{other}_per_year"]
        else:
            assert result[f"cost_{other}_per_year"] == base[f"cost_{other}_per_year"]
    assert result["cost_total_per_year"] > base["cost_total_per_year"]
    # everything that is not a cost is untouched
    for name, value in base.items():
        if not name.startswith("cost_"):
            assert result[name] == value or (math.isnan(result[name]) and math.isnan(value)), name


def test_home_care_cost_scales_with_package_hours(costed):
    s, records, base = costed
    result = run_replication(tiny_costed(f"services.home_care.hours_per_week={2 * HOURS_PER_WEEK}"), 0).indicators
    assert result["cost_home_care_per_year"] == 2 * base["cost_home_care_per_year"]
