"""Every indicator checked by value, on records written by hand and answers worked out on paper.

Each case is a few spells, community stays or midnight rows (tests/constructed.py
writes them as the model would) with the arithmetic beside it. The edges the
definitions turn on are in the cases: a stay of exactly 7 and exactly 21 days
(and one of 6), a spell ending on the last day of the horizon and one ending at
the horizon itself, a readmission exactly 30 days after a discharge, a day at
exactly 92 % and at 100 % of the beds, time before day 0 and after the horizon,
a queue that clears on one midnight of the last third and one that never does.
"""

from __future__ import annotations

import math

import pytest
from constructed import midnight, records, records_of, spell, stay, ward

from sim.indicators import (
    INDICATORS,
    compute_indicators,
    los_counts,
    range_of,
    spell_indicators,
    spell_table,
    unit_of,
)

NAN = math.nan
SERVICES = ("reablement", "home_care", "intermediate_care", "care_home")

# --- a ward: lengths of stay, delays, occupancy, admissions -------------------------------------------
# Horizon 73 days, so a count per year is 365 / 73 = 5 times the count; 25 beds all year: 1,825 bed days.
# spell: patient, arrival, admitted, optimised, left the bed (NaN: not yet)

WARD_SPELLS = [
    spell(1, -3.0, -3.0, -1.0, 4.0, "p0"),  # from the warm-up; LOS exactly 7; delay 5, of which 4 in the horizon
    spell(2, 0.0, 0.5, 20.0, 21.5, "p1", service="reablement"),  # waited 12 h; LOS exactly 21; delay 1.5
    spell(3, 10.0, 10.0, 12.0, 13.0, "p2", service="intermediate_care", next_arrival=43.0),  # LOS 3, delay 1
    spell(4, 20.0, 20.0, NAN, 26.0, "p1", died=True),  # died after 6 days: not a live discharge
    spell(5, 40.0, 40.0, 65.0, 72.5, "p3", service="care_home"),  # ends on the last day; LOS 32.5, delay 7.5
    spell(6, 50.0, 50.0, 60.0, 73.0, "p0"),  # ends at the horizon itself: not an ended spell; delayed 13 days
    spell(7, 55.0, 56.0),  # waited a day, in treatment at the end
    spell(8, 30.0, diverted=True),  # sent elsewhere
    spell(3, 43.0, 43.0, 45.0, 47.0, "p0", readmission=True),  # readmitted; LOS 4, delay 2
    spell(9, 70.0),  # still waiting for a bed at the end
    spell(10, -20.0, -20.0, -15.0, -10.0, "p0"),  # over before day 0: counts nowhere
    spell(11, -30.0, -30.0),  # in a bed from before day 0 to after the horizon: 73 bed days, from day -9 long-stay
    spell(12, 73.0),  # asked at the horizon itself: counts nowhere
]
ACUTE_BED_DAY = 300.0
# bed days in the horizon: 4 + 21 + 3 + 6 + 32.5 + 23 + 17 + 4 + 73 = 183.5
# days past the 21st in hospital: spell 5 from 61 (11.5), spell 6 from 71 (2), spell 11 from -9 (73) = 86.5
# ended in the horizon: LOS 7, 21, 3, 6, 32.5, 4 (sorted 3, 4, 6, 7, 21, 32.5); live: all but the death
# delayed days in the horizon: 4 + 1.5 + 1 + 7.5 + 13 + 2 = 29
# admitted in the horizon: patients 2, 3, 4, 5, 6, 7 and 3's readmission: 7, waits 0.5, 0, 0, 0, 0, 1, 0
# requested in the horizon: the 7 admitted (patient 7 asked at 55), the diverted and the one waiting: 9
# waiting for a bed in the horizon: patient 2 for 0.5 days, 7 for 1, 9 from 70 to the end (3); not the diverted
WARD = {
    "admissions_per_year": 7 * 5,
    "readmissions_per_year": 1 * 5,
    "diverted_per_year": 1 * 5,
    "diverted_share": 1 / 9,
    "mean_los_days": (7 + 21 + 3 + 6 + 32.5 + 4) / 6,
    "median_los_days": (6 + 7) / 2,
    "p90_los_days": 21 + 0.5 * (32.5 - 21),  # numpy's linear rule: position 0.9 x (6 - 1) = 4.5
    "stranded_7d_share": 3 / 6,  # 7, 21, 32.5 (not 6)
    "superstranded_21d_share": 2 / 6,  # 21, 32.5
    "superstranded_21d_bed_share": 86.5 / 183.5,
    "in_hospital_mortality_rate": 1 / 6,
    "mean_los_days_p0": (7 + 4) / 2,
    "mean_los_days_p1": 21.0,  # the death on pathway 1 does not count
    "mean_los_days_p2": 3.0,
    "mean_los_days_p3": 32.5,
    "mean_delay_days": (5 + 1.5 + 1 + 7.5 + 2) / 5,
    "mean_delay_days_p0": (5 + 2) / 2,
    "mean_delay_days_p1": 1.5,
    "mean_delay_days_p2": 1.0,
    "mean_delay_days_p3": 7.5,
    "pathway_share_p0": 2 / 5,
    "pathway_share_p1": 1 / 5,
    "pathway_share_p2": 1 / 5,
    "pathway_share_p3": 1 / 5,
    "delayed_bed_days_per_year": 29 * 5,
    "delayed_patients_mean": 29 / 73,
    "mean_occupancy_pct": 100 * 183.5 / (25 * 73),
    "mean_bed_wait_hours": (0.5 + 1) * 24 / 7,
    "waited_for_bed_share": 2 / 7,
    "cost_acute_per_year": 183.5 * ACUTE_BED_DAY * 5,
    "bed_days_per_year": 183.5 * 5,
    "mean_los_from_request_days": (7 + 21.5 + 3 + 6 + 32.5 + 4) / 6,  # patient 2 asked 12 h before admission
    "bed_queue_mean": (0.5 + 1 + 3) / 73,
    "bed_queue_end": 1.0,  # patient 9
}


