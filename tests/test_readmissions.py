"""Emergency readmissions: a 30-day time-to-event process that comes back as a new spell.

Spec, step 7: after a live discharge, an emergency readmission happens within 30
days with a probability per pathway, raised by each day of discharge delay
(delay_effect_per_day, an assumption). A readmission is a new spell of the same
patient that re-enters the acute queue and takes a bed. Indicator:
readmission_30d_rate = live discharges followed by a readmission within 30 days
/ live discharges (those whose 30 days lie in the horizon).

Every scenario is the shipped baseline with what the test relies on set
explicitly; seeds and run lengths were fixed before looking at any result.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from model_helpers import (
    AMPLE_CAPACITY,
    BANDS,
    FIXED_VOLUME,
    every_band,
    scenario,
    simulate_replication,
)
from scipy import stats

from sim.indicators import compute_indicators
from sim.model.arrivals import READMISSION_WINDOW_DAYS
from sim.runner import run_replication
from sim.stats import t_interval

P = 0.15  # the same 30-day probability on every pathway





# Ample places everywhere; the only readmissions are the 30-day process's, and
# nobody dies after discharge (a death would pre-empt a readmission).
ONLY_30_DAY_PROCESS = [
    "demand.arrivals_per_day=" + every_band(18.6 / len(BANDS)),
    "demand.admission_avoidance_share=0.0",
    *AMPLE_CAPACITY,
    "services.reablement.outcomes=" + every_band({"independent": 0.7, "home_care": 0.3, "readmitted": 0.0, "died": 0.0}),
    "services.intermediate_care.outcomes="
    + every_band({"home": 0.5, "home_care": 0.3, "care_home": 0.2, "readmitted": 0.0, "died": 0.0}),
    "services.home_care.end_rates_per_year={died: 0.0, care_home: 0.5, readmitted: 0.0}",
    "services.care_home.end_rates_per_year={died: 0.0, readmitted: 0.0}",
    "after_discharge.death_rate_per_year_at_home=0.0",
    f"readmission.within_30_days={{p0: {P}, p1: {P}, p2: {P}, p3: {P}}}",
    "readmission.time_to_readmission={distribution: exponential, mean: 12.0}",
]


# --- the rate matches its parameter ---------------------------------------------------------

RATE_RUN = ["run.warmup_days=60", "run.horizon_days=240", "run.replications=10", "run.seed=30"]


@pytest.fixture(scope="module")
def rate_runs():
    s = scenario(*ONLY_30_DAY_PROCESS, *RATE_RUN, "readmission.delay_effect_per_day=0.0")
    return s, [run_replication(s, r).indicators for r in range(s.run.replications)]


def test_readmission_rate_matches_the_configured_probability(rate_runs):
    """Every live discharge is readmitted within 30 days with probability P: the mean rate's 95 % t-interval covers P."""
    s, runs = rate_runs
    rates = np.array([r["readmission_30d_rate"] for r in runs])
    mean, low, high = t_interval(rates)
    assert low <= P <= high, f"readmission_30d_rate {mean:.4f} [{low:.4f}, {high:.4f}], expected {P}"
    # the spread between replications is binomial: sd about sqrt(P(1-P)/n) with n live discharges followed
    assert rates.std(ddof=1) < 3 * math.sqrt(P * (1 - P) / 2000)
    assert all(r["readmissions_per_year"] > 0 for r in runs)


# --- more delay, more readmissions (only if delay_effect_per_day > 0) -------------------------

DELAY_RUN = ["run.warmup_days=40", "run.horizon_days=150", "run.seed=31"]
QUICK = [
    "discharge.days=[Mon, Tue, Wed, Thu, Fri, Sat, Sun]",
    "discharge.start_hour=0",
    "discharge.end_hour=24",
    "discharge.assessment={p0: {distribution: fixed, value: 0}, p1: {distribution: fixed, value: 0}, "
    "p2: {distribution: fixed, value: 0}, p3: {distribution: fixed, value: 0}}",
    "services.care_home.placement_wait={distribution: fixed, value: 0}",
]
SLOW = [
    "discharge.days=[Mon]",
    "discharge.start_hour=8",
    "discharge.end_hour=20",
    "discharge.assessment={p0: {distribution: fixed, value: 2}, p1: {distribution: fixed, value: 3}, "
    "p2: {distribution: fixed, value: 3}, p3: {distribution: fixed, value: 4}}",
    "services.care_home.placement_wait={distribution: fixed, value: 0}",
]
DELAY_REPLICATIONS = 4


def first_spells(records) -> dict[int, tuple[float, bool, bool]]:
    """Per patient, their first spell if it was a live discharge whose 30 days are in the horizon:
    (delay, readmitted within 30 days)."""
    horizon = records.horizon_days
    out = {}
    for sp in records.spells:
        if sp.readmission or sp.died or math.isnan(sp.left_bed) or not 0 <= sp.left_bed < horizon - 30:
            continue
        out[sp.patient] = (sp.left_bed - sp.optimised, sp.next_arrival - sp.left_bed <= 30)
    return out


