"""The census both ways, on cases worked out by hand: who is where in records written by hand (census_of),
and what is left of a census person's 30-day readmission risk (readmission_left)."""

from __future__ import annotations

import math

import pytest
from constructed import records, spell, stay, ward

from sim.model import draw_arrivals, simulate
from sim.model.arrivals import Draws
from sim.model.census_start import census_of, readmission_left, time_left
from sim.scenario.schema import CensusEntry
from sim.streams import Streams

NAN = math.nan
YOUNG, MIDDLE, OLD = 0, 1, 2  # the baseline's age bands 65-74, 75-84, 85+

# --- who is where at day 0 ---------------------------------------------------------------------------
# spell: patient, arrival, admitted, optimised, left the bed (NaN: not yet), pathway; stay: service, patient,
# asked, reserved (= started unless given), started, care ended, released

SPELLS = [
    spell(1, -5.0, -4.0, -1.0, NAN, "p1", band=OLD),  # in a bed 4 days, medically optimised 1 day ago
    spell(3, -1.0, band=YOUNG),  # waiting for a bed for a day (listed before the next: nothing after it is lost)
    spell(2, -2.0, -2.0, band=YOUNG),  # in a bed 2 days, in treatment
    spell(4, -0.5, 0.0, band=MIDDLE),  # took a bed at day 0 itself: in a bed for 0 days
    spell(5, 0.0, band=MIDDLE),  # asked for a bed at day 0 itself: waiting for 0 days
    spell(6, -3.0, -3.0, -1.0, 0.0, "p3", band=MIDDLE),  # left the bed at day 0 itself, for a care home
    spell(7, -1.0, diverted=True),  # sent elsewhere: nowhere
    spell(8, -3.0, -3.0, 0.0, NAN, "p3", band=OLD),  # optimised at day 0 itself: not delayed yet
    spell(9, -15.0, -15.0, -12.0, -10.0, "p2", band=OLD),  # home for 10 days
    spell(10, -35.0, -35.0, -32.0, -30.0, band=OLD),  # home for 30 days: no readmission left to come, not listed
    spell(11, -9.0, -9.0, -6.0, -5.0, next_arrival=-1.0, band=YOUNG),  # home, then readmitted a day ago ...
    spell(11, -1.0, -1.0, band=YOUNG, readmission=True),  # ... so in a bed
    spell(12, -9.0, -9.0, -6.0, -5.0, band=YOUNG),  # home, died there 2 days ago: not listed
    spell(13, -9.0, -9.0, -6.0, -5.0, "p1", service="reablement", band=MIDDLE),  # discharged into reablement
    spell(14, -9.0, -9.0, NAN, -3.0, died=True, band=OLD),  # died in hospital
    spell(15, -4.0, -4.0, -2.0, 0.0, band=YOUNG),  # left the bed at day 0 itself: at home for 0 days
    spell(16, -99.0, -99.0, -95.0, -90.0, "p1", service="home_care", band=OLD),  # a package from day -80
]
STAYS = [
    stay("reablement", 13, -5.0, -4.0),  # in reablement since day -4
    stay("home_care", 9, -12.0, -11.0, NAN, -1.0, 0.0, "died"),  # left at day 0 itself: not listed
    stay("home_care", 2, -50.0, -50.0, NAN, NAN, -3.0, "readmitted"),  # ended before: not listed
    stay("care_home", 6, 0.0, 0.0),  # moved in at day 0 itself: in a care home for 0 days
    stay("home_care", 16, -90.0, -80.0),  # a home care client since day -80 (band 85+)
    stay("home_care", -1, -300.0, -300.0, background=True),  # an outside client: takes the band of the cohort's client
    stay("care_home", 3, -20.0, -18.0),  # a place reserved ...
]
STAYS[-1].started = NAN  # ... but never taken: not there
DEATHS = {12: -2.0, 14: -3.0}

EXPECTED = [  # place, age band, pathway, days, delayed days
    ("acute_bed", "85+", "p1", 4.0, 1.0),
    ("waiting_for_bed", "65-74", "", 1.0, 0.0),
    ("acute_bed", "65-74", "p0", 2.0, 0.0),
    ("acute_bed", "75-84", "p0", 0.0, 0.0),
    ("waiting_for_bed", "75-84", "", 0.0, 0.0),
    ("acute_bed", "85+", "p3", 3.0, 0.0),
    ("acute_bed", "65-74", "p0", 1.0, 0.0),  # patient 11's readmission
    ("home", "85+", "p2", 10.0, 0.0),  # patient 9 (in home care until day 0: left it then)
    ("home", "65-74", "p0", 0.0, 0.0),  # patient 15
    ("reablement", "75-84", "", 4.0, 0.0),
    ("care_home", "75-84", "", 0.0, 0.0),  # patient 6: in a care home, not at home, from the instant they left
    ("home_care", "85+", "", 80.0, 0.0),
    ("home_care", "85+", "", 300.0, 0.0),  # the outside client, with the band of the one cohort client
]