def ward_case():
    scenario = ward(73, 25, f"costs.acute_bed_day={ACUTE_BED_DAY}")
    return records(73.0, spells=WARD_SPELLS), scenario


# --- the edges of the horizon: day 0 counts, the horizon itself does not -----------------------------
# Horizon 10 days (x 36.5 a year).

EDGE_SPELLS = [
    spell(1, -0.5, 0.0),  # took a bed at day 0 itself, after asking in the warm-up: an admission, waited 12 h
    spell(2, 0.0, diverted=True),  # asked at day 0 itself: a request, diverted
    spell(3, 9.0, 10.0),  # asked at day 9, took a bed at the horizon itself: not an admission, waiting at the end
    spell(4, 9.5, 9.5),  # an admission
    spell(5, 10.0, diverted=True),  # asked at the horizon itself: not a request
    spell(6, 10.0),  # asked at the horizon itself: not waiting in the horizon
]
EDGE_VALUES = {
    "admissions_per_year": 2 * 36.5,
    "diverted_per_year": 1 * 36.5,
    "diverted_share": 1 / 3,  # requests: patients 2, 3, 4
    "mean_bed_wait_hours": (0.5 + 0.0) / 2 * 24,
    "waited_for_bed_share": 1 / 2,
    "bed_queue_mean": 1.0 / 10,  # patient 3 from day 9 to 10 (patient 1 waited before day 0)
    "bed_queue_end": 1.0,  # patient 3: taking a bed at the horizon is not inside it
}


def edges_case():
    return records(10.0, spells=EDGE_SPELLS), ward(10, 25)


# --- midnights: days above 92 % and at 100 % ------------------------------------------------------