def first_and_later_spells(records) -> list[tuple[float, bool]]:
    """(delay, readmitted within 30 days) of every live discharge whose 30 days are in the horizon."""
    horizon = records.horizon_days
    return [
        (sp.left_bed - sp.optimised, sp.next_arrival - sp.left_bed <= 30)
        for sp in records.spells
        if not sp.died and not math.isnan(sp.left_bed) and 0 <= sp.left_bed < horizon - 30
    ]


@pytest.fixture(scope="module", params=[0.0, 0.1], ids=["no_delay_effect", "delay_effect_0.1"])
def delay_pairs(request):
    effect = request.param
    quick = scenario(*ONLY_30_DAY_PROCESS, *DELAY_RUN, *QUICK, f"readmission.delay_effect_per_day={effect}")
    slow = scenario(*ONLY_30_DAY_PROCESS, *DELAY_RUN, *SLOW, f"readmission.delay_effect_per_day={effect}")
    pairs = []
    for replication in range(DELAY_REPLICATIONS):
        pair = []
        for s in (quick, slow):
            _, records = simulate_replication(s, replication)
            pair.append((records, compute_indicators(records, s)))
        pairs.append(pair)
    return effect, pairs


def test_slow_discharge_really_delays(delay_pairs):
    _, pairs = delay_pairs
    for (_, quick), (_, slow) in pairs:
        assert quick["mean_delay_days"] == pytest.approx(0.0, abs=1e-9)
        assert slow["mean_delay_days"] > 3


def test_delay_raises_readmissions_only_through_delay_effect(delay_pairs):
    effect, pairs = delay_pairs
    diffs = np.array([slow["readmission_30d_rate"] - quick["readmission_30d_rate"] for (_, quick), (_, slow) in pairs])
    if effect > 0:
        assert (diffs > 0).all(), diffs  # more readmissions in every replication
        mean, low, high = t_interval(diffs)
        assert low > 0
        # and by as much as the formula says: each followed discharge is readmitted with probability
        # min(1, P (1 + effect x its delay)); the count, pooled over replications, within 99 % binomial bounds
        expected = variance = observed = 0.0
        for _, (records, _) in pairs:
            for delay, readmitted in first_and_later_spells(records):
                p = min(1.0, P * (1 + effect * delay))
                expected, variance, observed = expected + p, variance + p * (1 - p), observed + readmitted
        assert abs(observed - expected) <= stats.norm.ppf(0.995) * math.sqrt(variance), (observed, expected)
    else:
        mean, low, high = t_interval(diffs)
        assert low <= 0 <= high, f"paired difference {mean:.4f} [{low:.4f}, {high:.4f}] excludes 0"


def test_each_patient_is_readmitted_by_their_own_draw_and_delay(delay_pairs):
    """Common random numbers, per patient (first spells): the same uniform is compared with
    p (1 + effect x delay). With no effect the outcome is identical; with an effect, more delay
    can only turn a 'no' into a 'yes'."""
    effect, pairs = delay_pairs
    for (quick_records, _), (slow_records, _) in pairs:
        quick, slow = first_spells(quick_records), first_spells(slow_records)
        common = quick.keys() & slow.keys()
        assert len(common) > 1000
        changed = 0
        for patient in common:
            (d_quick, r_quick), (d_slow, r_slow) = quick[patient], slow[patient]
            assert d_slow >= d_quick
            if effect == 0:
                assert r_quick == r_slow, patient
            else:
                assert r_slow >= r_quick, patient
                changed += r_slow > r_quick
        if effect > 0:
            assert changed > 0


# --- a readmission is a new spell that takes a bed and frees community places ----------------

SPELLS = [
    *FIXED_VOLUME,
    "run.warmup_days=60",
    "run.horizon_days=120",
    "run.seed=32",
    "acute.beds=200",  # tight: readmissions queue for beds like anyone else
    "readmission.within_30_days={p0: 0.15, p1: 0.15, p2: 0.12, p3: 0.1}",
    "readmission.delay_effect_per_day=0.03",
    "services.reablement.places=130",
    "services.reablement.outcomes=" + every_band({"independent": 0.7, "home_care": 0.2, "readmitted": 0.05, "died": 0.05}),
    "services.home_care.end_rates_per_year={died: 0.3, care_home: 0.1, readmitted: 0.45}",
    "services.care_home.end_rates_per_year={died: 0.35, readmitted: 0.4}",
]


@pytest.fixture(scope="module")
def readmission_run():
    s = scenario(*SPELLS)
    _, records = simulate_replication(s)
    return s, records, compute_indicators(records, s)


