"""Community services: places, queues, bridging, when-full switches, outcomes, placement waits.

Spec, steps 5-6: a patient keeps the acute bed until the pathway's service has a
place; reablement ends independent / needing home care (the reablement place is
kept until a package is free: "bridging") / readmitted / died; intermediate care
ends home / home with care / care home / readmitted / died; home care and care
homes end by competing yearly rates. Conservation holds at every instant:
arrivals = in queue + in bed + in each service + at home + exited.

Every scenario here is the shipped baseline with the values the test relies on
set explicitly (the baseline may be retuned), short runs and fixed seeds.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
from model_helpers import (
    AMPLE_CAPACITY,
    FIXED_VOLUME,
    every_band,
    scenario,
    simulate_replication,
)
from scipy import stats

from sim.indicators import compute_indicators
from sim.model import CENSUS_COLUMNS
from sim.scenario.schema import SERVICES

# Volumes the tests below rely on, set here so that a retuned baseline does not quietly make a "tight"
# capacity ample.
VOLUME = [
    *FIXED_VOLUME,
    "services.reablement.duration={distribution: lognormal, mean: 15.0, sd: 9.0}",
    "services.intermediate_care.duration={distribution: lognormal, mean: 38.0, sd: 20.0}",
]


def census_columns(records) -> dict[str, np.ndarray]:
    census = np.array(records.census, dtype=float).reshape(-1, len(CENSUS_COLUMNS))
    return {name: census[:, i] for i, name in enumerate(CENSUS_COLUMNS)}


# Everything with a limit has a tight one; readmissions, deaths, home care for
# pathway 1 and both when-full switches are on. Queues form in every service.
STRESSED = [
    *VOLUME,
    "run.warmup_days=90",
    "run.horizon_days=120",
    "run.seed=4242",
    "acute.beds=250",
    "services.reablement.places=90",
    "services.reablement.when_full=home_care",
    "services.home_care.packages=450",
    "services.home_care.clients_at_start=300",
    "services.home_care.end_rates_per_year={died: 0.3, care_home: 0.1, readmitted: 0.45}",
    "services.home_care.when_full=reablement",
    "services.intermediate_care.places=35",
    "services.care_home.places=45",
    "services.care_home.residents_at_start=25",
    "services.care_home.end_rates_per_year={died: 0.35, readmitted: 0.4}",
    "pathways.p1_home_care_share=0.2",
    "readmission.within_30_days={p0: 0.15, p1: 0.15, p2: 0.12, p3: 0.1}",
    "readmission.delay_effect_per_day=0.03",
    "after_discharge.death_rate_per_year_at_home=0.3",
    "services.reablement.outcomes="
    + every_band({"independent": 0.7, "home_care": 0.2, "readmitted": 0.05, "died": 0.05}),
    "services.intermediate_care.outcomes="
    + every_band({"home": 0.45, "home_care": 0.25, "care_home": 0.12, "readmitted": 0.12, "died": 0.06}),
]


@pytest.fixture(scope="module", params=["wait", "divert"], ids=["beds_wait", "beds_divert"])
def stressed(request):
    """The stressed run, with patients boarding in ED for a bed, or diverted when none is free."""
    s = scenario(*STRESSED, f"acute.when_full={request.param}")
    _, records = simulate_replication(s)
    return s, records


def capacities(s) -> dict[str, float]:
    services = s.services
    return {
        "reablement": services.reablement.place_count(),
        "home_care": services.home_care.packages,
        "intermediate_care": services.intermediate_care.places,
        "care_home": services.care_home.places if services.care_home.places is not None else math.inf,
    }


# --- conservation and the census -------------------------------------------------------


def test_stressed_scenario_really_queues_for_every_service(stressed):
    """The stressed scenario only tests conservation under pressure if every service is full on some days."""
    s, records = stressed
    c = census_columns(records)
    for service in SERVICES:
        assert c[f"{service}_queue"].max() > 0, f"nobody ever queued for {service}"
    if s.acute.when_full == "wait":
        assert c["bed_queue"].max() > 0
    else:
        assert c["diverted"][-1] > c["diverted"][0]
        assert any(sp.readmission and sp.diverted for sp in records.spells)
    assert c["readmitted"][-1] > c["readmitted"][0] > 0
    assert c["died_after_discharge"][-1] > c["died_after_discharge"][0]
    assert c["at_home"].max() > 0
    bridging = [st for st in records.stays if st.service == "reablement" and st.care_end < st.released]
    assert bridging, "nobody bridged"


def test_conservation_across_hospital_and_every_service_at_every_midnight(stressed):
    s, records = stressed
    c = census_columns(records)
    present = (
        c["bed_queue"]
        + c["beds_occupied"]
        + sum(c[f"{service}_in_service"] for service in SERVICES)
        + c["at_home"]
    )
    ended = c["exited_home"] + c["died_in_hospital"] + c["died_after_discharge"] + c["diverted"] + c["readmitted"]
    assert len(c["day"]) == s.run.horizon_days
    np.testing.assert_array_equal(c["arrived"], present + ended)
    # ...and the spell records agree with the cumulative count of arrivals
    arrivals = np.array([sp.arrival for sp in records.spells])
    for day, arrived in zip(c["day"], c["arrived"], strict=True):
        assert (arrivals <= day).sum() == arrived


def test_places_in_use_never_exceed_capacity_and_cover_everyone_in_service(stressed):
    s, records = stressed
    c = census_columns(records)
    for service, capacity in capacities(s).items():
        in_use, in_service = c[f"{service}_in_use"], c[f"{service}_in_service"]
        assert (in_use <= capacity).all(), service
        # a place is held from the moment it is reserved (the person may still be in an acute bed)
        assert (in_use >= in_service).all(), service
        # a queue only forms when every place is taken
        assert (in_use[c[f"{service}_queue"] > 0] == capacity).all(), service


def test_census_of_places_matches_the_stay_records_at_every_midnight(stressed):
    """in_use = places reserved and not released (background clients too); in_service = cohort members started and not released."""
    s, records = stressed
    c = census_columns(records)
    background_seen = Counter()
    for service in SERVICES:
        stays = [st for st in records.stays if st.service == service]
        reserved = np.array([st.reserved for st in stays])
        started = np.array([st.started for st in stays])
        released = np.array([st.released for st in stays])
        background = np.array([st.background for st in stays], dtype=bool)
        released = np.where(np.isnan(released), np.inf, released)
        for i, day in enumerate(c["day"]):
            holding = (reserved <= day) & (day < released)
            there = ~background & (started <= day) & (day < released)
            assert holding.sum() == c[f"{service}_in_use"][i], (service, day)
            assert there.sum() == c[f"{service}_in_service"][i], (service, day)
            background_seen[service] = max(background_seen[service], (holding & background).sum())
            # people in the service who are not background clients hold a place too
            assert (holding & ~background).sum() >= c[f"{service}_in_service"][i]
    # background clients hold places and are never "in service"
    assert background_seen["home_care"] > 0 and background_seen["care_home"] > 0
    assert background_seen["reablement"] == background_seen["intermediate_care"] == 0


def test_background_clients_take_places_only(stressed):
    s, records = stressed
    background = [st for st in records.stays if st.background]
    by_service = Counter(st.service for st in background)
    assert by_service == {
        "home_care": s.services.home_care.clients_at_start,
        "care_home": s.services.care_home.residents_at_start,
    }
    assert all(st.patient == -1 and st.reserved == st.started == -s.run.warmup_days for st in background)


# --- bridging: reablement waits for home care --------------------------------------------

BRIDGING = [
    *VOLUME,
    "run.warmup_days=60",
    "run.horizon_days=150",
    "run.seed=777",
    "acute.beds=100000",
    "services.reablement.places=130",
    "services.reablement.when_full=wait",
    "services.home_care.when_full=wait",
    "services.home_care.clients_at_start=100",
    "services.intermediate_care.places=100000",
    "pathways.p1_home_care_share=0.0",
    "services.reablement.outcomes="
    + every_band({"independent": 0.6, "home_care": 0.3, "readmitted": 0.05, "died": 0.05}),
]
PACKAGES = (180, 250, 100000)  # few, some, ample
BRIDGING_REPLICATIONS = 3


def reablement_starts_in_horizon(records) -> int:
    return sum(
        1 for st in records.stays if st.service == "reablement" and 0 <= st.started < records.horizon_days
    )


@pytest.fixture(scope="module")
def bridging_runs():
    """Per replication, (records, indicators) for few, some and ample packages: paired, same seed."""
    levels = [scenario(*BRIDGING, f"services.home_care.packages={packages}") for packages in PACKAGES]
    runs = []
    for replication in range(BRIDGING_REPLICATIONS):
        row = []
        for s in levels:
            _, records = simulate_replication(s, replication)
            row.append((records, compute_indicators(records, s)))
        runs.append(tuple(row))
    return runs


def test_ample_home_care_means_no_bridging_at_all(bridging_runs):
    for *_, (records, indicators) in bridging_runs:
        assert indicators["bridging_days_per_year"] == 0.0
        assert all(
            st.care_end == st.released
            for st in records.stays
            if st.service == "reablement" and not math.isnan(st.released)
        )


def test_fewer_home_care_packages_mean_more_bridging_and_less_reablement(bridging_runs):
    """Paired (same seed), in every replication: scarcer packages block more reablement places, so fewer
    people start reablement, its places are fuller, and people wait longer for them (in acute beds)."""
    for runs in bridging_runs:
        (few_records, few), (some_records, some), (ample_records, ample) = runs
        assert few["bridging_days_per_year"] > some["bridging_days_per_year"] > ample["bridging_days_per_year"] == 0
        starts = [reablement_starts_in_horizon(records) for records, _ in runs]
        assert starts[0] < starts[1] < starts[2]
        assert few["reablement_utilisation_pct"] > some["reablement_utilisation_pct"] > ample["reablement_utilisation_pct"]
        assert few["reablement_mean_wait_days"] > some["reablement_mean_wait_days"] > ample["reablement_mean_wait_days"]
        assert few["mean_delay_days_p1"] > some["mean_delay_days_p1"] > ample["mean_delay_days_p1"]


def test_bridging_days_are_reablement_place_days_after_care_ended(bridging_runs):
    """bridging_days_per_year recomputed from the stays: care_end to release, inside the horizon."""
    for (records, indicators), *_ in bridging_runs:
        horizon = records.horizon_days
        days = 0.0
        for st in records.stays:
            if st.service == "reablement" and not math.isnan(st.care_end):
                end = horizon if math.isnan(st.released) else st.released
                days += max(0.0, min(end, horizon) - max(st.care_end, 0.0))
                assert st.outcome in ("home_care", "readmitted", "") or st.released == st.care_end
        assert indicators["bridging_days_per_year"] == pytest.approx(days * 365 / horizon, rel=1e-9)


# --- when a service is full ---------------------------------------------------------------

WHEN_FULL = [
    *VOLUME,
    "run.warmup_days=30",
    "run.horizon_days=90",
    "run.seed=99",
    "acute.beds=100000",
    "services.intermediate_care.places=100000",
    "services.care_home.places=null",
    "services.home_care.clients_at_start=0",
]


def services_of_pathway_1(records) -> Counter:
    return Counter(sp.service for sp in records.spells if sp.pathway == 1 and sp.service)


def test_reablement_full_sends_some_pathway_1_to_home_care_when_switched_on():
    common = [*WHEN_FULL, "services.reablement.places=2", "services.home_care.packages=100000", "pathways.p1_home_care_share=0.0"]
    _, switch = simulate_replication(scenario(*common, "services.reablement.when_full=home_care"))
    _, wait = simulate_replication(scenario(*common, "services.reablement.when_full=wait"))
    switched = services_of_pathway_1(switch)
    assert switched["home_care"] > 0
    assert switched["reablement"] > 0  # the two places still take people
    assert services_of_pathway_1(wait)["home_care"] == 0
    assert services_of_pathway_1(wait)["reablement"] > 0


def test_home_care_full_sends_some_pathway_1_to_reablement_when_switched_on():
    common = [
        *WHEN_FULL, "services.home_care.packages=2", "services.reablement.places=100000", "pathways.p1_home_care_share=1.0",
    ]
    _, switch = simulate_replication(scenario(*common, "services.home_care.when_full=reablement"))
    _, wait = simulate_replication(scenario(*common, "services.home_care.when_full=wait"))
    switched = services_of_pathway_1(switch)
    assert switched["reablement"] > 0
    assert switched["home_care"] > 0
    assert services_of_pathway_1(wait)["reablement"] == 0
    assert services_of_pathway_1(wait)["home_care"] > 0


# --- outcomes in the configured shares ---------------------------------------------------

REABLEMENT_SHARES = {"independent": 0.55, "home_care": 0.25, "readmitted": 0.12, "died": 0.08}
INTERMEDIATE_CARE_SHARES = {"home": 0.4, "home_care": 0.2, "care_home": 0.15, "readmitted": 0.15, "died": 0.1}
HOME_CARE_RATES = {"died": 0.6, "care_home": 0.4, "readmitted": 1.0}
CARE_HOME_RATES = {"died": 1.2, "readmitted": 0.8}
OUTCOMES = [
    *VOLUME,
    "run.warmup_days=365",
    "run.horizon_days=365",
    "run.seed=31337",
    *AMPLE_CAPACITY,
    "services.care_home.placement_wait={distribution: fixed, value: 0}",
    # the 30-day process would add 'readmitted' outcomes of its own: off
    "readmission.within_30_days={p0: 0, p1: 0, p2: 0, p3: 0}",
    "services.reablement.outcomes=" + every_band(REABLEMENT_SHARES),
    "services.intermediate_care.outcomes=" + every_band(INTERMEDIATE_CARE_SHARES),
    "services.home_care.end_rates_per_year=" + json.dumps(HOME_CARE_RATES),
    "services.care_home.end_rates_per_year=" + json.dumps(CARE_HOME_RATES),
    # more people through intermediate care and care homes, so every share has counts
    "pathways.probabilities=" + every_band({"p0": 0.4, "p1": 0.3, "p2": 0.2, "p3": 0.1}),
]
FAMILY_ALPHA = 0.01  # for all outcome shares of all four services together


@pytest.fixture(scope="module")
def finished_stays():
    """Outcomes of finished stays (cohort only), pooled over two replications."""
    s = scenario(*OUTCOMES)
    outcomes: dict[str, list[str]] = {service: [] for service in SERVICES}
    for replication in range(2):
        _, records = simulate_replication(s, replication)
        for st in records.stays:
            if not st.background and not math.isnan(st.care_end):
                assert not math.isnan(st.released), "with ample places nobody waits after care ends"
                outcomes[st.service].append(st.outcome)
    return outcomes


def expected_shares() -> dict[str, dict[str, float]]:
    return {
        "reablement": REABLEMENT_SHARES,
        "intermediate_care": INTERMEDIATE_CARE_SHARES,
        "home_care": {k: v / sum(HOME_CARE_RATES.values()) for k, v in HOME_CARE_RATES.items()},
        "care_home": {k: v / sum(CARE_HOME_RATES.values()) for k, v in CARE_HOME_RATES.items()},
    }


def test_each_service_ends_in_its_configured_shares(finished_stays):
    """Binomial: |count - n p| <= z sqrt(n p (1-p)), z Bonferroni-corrected over every share tested."""
    shares = expected_shares()
    tests = sum(len(v) for v in shares.values())
    z = stats.norm.ppf(1 - FAMILY_ALPHA / (2 * tests))
    for service, expected in shares.items():
        counts = Counter(finished_stays[service])
        n = sum(counts.values())
        assert n >= 300, f"{service}: only {n} finished stays"
        assert set(counts) <= set(expected), (service, counts)
        for outcome, p in expected.items():
            tolerance = z * math.sqrt(n * p * (1 - p))
            assert abs(counts[outcome] - n * p) <= tolerance, (
                f"{service} {outcome}: {counts[outcome]} of {n}, expected {n * p:.1f} +/- {tolerance:.1f}"
            )


# --- care home placement waits on pathway 3 --------------------------------------------------

PLACEMENT = [
    *VOLUME,
    "run.warmup_days=60",
    "run.horizon_days=200",
    "run.seed=2024",
    "acute.beds=100000",
    "discharge.days=[Mon, Tue, Wed, Thu, Fri, Sat, Sun]",
    "discharge.start_hour=0",
    "discharge.end_hour=24",
    "discharge.assessment.p3={distribution: fixed, value: 2.0}",
    "services.care_home.places=null",
    "services.reablement.places=100000",
    "services.home_care.packages=100000",
    "services.intermediate_care.places=100000",
    "readmission.within_30_days={p0: 0, p1: 0, p2: 0, p3: 0}",
    "pathways.probabilities=" + every_band({"p0": 0.5, "p1": 0.2, "p2": 0.1, "p3": 0.2}),
]
NO_PLACEMENT_WAIT = "services.care_home.placement_wait={distribution: fixed, value: 0}"


def p3_delays_by_patient(records) -> dict[int, float]:
    return {
        sp.patient: sp.left_bed - sp.optimised
        for sp in records.spells
        if sp.pathway == 3 and not sp.readmission and not sp.died and not math.isnan(sp.left_bed)
    }


def test_fixed_placement_wait_adds_exactly_to_the_pathway_3_delay():
    base, longer = scenario(*PLACEMENT, NO_PLACEMENT_WAIT), scenario(
        *PLACEMENT, "services.care_home.placement_wait={distribution: fixed, value: 7.0}"
    )
    _, without = simulate_replication(base)
    _, with_wait = simulate_replication(longer)
    before, after = compute_indicators(without, base), compute_indicators(with_wait, longer)
    assert before["mean_delay_days_p3"] == pytest.approx(2.0, abs=1e-9)
    assert after["mean_delay_days_p3"] == pytest.approx(9.0, abs=1e-9)
    # nothing else about pathway 3 changed
    assert before["mean_delay_days_p0"] == pytest.approx(after["mean_delay_days_p0"], abs=1e-12)


def test_random_placement_wait_is_part_of_the_pathway_3_delay():
    """Per patient the delay grows by exactly their placement wait; on average by about its mean."""
    mean, sd = 6.0, 5.0
    base = scenario(*PLACEMENT, NO_PLACEMENT_WAIT)
    longer = scenario(*PLACEMENT, f"services.care_home.placement_wait={{distribution: lognormal, mean: {mean}, sd: {sd}}}")
    _, without = simulate_replication(base)
    arrivals, with_wait = simulate_replication(longer)
    d0, d1 = p3_delays_by_patient(without), p3_delays_by_patient(with_wait)
    common = d0.keys() & d1.keys()
    assert len(common) > 200
    waits = arrivals.column("placement_wait")[sorted(common)]
    growth = np.array([d1[p] - d0[p] for p in sorted(common)])
    np.testing.assert_allclose(growth, waits, atol=1e-9)
    # indicator: grows by the mean placement wait of the spells ended in the horizon, about `mean`
    before, after = compute_indicators(without, base), compute_indicators(with_wait, longer)
    n = sum(1 for sp in with_wait.spells if sp.pathway == 3 and not sp.died and 0 <= sp.left_bed < with_wait.horizon_days)
    tolerance = stats.norm.ppf(0.9995) * sd / math.sqrt(n)
    assert after["mean_delay_days_p3"] - before["mean_delay_days_p3"] == pytest.approx(mean, abs=tolerance)