MIDNIGHTS = [
    midnight(0, 25, 23),  # 92 % exactly: not above
    midnight(1, 25, 24),  # 96 %
    midnight(2, 25, 25),  # 100 %: above 92 % and at 100 %
    midnight(3, 25, 22),  # 88 %
    midnight(4, 30, 25),  # 83 % of the escalation beds open that day
]
MIDNIGHT_VALUES = {"days_over_92pct_share": 2 / 5, "days_at_100pct_share": 1 / 5}


def midnights_case():
    return records(5.0, census=MIDNIGHTS), ward(5, 25)


# --- readmissions within 30 days ----------------------------------------------------------------------
# Horizon 100 days (x 3.65 a year): a discharge is followed up if its 30 days end inside, i.e. before day 70.

READMISSION_SPELLS = [
    spell(1, 5.0, 5.0, 8.0, 10.0, next_arrival=40.0),  # readmitted exactly 30 days later: counts
    spell(2, 15.0, 15.0, 18.0, 20.0, next_arrival=50.5),  # 30.5 days later: not within 30
    spell(3, 25.0, 25.0, 28.0, 30.0),  # never readmitted
    spell(4, 60.0, 60.0, 65.0, 69.5, next_arrival=89.5),  # 20 days later, and followed (69.5 < 70)
    spell(5, 60.0, 60.0, 66.0, 70.0, next_arrival=80.0),  # discharged on day 70: its window is not all inside
    spell(6, 12.0, 12.0, NAN, 14.0, died=True),  # a death is not a live discharge
    spell(1, 40.0, 40.0, 41.0, 42.0, readmission=True),  # the readmissions: followed, none of them readmitted
    spell(2, 50.5, 50.5, 52.0, 53.0, readmission=True),
    spell(4, 89.5, 89.5, readmission=True),
    spell(5, 80.0, 80.0, readmission=True),
]
READMISSION_VALUES = {
    "readmission_30d_rate": 2 / 6,  # followed: patients 1, 2, 3, 4 and the readmissions ending at 42 and 53
    "readmissions_per_year": 4 * 3.65,
    "admissions_per_year": 10 * 3.65,
}


def readmissions_case():
    return records(100.0, spells=READMISSION_SPELLS), ward(100, 25)


# --- at home 91 days after a discharge into reablement or intermediate care (ASCOF 2B(1)) -----------
# (the rule for one person is tested on many histories in test_outcome_indicators.py)


def at_home_case():
    horizon = 400.0  # discharges after day 309 are not followed
    histories = [
        [(0.0, "reablement"), (14.0, "home")],  # at home on day 91
        [(10.0, "reablement"), (24.0, "home"), (70.0, "died")],  # died
        [(20.0, "intermediate_care"), (50.0, "care_home")],  # in a care home
        [(30.0, "intermediate_care"), (60.0, "home"), (100.0, "hospital"), (110.0, "home")],  # home again by 121
        [(40.0, "home_care")],  # straight to home care: not in the cohort
        [(50.0, "home")],  # pathway 0: not in the cohort
        [(310.0, "reablement"), (320.0, "home")],  # day 91 after the horizon: not followed
    ]
    written = records(horizon)
    for patient, history in enumerate(histories):
        records_of(history, patient, into=written)
    return written, ward(horizon, 25)


AT_HOME_VALUES = {"at_home_91d_rate": 2 / 4}


# --- community services: use, waits, outcomes, bridging and costs ------------------------------------
# Horizon 73 days (x 5 a year). Places: reablement 4, home care 5, intermediate care 2, care homes
# unlimited (then 10). A cost per day: reablement 100, home care 20 GBP/h x 14 h a week / 7 = 40,
# intermediate care 200, care homes 700 GBP a week / 7 = 100; an acute bed day 300.
# stay: service, patient, asked, reserved, started (default: reserved), care ended, released, outcome