def test_census_of_lists_who_is_where_at_day_0_as_worked_out_by_hand():
    """At day 0 itself: a bed taken is held, a bed left or a place given back is not, a place taken is (patient
    6 left the bed and moved into a care home then: in the care home)."""
    written = records(10.0, spells=SPELLS, stays=STAYS, deaths=DEATHS)
    census = census_of(written, ward(10, 50), at=0.0)
    assert [(e.place, e.age_band, e.pathway, e.days, e.delayed_days) for e in census] == EXPECTED


# --- what is left of a 30-day readmission risk --------------------------------------------------------
# Time to readmission exponential with mean 10 days, cut at 30: G(x) = 1 - exp(-x / 10) of it falls within x
# days, a share G(d) / G(30) of the 30-day risk p is used up d days after the discharge. Given no readmission
# yet, the chance one is still to come is p (1 - s) / (1 - p s), s = G(d) / G(30); a uniform u below it is
# spread over the rest of the window: the readmission comes at G^-1(G(d) + u / still x (G(30) - G(d))) - d.

RISK = {"p0": 0.2, "p1": 0.3, "p2": 0.1, "p3": 0.05}
READMISSION = ["readmission.within_30_days=" + str(RISK).replace("'", ""),
               "readmission.time_to_readmission={distribution: exponential, mean: 10.0}"]
NO_DRAWS = Draws(*[0] * len(Draws._fields))


def G(x: float) -> float:
    return 1 - math.exp(-x / 10)


def still_to_come(p: float, days: float) -> float:
    share = G(days) / G(30)
    return p * (1 - share) / (1 - p * share)


def by_hand(p: float, days: float, u: float) -> float:
    if u >= still_to_come(p, days):
        return math.inf
    quantile = G(days) + u / still_to_come(p, days) * (G(30) - G(days))
    return -10 * math.log(1 - quantile) - days


CASES = [  # place, pathway given, days since discharge (or in the service), the risk that applies
    ("home", "p0", 6.0, RISK["p0"]),
    ("home", "", 6.0, RISK["p0"]),  # no pathway given: pathway 0
    ("home", "p3", 20.0, RISK["p3"]),
    ("reablement", "", 6.0, RISK["p1"]),
    ("intermediate_care", "", 12.0, RISK["p2"]),
]


@pytest.mark.parametrize("place, pathway, days, p", CASES, ids=[f"{c[0]} {c[1]} {c[2]:g}" for c in CASES])
def test_the_readmission_still_to_come_is_the_rest_of_the_30_day_risk(place, pathway, days, p):
    scenario = ward(10, 50, *READMISSION)
    entry = CensusEntry(place=place, age_band="85+", pathway=pathway, days=days)
    for share in (0.0, 0.1, 0.5, 0.9, 0.999):  # of the chance still to come, then just past it
        u = share * still_to_come(p, days)
        expected = by_hand(p, days, u)
        assert readmission_left(scenario, entry, NO_DRAWS._replace(readmit_u=u)) == pytest.approx(expected, rel=1e-9)
    assert by_hand(p, days, 0.0) == pytest.approx(0.0, abs=1e-9)  # u = 0: at once
    assert readmission_left(scenario, entry, NO_DRAWS._replace(readmit_u=1.001 * still_to_come(p, days))) == math.inf


@pytest.mark.parametrize("place", ["home_care", "care_home", "acute_bed", "waiting_for_bed"])
def test_only_recent_discharges_carry_a_readmission_risk(place):
    """A census cannot say how long ago home care or care home clients left hospital; people in hospital have
    none pending. And 30 days after a discharge the risk is used up."""
    scenario = ward(10, 50, *READMISSION)
    certain = NO_DRAWS._replace(readmit_u=0.0)
    assert readmission_left(scenario, CensusEntry(place=place, age_band="85+", days=5.0), certain) == math.inf
    assert readmission_left(scenario, CensusEntry(place="reablement", age_band="85+", days=30.0), certain) == math.inf
    assert readmission_left(scenario, CensusEntry(place="reablement", age_band="85+", days=29.0), certain) < math.inf


