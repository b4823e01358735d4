"""A warm start: the people of a census put where it found them, part-way through their journeys.

Each census person gets a full set of draws, like an arrival (streams named
"census:..."), with the duration already under way replaced by what is left of
it: a clinical stay, reablement or intermediate care drawn from those longer
than the time already spent (home care and care home stays end at constant
rates, so time already spent changes nothing). Their journeys then go on as
anyone's. They count as spells that arrived when the run starts, so the daily
conservation check covers them.

The reverse, `census_of`, reads who is where at a moment from a run's records:
the synthetic census shipped for the examples comes from it.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from sim.distributions import cdf_of, from_uniform, residual_from_uniform
from sim.errors import InputError
from sim.model.arrivals import READMISSION_WINDOW_DAYS, Draws, draw_spells, to_draws
from sim.model.person import Person
from sim.model.records import Records, SpellRecord
from sim.scenario.schema import PATHWAYS, CensusEntry, Scenario

if TYPE_CHECKING:
    from sim.model.hospital import Hospital

# Beds first (they are taken), then the longest-waiting first in the bed queue, then the services.
PLACE_ORDER = {"acute_bed": 0, "waiting_for_bed": 1, "reablement": 2, "home_care": 2, "intermediate_care": 2,
               "care_home": 2, "home": 2}


def start_from_census(hospital: Hospital, census: list[CensusEntry], first_person_id: int) -> None:
    """Put every census person in place and start their journeys (called before the run starts)."""
    scenario, env = hospital.scenario, hospital.env
    draws = census_draws(scenario, hospital.streams, census)
    order = sorted(range(len(census)), key=lambda i: (PLACE_ORDER[census[i].place], -census[i].days, i))
    for offset, index in enumerate(order):
        entry, person = census[index], Person(first_person_id + offset, draws[index])
        if entry.place in ("acute_bed", "waiting_for_bed"):
            spell = SpellRecord(person.id, person.band, person.draws.pathway, False, env.now - entry.days)
            if entry.place == "acute_bed":
                if hospital.beds.request() is not None:
                    raise InputError(
                        f"census: more people in acute beds than the {hospital.beds.capacity} beds open when the run "
                        "starts; expected at most that many (put the others in waiting_for_bed)"
                    )
                spell.admitted = spell.arrival
                if entry.delayed_days > 0:
                    spell.optimised = env.now - entry.delayed_days
            hospital.records.spells.append(spell)
            env.process(hospital.journey(person, env.now, spell=spell))
            continue
        person.readmit_at = env.now + readmission_left(scenario, entry, person.draws)
        hospital.arrived += 1  # counted like a spell that arrived now, for the conservation check
        hospital.records.bands[person.id] = person.band  # no spell says it
        if entry.place == "home":
            env.process(hospital.journey(person, env.now, at_home=True))
            continue
        service = hospital.services[entry.place]
        if service.reserve(person, env.now) is not None:
            raise InputError(
                f"census: more people in {entry.place} than its {service.places.capacity:g} places; expected at most that many"
            )
        person.next_stay.requested = person.next_stay.reserved = env.now - entry.days
        env.process(hospital.journey(person, env.now, service=service))


def readmission_left(scenario: Scenario, entry: CensusEntry, draws: Draws) -> float:
    """Days to the 30-day readmission still pending `entry.days` after discharge (inf: none).

    Only home, reablement and intermediate care carry one (a census cannot say
    how long ago home care or care home clients left hospital). The chance is
    the pathway's, without the delay effect, given none has come yet:
    p (1 - G(d)) / (1 - p G(d)), G the time to readmission within 30 days.
    """
    if entry.place not in ("home", "reablement", "intermediate_care") or entry.days >= READMISSION_WINDOW_DAYS:
        return math.inf
    pathway = {"reablement": "p1", "intermediate_care": "p2"}.get(entry.place, entry.pathway or "p0")
    p = getattr(scenario.readmission.within_30_days, pathway)
    timing = scenario.readmission.time_to_readmission
    window, gone = cdf_of(timing, READMISSION_WINDOW_DAYS), cdf_of(timing, entry.days)
    share_gone = gone / window if window > 0 else 1.0
    still = p * (1 - share_gone) / (1 - p * share_gone)
    if draws.readmit_u >= still:
        return math.inf
    u = gone + (draws.readmit_u / still) * (window - gone)  # reuse the uniform below `still`, rescaled
    return max(float(from_uniform(timing, np.array([u]))[0]) - entry.days, 0.0)


def census_draws(scenario: Scenario, streams, census: list[CensusEntry]) -> list[Draws]:
    """Each census person's draws, with what is under way cut to what is left of it."""
    bands = {band: index for index, band in enumerate(scenario.age_bands)}
    counts = Counter(entry.age_band for entry in census)
    pools = {
        band: to_draws(draw_spells(scenario, streams, bands[band], count, prefix="census:"))
        for band, count in counts.items()
    }
    left = {band: streams(f"census:time_left:{band}").uniform(size=count).tolist() for band, count in counts.items()}
    taken: Counter[str] = Counter()
    result = []
    for entry in census:
        n = taken[entry.age_band]
        taken[entry.age_band] += 1
        result.append(time_left(scenario, entry, pools[entry.age_band][n], left[entry.age_band][n]))
    return result