SERVICE_STAYS = [
    stay("reablement", 1, 1.0, 3.0, NAN, 20.0, 20.0, "independent"),  # wait 2, held 17
    stay("reablement", 2, -5.0, -2.0, NAN, 30.0, 36.0, "home_care"),  # from the warm-up: held 36, bridging 6
    stay("reablement", 3, 60.0, 61.0),  # wait 1, still there at the end: held 12
    stay("reablement", 4, 10.0, 10.0, NAN, 15.0, 15.0, "readmitted"),  # wait 0, held 5: not a completer
    stay("reablement", 5, 40.0, 42.0, NAN, 50.0, 50.0, "died"),  # wait 2, held 8: not a completer
    stay("reablement", 6, 20.0, 25.0, 27.0, 45.0, 45.0, "independent"),  # wait 5, held 20 from 25, used 18 from 27
    stay("reablement", 9, 65.0, NAN, NAN, NAN, 68.0, "readmitted"),  # readmitted while waiting: asked, never given
    stay("reablement", 10, 70.0),  # still waiting at the end
    stay("home_care", -1, 0.0, 0.0, NAN, 30.0, 30.0, background=True),  # an outside client: held 30, costs nothing
    stay("home_care", 2, 30.0, 36.0),  # wait 6, held 37
    stay("home_care", 7, 5.0, 5.0, NAN, 25.0, 25.0, "care_home"),  # wait 0, held 20
    stay("intermediate_care", 3, 11.0, 13.0, NAN, 33.0, 35.0, "care_home"),  # wait 2, held 22 (to the release)
    stay("intermediate_care", 8, -3.0, -1.0, NAN, 9.0, 9.0, "home"),  # from the warm-up: held 9
    stay("care_home", 3, 33.0, 35.0),  # wait 2, held 38
    stay("care_home", 7, 25.0, 25.0, NAN, 60.0, 60.0, "died"),  # wait 0, held 35
    stay("care_home", -1, 0.0, 0.0, background=True),  # an outside resident: held 73, costs nothing
]
SERVICE_SPELLS = [spell(1, 0.0, 0.0, 0.0, 10.0)]  # 10 acute bed days
COSTS = [
    "costs.programme_per_year=50000",
    "costs.acute_bed_day=300", "costs.reablement_place_day=100", "costs.home_care_hour=20",
    "services.home_care.hours_per_week=14", "costs.intermediate_care_bed_day=200", "costs.care_home_week=700",
]
CAPACITIES = [
    "services.reablement.places=4", "services.home_care.packages=5", "services.home_care.clients_at_start=0",
    "services.intermediate_care.places=2", "services.care_home.places=null", "services.care_home.residents_at_start=0",
]
SERVICE_VALUES = {
    "reablement_utilisation_pct": 100 * (17 + 36 + 12 + 5 + 8 + 20) / (4 * 73),
    "home_care_utilisation_pct": 100 * (30 + 37 + 20) / (5 * 73),
    "intermediate_care_utilisation_pct": 100 * (22 + 9) / (2 * 73),
    "care_home_utilisation_pct": NAN,  # no limit, no utilisation
    "reablement_mean_wait_days": (2 + 1 + 0 + 2 + 5) / 5,  # reserved in the horizon (not the warm-up's)
    "home_care_mean_wait_days": (6 + 0) / 2,  # the outside client does not count
    "intermediate_care_mean_wait_days": 2.0,
    "care_home_mean_wait_days": (2 + 0) / 2,
    "reablement_independent_share": 2 / 3,  # ended in the horizon: 2 independent, 1 to home care
    "bridging_days_per_year": 6 * 5,
    "cost_acute_per_year": 10 * 300 * 5,
    "cost_reablement_per_year": (17 + 36 + 12 + 5 + 8 + 18) * 100 * 5,
    "cost_home_care_per_year": (37 + 20) * 40 * 5,
    "cost_intermediate_care_per_year": (22 + 9) * 200 * 5,
    "cost_care_home_per_year": (38 + 35) * 100 * 5,
    "cost_total_per_year": (10 * 300 + 96 * 100 + 57 * 40 + 31 * 200 + 73 * 100) * 5,
    "cost_programme_per_year": 50_000.0,
    "cost_net_per_year": (10 * 300 + 96 * 100 + 57 * 40 + 31 * 200 + 73 * 100) * 5 + 50_000,
    # waiting: from asking to a place being reserved, or to the request ending (a readmission); to the end if neither
    "reablement_queue_mean": (2 + 0 + 1 + 0 + 2 + 5 + 3 + 3) / 73,  # the warm-up's wait is before day 0
    "home_care_queue_mean": (6 + 0) / 73,
    "intermediate_care_queue_mean": 2 / 73,
    "care_home_queue_mean": 2 / 73,
    "reablement_queue_end": 1.0,
    "home_care_queue_end": 0.0,
    "intermediate_care_queue_end": 0.0,
    "care_home_queue_end": 0.0,
}