# --- what is left of a stay under way ------------------------------------------------------------------


def test_the_rest_of_each_stay_under_way():
    """Exponential durations forget how long they have lasted: what is left of one at quantile u is the fresh
    -mean x ln(1 - u), whatever the days so far; a clinical stay is scaled by the age band (x 2 here), the time
    before a death is not; someone already optimised has no clinical stay left and the rest of an assessment."""
    exponential = "{distribution: exponential, mean: %s}"
    scenario = ward(10, 50, "clinical_stay.by_pathway.p2=" + exponential % 8.0,
                    "clinical_stay.age_band_factor={65-74: 1.0, 75-84: 1.0, 85+: 2.0}",
                    "in_hospital_death.stay_before_death=" + exponential % 5.0,
                    "services.reablement.duration=" + exponential % 20.0,
                    "services.intermediate_care.duration=" + exponential % 30.0)
    u, fresh = 0.3, -math.log(1 - 0.3)  # a unit exponential's 30th centile
    draws = NO_DRAWS._replace(pathway=1, stay=99.0, assessment=3.0)

    def left(place: str, **entry) -> Draws:
        return time_left(scenario, CensusEntry(place=place, age_band="85+", **{"days": 40.0, **entry}), draws, u)

    treated = left("acute_bed", pathway="p2")
    assert (treated.pathway, treated.stay) == (2, pytest.approx(2 * 8.0 * fresh))
    assert left("acute_bed").pathway == 1  # no pathway in the census: the drawn one
    dying = time_left(scenario, CensusEntry(place="acute_bed", age_band="85+", days=40.0),
                      draws._replace(dies=True), u)
    assert dying.stay == pytest.approx(5.0 * fresh)
    optimised = left("acute_bed", pathway="p2", delayed_days=1.0)
    assert (optimised.stay, optimised.dies, optimised.assessment) == (0.0, False, 2.0)
    assert left("acute_bed", pathway="p2", delayed_days=5.0).assessment == 0.0  # assessed long enough already
    assert left("reablement").reablement_days == pytest.approx(20.0 * fresh)
    assert left("intermediate_care").intermediate_care_days == pytest.approx(30.0 * fresh)
    for place in ("home_care", "care_home", "waiting_for_bed", "home"):
        assert left(place, days=10.0) == draws  # nothing under way, or ended at constant rates


def test_outside_clients_take_the_bands_of_the_cohorts_own_clients_of_that_service():
    """20 outside home care clients and one cohort client aged 85+: all 20 are 85+. With no cohort client of
    that service (the care home here) they are spread over every band (negative control: more than one band)."""
    outside = [stay(service, -1, -100.0, -100.0, background=True) for service in ("home_care", "care_home")
               for _ in range(20)]
    written = records(10.0, spells=[spell(16, -99.0, -99.0, -95.0, -90.0, "p1", service="home_care", band=OLD)],
                      stays=[stay("home_care", 16, -90.0, -80.0), *outside])
    census = census_of(written, ward(10, 50), at=0.0, seed=3)
    bands = {place: [e.age_band for e in census if e.place == place and e.days == 100.0]
             for place in ("home_care", "care_home")}
    assert bands["home_care"] == ["85+"] * 20
    assert len(bands["care_home"]) == 20 and len(set(bands["care_home"])) > 1


def test_someone_readmitted_at_the_moment_of_the_census_is_not_also_at_home():
    """Discharged 5 days before day 0 and back at day 0 itself: waiting for a bed, not at home as well."""
    spells = [spell(1, -9.0, -9.0, -6.0, -5.0, next_arrival=0.0, band=YOUNG), spell(1, 0.0, band=YOUNG, readmission=True)]
    census = census_of(records(10.0, spells=spells), ward(10, 50), at=0.0)
    assert [(e.place, e.days) for e in census] == [("waiting_for_bed", 0.0)]


def test_an_age_band_without_a_factor_has_a_factor_of_1():
    """The stay factors name only 85+: the rest of an exponential clinical stay (mean 8) of someone aged 65-74 at
    the 30th centile is 8 x -ln(0.7), unscaled (a missing band's factor is 1)."""
    base = ward(10, 50, "clinical_stay.by_pathway.p2={distribution: exponential, mean: 8.0}")
    # (an override would merge into the baseline's factors, which name every band)
    scenario = base.model_copy(update={"clinical_stay": base.clinical_stay.model_copy(update={"age_band_factor": {"85+": 2.0}})})
    entry = CensusEntry(place="acute_bed", age_band="65-74", pathway="p2", days=3.0)
    assert time_left(scenario, entry, NO_DRAWS, 0.3).stay == pytest.approx(-8.0 * math.log(0.7), rel=1e-12)