def test_a_readmission_is_a_new_spell_of_the_same_patient(readmission_run):
    s, records, indicators = readmission_run
    by_patient: dict[int, list] = {}
    for sp in records.spells:
        by_patient.setdefault(sp.patient, []).append(sp)
    readmissions = [sp for sp in records.spells if sp.readmission]
    assert len(readmissions) > 100
    for patient, spells in by_patient.items():
        assert not spells[0].readmission  # a patient's first spell is never a readmission
        for earlier, later in zip(spells, spells[1:], strict=False):
            assert later.readmission
            assert later.arrival == earlier.next_arrival  # the readmission arrives when the last spell said
            assert earlier.left_bed <= later.arrival
            assert not earlier.died and not earlier.diverted
        assert math.isnan(spells[-1].next_arrival)
    horizon = records.horizon_days
    admitted = sum(1 for sp in readmissions if 0 <= sp.admitted < horizon)
    assert indicators["readmissions_per_year"] == pytest.approx(admitted * 365 / horizon)
    assert indicators["readmissions_per_year"] > 0


def test_readmissions_queue_for_a_bed_and_take_one(readmission_run):
    s, records, _ = readmission_run
    readmissions = [sp for sp in records.spells if sp.readmission]
    admitted = [sp for sp in readmissions if not math.isnan(sp.admitted)]
    assert len(admitted) > 0.8 * len(readmissions)
    assert all(sp.admitted >= sp.arrival for sp in admitted)
    assert any(sp.admitted > sp.arrival for sp in admitted), "no readmission waited for a bed"
    # they then go through the whole hospital stay: medically optimised, discharged or died
    assert any(not math.isnan(sp.left_bed) and not sp.died for sp in readmissions)


def test_readmission_frees_the_community_place_held_at_that_moment(readmission_run):
    s, records, _ = readmission_run
    arrivals_of = {}
    for sp in records.spells:
        if sp.readmission:
            arrivals_of.setdefault(sp.patient, set()).add(sp.arrival)
    readmitted_from = {service: 0 for service in ("reablement", "home_care", "intermediate_care", "care_home")}
    for st in records.stays:
        if st.background or st.outcome != "readmitted":
            continue
        if math.isnan(st.reserved):  # readmitted while queueing for the place: the request was withdrawn
            assert math.isnan(st.released)
            continue
        assert st.released in arrivals_of.get(st.patient, set()), (st.service, st.patient, st.released)
        readmitted_from[st.service] += 1
    assert readmitted_from["reablement"] > 0
    assert readmitted_from["home_care"] > 0
    # and a place, once released, is not still held: nobody holds two places of one service
    for service in readmitted_from:
        holds: dict[int, list[tuple[float, float]]] = {}
        for st in records.stays:
            if st.service == service and not st.background and not math.isnan(st.reserved):
                released = math.inf if math.isnan(st.released) else st.released
                holds.setdefault(st.patient, []).append((st.reserved, released))
        for intervals in holds.values():
            intervals.sort()
            for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
                assert end <= start


def test_readmission_from_reablement_releases_the_reablement_stay_at_the_readmission_time(readmission_run):
    """The same, for reablement in detail: stay released (and care ended) at the new spell's arrival."""
    s, records, _ = readmission_run
    readmission_at = {(sp.patient, sp.arrival) for sp in records.spells if sp.readmission}
    from_reablement = [
        st for st in records.stays if st.service == "reablement" and st.outcome == "readmitted" and not math.isnan(st.started)
    ]
    assert from_reablement
    for st in from_reablement:
        assert (st.patient, st.released) in readmission_at
        assert st.started <= st.care_end <= st.released


# --- time to readmission -----------------------------------------------------------------------


def test_readmissions_come_within_30_days_of_discharge_in_the_configured_distribution():
    s = scenario(*ONLY_30_DAY_PROCESS, "run.warmup_days=60", "run.horizon_days=200", "run.seed=33",
                 "readmission.delay_effect_per_day=0.05")
    _, records = simulate_replication(s)
    gaps = np.array(
        [sp.next_arrival - sp.left_bed for sp in records.spells if not math.isnan(sp.next_arrival)]
    )
    assert len(gaps) > 500
    assert (gaps > 0).all()
    assert (gaps <= READMISSION_WINDOW_DAYS + 1e-9).all()
    # the distribution, over discharges whose whole 30 days are in the run (later ones only show early readmissions)
    horizon = records.horizon_days
    gaps = np.array(
        [
            sp.next_arrival - sp.left_bed
            for sp in records.spells
            if not math.isnan(sp.next_arrival) and sp.left_bed < horizon - READMISSION_WINDOW_DAYS
        ]
    )
    assert len(gaps) > 500
    # exponential(mean 12) cut at 30 days: CDF (1 - exp(-x/12)) / (1 - exp(-30/12)); test at the 0.1 % level
    cut = -math.expm1(-READMISSION_WINDOW_DAYS / 12.0)
    result = stats.kstest(gaps, lambda x: -np.expm1(-np.asarray(x) / 12.0) / cut)
    assert result.pvalue > 0.001, result