def services_case():
    return records(73.0, spells=SERVICE_SPELLS, stays=SERVICE_STAYS), ward(73, 25, *COSTS, *CAPACITIES)


# --- queues that grow without bound (sim.stability) ---------------------------------------------------
# 30 midnights. A queue grows without bound if, over the last third (days 20-29), someone waited at every
# midnight and the mean queue held more than a week's requests: 7 x requests in the horizon / 30 days.

BED_BACKLOG = [
    # 10 arrivals a day (1,000 before the horizon, 290 over it: a week's requests is 7 x 290 / 30 = 67.7); in
    # the last third the bed queue is 70 ... 79 (mean 74.5), never empty
    midnight(day, 400, 400, arrived=1000 + 10 * day, bed_queue=0 if day < 20 else 50 + day)
    for day in range(30)
]
BED_QUEUE_SHORT_OF_A_WEEK = [
    # the same arrivals; the bed queue never empty in the last third but holding 66 or 67 (mean 66.5): less than
    # a week's requests
    midnight(day, 400, 400, arrived=1000 + 10 * day, bed_queue=0 if day < 20 else 66 + day % 2)
    for day in range(30)
]
SERVICE_BACKLOG = [
    # one reablement request at each half day 0.5, 1.5, ..., 29.5, none ever given a place: at midnight d, d are
    # waiting; a week's requests is 7 x 30 / 30 = 7, the last third's mean is 24.5. The bed queue of the case
    # above, but empty on day 25: it cleared, so it is kept up with
    midnight(day, 400, 400, arrived=1000 + 10 * day, bed_queue=0 if day < 20 or day == 25 else 50 + day,
             reablement_queue=day)
    for day in range(30)
]
WAITING = [stay("reablement", patient, patient + 0.5) for patient in range(30)]
UNSTABLE = [f"{service}_unstable_share" for service in SERVICES]
BED_BACKLOG_VALUES = {
    "bed_unstable_share": 1.0, "unstable_share": 1.0, **dict.fromkeys(UNSTABLE, 0.0),
    "bed_queue_mean": 0.0, "bed_queue_end": 0.0,  # no spell records: the queue indicators read the spells
}
SERVICE_BACKLOG_VALUES = {
    "bed_unstable_share": 0.0, "reablement_unstable_share": 1.0, "unstable_share": 1.0,
    "home_care_unstable_share": 0.0,
    "reablement_queue_mean": sum(30 - (d + 0.5) for d in range(30)) / 30,  # 29.5 + 28.5 + ... + 0.5 = 450 days
    "reablement_queue_end": 30.0,
}


def bed_backlog_case():
    return records(30.0, census=BED_BACKLOG), ward(30, 400)


def bed_queue_short_of_a_week_case():
    return records(30.0, census=BED_QUEUE_SHORT_OF_A_WEEK), ward(30, 400)


def service_backlog_case():
    return records(30.0, stays=WAITING, census=SERVICE_BACKLOG), ward(30, 400)


# --- nothing happened ---------------------------------------------------------------------------------
# Counts and costs are 0, nobody waited and no queue grew (the baseline runs no programme either); every
# share, mean and percentile of nothing is undefined (NaN), not 0.