def time_left(scenario: Scenario, entry: CensusEntry, draws: Draws, u: float) -> Draws:
    """The draws of a person `entry.days` into their place: the rest of the duration under way."""
    services = scenario.services
    if entry.place == "acute_bed":
        pathway = PATHWAYS.index(entry.pathway) if entry.pathway else draws.pathway
        if entry.delayed_days > 0:  # optimised already: alive, and assessed for as long as they have waited
            return draws._replace(pathway=pathway, dies=False, stay=0.0,
                                  assessment=max(0.0, draws.assessment - entry.delayed_days))
        if draws.dies:  # the time before a death is not scaled by age band (as for new patients, draw_spells)
            return draws._replace(pathway=pathway, stay=_left(scenario.in_hospital_death.stay_before_death, u, entry.days))
        factor = scenario.clinical_stay.age_band_factor.get(entry.age_band, 1.0)
        stay = scenario.clinical_stay.by_pathway.of(PATHWAYS[pathway])
        return draws._replace(pathway=pathway, stay=factor * _left(stay, u, entry.days / factor))
    if entry.place == "reablement":
        return draws._replace(reablement_days=_left(services.reablement.duration, u, entry.days))
    if entry.place == "intermediate_care":
        return draws._replace(intermediate_care_days=_left(services.intermediate_care.duration, u, entry.days))
    return draws  # waiting for a bed (nothing under way), home care and care homes (constant rates)


def _left(dist, u: float, elapsed: float) -> float:
    return float(residual_from_uniform(dist, np.array([u]), elapsed)[0])


def census_of(records: Records, scenario: Scenario, at: float, seed: int = 0) -> list[CensusEntry]:
    """Who is where at time `at`, from a run's records: beds, the bed queue and every community service.

    Outside clients of home care and care homes (there from the start, with no
    age band) get the age bands of the cohort's own clients of that service,
    in proportion, chosen with `seed`.
    """
    entries: list[CensusEntry] = []
    band_of: dict[int, int] = dict(records.bands)
    for spell in records.spells:
        band_of[spell.patient] = spell.band
        if spell.arrival > at or spell.diverted or spell.left_bed <= at:
            continue
        band = scenario.age_bands[spell.band]
        if math.isnan(spell.admitted) or spell.admitted > at:
            entries.append(CensusEntry(place="waiting_for_bed", age_band=band, days=at - spell.arrival))
            continue
        delayed = at - spell.optimised if spell.optimised <= at else 0.0
        entries.append(CensusEntry(place="acute_bed", age_band=band, pathway=PATHWAYS[spell.pathway],
                                   days=at - spell.admitted, delayed_days=delayed))
    in_service = {stay.patient for stay in records.stays if stay.started <= at and not stay.released <= at}
    died = records.deaths
    for spell in records.spells:  # at home after a discharge in the last 30 days: not back, in a service or dead
        since = at - spell.left_bed
        if (0 <= since < READMISSION_WINDOW_DAYS and not spell.died and spell.patient not in in_service
                and not spell.next_arrival <= at and not died.get(spell.patient, math.inf) <= at):
            entries.append(CensusEntry(place="home", age_band=scenario.age_bands[spell.band],
                                       pathway=PATHWAYS[spell.pathway], days=since))
    outside: list[tuple[str, float]] = []
    for stay in records.stays:
        if not stay.started <= at or stay.released <= at:
            continue
        if stay.patient < 0:
            outside.append((stay.service, at - stay.started))
            continue
        entries.append(CensusEntry(place=stay.service, age_band=scenario.age_bands[band_of[stay.patient]],
                                   days=at - stay.started))
    # the cohort's own clients only: bands given to outside clients must not weigh on the next one's
    own = {service: [e.age_band for e in entries if e.place == service] or list(scenario.age_bands)
           for service, _ in outside}
    rng = np.random.default_rng(seed)
    for service, days in outside:
        entries.append(CensusEntry(place=service, age_band=str(rng.choice(own[service])), days=days))
    return entries