def test_the_longest_waiting_census_patient_gets_the_first_free_bed_and_a_service_place_dates_from_the_census():
    """Two beds, both taken; two people waiting 1 and 3 days (listed in that order): whoever leaves a bed first
    makes room for the one waiting 3 days. Someone 5 days into reablement holds a place asked for and handed over
    5 days before the run starts (no warm-up: the run starts at day 0). The census's spells are first spells of
    people aged 85+ (band 2); the one in a bed for 2 days, delayed for 1, was medically optimised at day -1."""
    census = ("census=[{place: acute_bed, age_band: 85+, days: 1}, {place: acute_bed, age_band: 85+, days: 2, "
              "delayed_days: 1},"
              " {place: waiting_for_bed, age_band: 85+, days: 1}, {place: waiting_for_bed, age_band: 85+, days: 3},"
              " {place: reablement, age_band: 85+, days: 5}]")
    scenario = ward(30, 2, census)
    streams = Streams(scenario.run.seed, 0)
    written = simulate(scenario, draw_arrivals(scenario, streams), streams)
    admitted = {s.arrival: s.admitted for s in written.spells if s.arrival in (-1.0, -3.0)}
    assert admitted[-3.0] < admitted[-1.0] < 30.0
    from_census = [s for s in written.spells if s.arrival < 0]
    assert [(s.band, s.readmission) for s in from_census] == [(OLD, False)] * 4
    assert [s.optimised for s in from_census if s.arrival == -2.0] == [-1.0]
    reablement = [s for s in written.stays if s.service == "reablement" and s.requested < 0]
    assert [(s.requested, s.reserved) for s in reablement] == [(-5.0, -5.0)]


def test_the_census_at_day_0_itself_and_patient_0():
    """Patient 0 (the first person of a run: ids start at 0) in home care is one of the cohort's clients, with
    their own band, not an outside client; someone who died at home at day 0 itself is not listed."""
    spells = [spell(0, -99.0, -99.0, -95.0, -90.0, "p1", service="home_care", band=YOUNG),
              spell(1, -9.0, -9.0, -6.0, -5.0, band=MIDDLE)]
    written = records(10.0, spells=spells, stays=[stay("home_care", 0, -90.0, -80.0)], deaths={1: 0.0})
    census = census_of(written, ward(10, 50), at=0.0)
    assert [(e.place, e.age_band, e.days) for e in census] == [("home_care", "65-74", 80.0)]


def test_the_bands_of_outside_clients_are_the_same_for_the_same_seed():
    """The census command's output is reproducible: the same seed gives the same bands (and another seed, here,
    others: 20 draws of 3 bands)."""
    outside = [stay("care_home", -1, -100.0, -100.0, background=True) for _ in range(20)]
    written = records(10.0, stays=outside)
    first, again, other = (census_of(written, ward(10, 50), at=0.0, seed=seed) for seed in (3, 3, 4))
    assert first == again
    assert first != other


def test_a_census_patient_keeps_the_census_pathway_and_the_age_factor_scales_the_days_so_far():
    """A fixed clinical stay of 10 days (pathway 2) scaled by 2 for the 85+: 20 days in all, so someone 6 days in
    has 14 left (2 x (10 - 6 / 2)). The census's pathway is kept by someone medically optimised and by someone who
    will die, not the drawn one (1)."""
    base = ward(10, 50, "clinical_stay.by_pathway.p2={distribution: fixed, value: 10.0}")
    scenario = base.model_copy(update={"clinical_stay": base.clinical_stay.model_copy(update={"age_band_factor": {"85+": 2.0}})})
    draws = NO_DRAWS._replace(pathway=1)

    def left(days: float, delayed: float = 0.0, dies: bool = False) -> Draws:
        entry = CensusEntry(place="acute_bed", age_band="85+", pathway="p2", days=days, delayed_days=delayed)
        return time_left(scenario, entry, draws._replace(dies=dies), 0.5)

    assert (left(6.0).pathway, left(6.0).stay) == (2, pytest.approx(14.0, rel=1e-12))
    assert left(6.0, delayed=1.0).pathway == 2
    assert left(6.0, dies=True).pathway == 2