ZERO = {
    "admissions_per_year", "diverted_per_year", "readmissions_per_year", "delayed_bed_days_per_year",
    "delayed_patients_mean", "bed_days_per_year", "mean_occupancy_pct", "bridging_days_per_year",
    "reablement_utilisation_pct", "home_care_utilisation_pct", "intermediate_care_utilisation_pct",
    "bed_queue_mean", "bed_queue_end", "bed_unstable_share", "unstable_share",
    *(f"{service}_{name}" for service in SERVICES for name in ("queue_mean", "queue_end", "unstable_share")),
    *(f"cost_{setting}_per_year" for setting in ("acute", *SERVICES, "total", "programme", "net")),
}
EMPTY_VALUES = {name: 0.0 if name in ZERO else NAN for name in INDICATORS}


def empty_case():
    return records(73.0), ward(73, 25)


CASES = {
    "ward": (ward_case, WARD),
    "edges of the horizon": (edges_case, EDGE_VALUES),
    "midnights": (midnights_case, MIDNIGHT_VALUES),
    "readmissions": (readmissions_case, READMISSION_VALUES),
    "at home": (at_home_case, AT_HOME_VALUES),
    "community services": (services_case, SERVICE_VALUES),
    "a bed queue that never clears": (bed_backlog_case, BED_BACKLOG_VALUES),
    "a bed queue short of a week's requests": (bed_queue_short_of_a_week_case, {"bed_unstable_share": 0.0,
                                                                             "unstable_share": 0.0}),
    "a service queue that never clears": (service_backlog_case, SERVICE_BACKLOG_VALUES),
    "nothing happened": (empty_case, EMPTY_VALUES),
}


@pytest.mark.parametrize("case", CASES)
def test_indicators_have_the_values_worked_out_by_hand(case):
    build, expected = CASES[case]
    values = compute_indicators(*build())
    wrong = {
        name: (values[name], value)
        for name, value in expected.items()
        if values[name] != pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True)
    }
    assert not wrong, f"indicator: (computed, by hand) {wrong}"


def test_every_indicator_has_a_value_worked_out_by_hand():
    """No indicator is checked by name only: each has a value in some case other than the empty one."""
    checked = set().union(*(expected for name, (_, expected) in CASES.items() if name != "nothing happened"))
    assert set(INDICATORS) <= checked
    assert checked <= set(INDICATORS)


def test_a_care_home_with_places_has_a_utilisation():
    """The case above with 10 care home places: (38 + 35 + the outside resident's 73) / (10 x 73) = 20 %."""
    written, _ = services_case()
    values = compute_indicators(written, ward(73, 25, *COSTS, *CAPACITIES, "services.care_home.places=10"))
    assert values["care_home_utilisation_pct"] == pytest.approx(100 * (38 + 35 + 73) / (10 * 73), rel=1e-12)


def test_reablement_places_from_care_hours():
    """Capacity given as 60 care hours a week at 14 hours a person: floor(60 / 14) = 4 places, as in the case."""
    written, _ = services_case()
    by_hours = [*CAPACITIES[1:], "services.reablement.places=null", "services.reablement.care_hours_per_week=60",
                "services.reablement.hours_per_person_per_week=14"]
    values = compute_indicators(written, ward(73, 25, *COSTS, *by_hours))
    assert values["reablement_utilisation_pct"] == pytest.approx(SERVICE_VALUES["reablement_utilisation_pct"], rel=1e-12)


def test_occupancy_counts_the_beds_open_each_day_including_a_part_day():
    """Horizon 59.5 days: January (31 days of 10 beds), February (28 days of 10 + 5 escalation beds) and half
    of 1 March (10 - 4 beds): 310 + 420 + 3 = 733 bed days available. One patient in a bed throughout."""
    scenario = ward(59.5, 10, 'acute.escalation=[{months: [2], extra_beds: 5}, {months: [3], extra_beds: -4}]')
    values = compute_indicators(records(59.5, spells=[spell(1, -1.0, -1.0)]), scenario)
    assert values["mean_occupancy_pct"] == pytest.approx(100 * 59.5 / 733, rel=1e-12)
    assert values["delayed_patients_mean"] == 0.0
    assert values["superstranded_21d_bed_share"] == pytest.approx((59.5 - 20) / 59.5, rel=1e-12)  # from day 20


def test_the_length_of_stay_histogram_counts_ended_spells_by_whole_days():
    """los_counts (the report's distribution): spells ended in [0, 100) by whole days of stay, 90+ in the last
    of 91 bins. Ended at day 0 itself: counted; at the horizon itself, or not yet: not."""
    spells = [
        spell(1, -5.0, -5.0, -1.0, 0.0),  # 5 days, ended at day 0 itself
        spell(2, 50.0, 50.0, 60.0, 100.0),  # ended at the horizon itself
        spell(3, 10.0, 10.0, 12.0, 13.5),  # 3.5 days
        spell(4, -80.0, -80.0, 5.0, 9.9),  # 89.9 days
        spell(5, -85.0, -85.0, 0.0, 5.0),  # 90 days
        spell(6, -150.0, -150.0, 40.0, 50.0),  # 200 days
        spell(7, 10.0, 10.0),  # still in hospital
    ]
    counts = los_counts(records(100.0, spells=spells))
    expected = [0] * 91
    expected[5], expected[3], expected[89], expected[90] = 1, 1, 1, 2
    assert counts.tolist() == expected
    assert los_counts(records(100.0, spells=spells[:2])).tolist() == [0] * 5 + [1] + [0] * 85  # always 91 bins


def test_a_reablement_stay_ending_at_the_horizon_itself_is_not_a_completer():
    """Horizon 73 days: one stay ends in the horizon, to home care; one ends at day 73 itself, independent. Only
    the first has completed inside the horizon: 0 independent of 1 completer (counting the second would give 1/2)."""
    stays = [stay("reablement", 1, 1.0, 1.0, NAN, 20.0, 20.0, "home_care"),
             stay("reablement", 2, 30.0, 30.0, NAN, 73.0, 73.0, "independent")]
    values = compute_indicators(records(73.0, stays=stays), ward(73, 25))
    assert values["reablement_independent_share"] == 0.0


# A service queue's verdict turns on the requests made in the horizon: 30 midnights, and the last third's mean
# queue against a week's requests, 7 x requests / 30. One request a day on days 0, 1, ..., 29 (day 0 itself
# counts): a week's requests is 7 exactly; a request at the horizon itself (day 30) does not count.
DAILY_REQUESTS = [stay("reablement", patient, float(patient)) for patient in range(30)]
AT_THE_HORIZON = stay("reablement", 30, 30.0)


def queue_of(last_third: float) -> list[tuple]:
    """30 midnights of a reablement queue of 1 until day 20, then `last_third` at every midnight."""
    return [midnight(day, 400, 0, arrived=10 * day, reablement_queue=1 if day < 20 else last_third)
            for day in range(30)]


@pytest.mark.parametrize("requests, last_third, unstable", [
    (DAILY_REQUESTS, 7.0, 0.0),  # 7 is not more than a week's 30 requests (7)
    (DAILY_REQUESTS[1:], 7.0, 1.0),  # negative control: without day 0's request a week's requests is 6.77
    ([*DAILY_REQUESTS, AT_THE_HORIZON], 7.1, 1.0),  # 7.1 > 7: counting the request at day 30 would make it 7.23
], ids=["a week's requests, day 0 counted", "day 0's request left out", "a request at the horizon itself"])
def test_a_service_queue_is_judged_against_the_requests_made_in_the_horizon(requests, last_third, unstable):
    values = compute_indicators(records(30.0, stays=requests, census=queue_of(last_third)), ward(30, 400))
    assert values["reablement_unstable_share"] == unstable
    assert values["unstable_share"] == unstable


def test_units_and_ranges_of_indicators():
    """Shares lie in 0-1, every other indicator (days, counts, %, GBP) is 0 or more: what summaries clip
    intervals to (sim.results)."""
    assert [unit_of(name) for name in ("mean_los_days", "stranded_7d_share", "mean_occupancy_pct")] == [
        "days", "share", "%"]
    assert range_of("stranded_7d_share") == (0.0, 1.0)
    assert range_of("mean_los_days") == (0.0, math.inf)


def test_a_spell_ending_at_day_0_itself_has_ended_in_the_horizon():
    """Horizon 10 days: a stay of 5 days ending at day 0 itself, and one of 2 days ending at day 0.5: both ended
    in the horizon (mean 3.5 days); one ending before day 0 did not."""
    spells = [spell(1, -5.0, -5.0, -1.0, 0.0), spell(2, -1.5, -1.5, -0.5, 0.5), spell(3, -9.0, -9.0, -8.0, -0.1)]
    values = compute_indicators(records(10.0, spells=spells), ward(10, 25))
    assert values["mean_los_days"] == pytest.approx(3.5, rel=1e-12)


def test_readmissions_followed_up_past_the_horizon():
    """A hospital's extract may follow discharges up beyond its last admission (sim.inputs.targets): the
    readmission case with readmissions seen up to day 130. Every live discharge before day 100 is followed: patient
    1 (back in 30 days), 2 (30.5), 3 (never), 4 (20), 5 (10) and the readmissions ending on days 42 and 53: 3/7."""
    table = spell_table(records(100.0, spells=READMISSION_SPELLS))
    assert spell_indicators(table, 100.0, follow_up_end=130.0)["readmission_30d_rate"] == pytest.approx(3 / 7)
    assert spell_indicators(table, 100.0)["readmission_30d_rate"] == pytest.approx(2 / 6)  # up to the horizon


def test_community_services_at_the_edges_of_the_horizon():
    """Horizon 73 days. Reablement places handed over at day 0 itself (after 2 days' wait), on day 5 (after 1) and
    on day 30 (after 4): mean wait 7/3 days; one handed over at the horizon itself (after 3) is not in it, and its person was still
    waiting when the horizon ended; so was nobody who asked only at the horizon itself. Completers: one released at
    day 0 itself, independent, and one on day 20, to home care: 1/2 (the one released at the horizon is not)."""
    stays = [
        stay("reablement", 1, -2.0, 0.0, NAN, 30.0, 30.0, "readmitted"),
        stay("reablement", 2, 4.0, 5.0, NAN, 20.0, 20.0, "home_care"),
        stay("reablement", 3, 70.0, 73.0),
        stay("reablement", 4, 73.0),
        stay("reablement", 5, -20.0, -10.0, NAN, 0.0, 0.0, "independent"),
        stay("reablement", 6, 26.0, 30.0, NAN, 73.0, 73.0, "independent"),
    ]
    values = compute_indicators(records(73.0, stays=stays), ward(73, 25))
    assert values["reablement_mean_wait_days"] == pytest.approx(7 / 3, rel=1e-12)
    assert values["reablement_queue_end"] == 1.0
    assert values["reablement_independent_share"] == 0.5


def test_the_at_home_cohort_leaves_out_discharges_before_day_0_and_those_whose_day_91_is_the_horizon():
    """The at-home case (2 of 4 at home) with two more discharges into reablement, both home on day 91 after:
    one on day -10, in the warm-up, and one on day 309, whose day 91 is the horizon itself. Neither is in the
    cohort: still 2/4 (counting them would make it 4/6)."""
    written, scenario = at_home_case()
    records_of([(-10.0, "reablement"), (0.0, "home")], patient=100, into=written)
    records_of([(309.0, "reablement"), (320.0, "home")], patient=101, into=written)
    assert compute_indicators(written, scenario)["at_home_91d_rate"] == 0.5
