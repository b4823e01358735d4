"""The story of a person: front door, acute bed, discharge, community services, and back again.

Processes are plain SimPy generator functions whose lines follow the patient.
Everything random was drawn up front (sim.model.arrivals); this module only
decides *when* things happen, given beds, places and discharge hours.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from sim.calendar import DischargeWindow, beds_at, month_boundaries
from sim.errors import ConservationError
from sim.model.arrivals import Arrivals, Draws, ReadmissionDraws
from sim.model.census_start import start_from_census
from sim.model.person import Person
from sim.model.pool import Pool
from sim.model.records import (
    DIED,
    EXITS,
    NOT_YET,
    Records,
    SpellRecord,
    StayRecord,
)
from sim.model.services import Service, make_services
from sim.scenario.schema import PATHWAYS, SERVICE_OF_PATHWAY, SERVICES, Scenario
from sim.streams import Streams

class Hospital:
    """The acute bed pool, the community services and the counts that prove nobody is lost."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, records: Records, streams: Streams) -> None:
        self.env = env
        self.scenario = scenario
        self.records = records
        self.streams = streams
        self.beds = Pool(env, beds_at(scenario.acute, env.now))
        self.divert_when_full = scenario.acute.when_full == "divert"
        self.window = DischargeWindow(scenario.discharge)
        self.services = make_services(env, scenario, records)
        # the service each pathway discharges into (None for pathway 0); pathway 1 may switch when full
        self.service_of_pathway = [None] + [self.services[SERVICE_OF_PATHWAY[p]] for p in PATHWAYS[1:]]
        self.reablement_full_to_home_care = scenario.services.reablement.when_full == "home_care"
        self.home_care_full_to_reablement = scenario.services.home_care.when_full == "reablement"
        self.readmission_draws = ReadmissionDraws(scenario, streams)
        self.readmission_within_30 = scenario.readmission.within_30_days.as_list()
        self.delay_effect = scenario.readmission.delay_effect_per_day
        self.horizon = scenario.run.horizon_days
        self.arrived = 0  # spells, first and readmissions
        self.delayed_in_bed = 0  # medically optimised, still in an acute bed
        self.at_home = 0  # at home, waiting for a readmission that will come in this run
        # how spells ended; a plain dict: `+=` on a Counter (a dict subclass) costs several times more
        self.exited: dict[str, int] = dict.fromkeys(EXITS, 0)

    # --- processes ---------------------------------------------------------------

    def admissions(self, arrivals: Arrivals) -> Generator[simpy.Event, None, None]:
        """First admission requests arrive at their drawn times; each starts a person's journey."""
        env = self.env
        now = env.now
        for person_id, (when, draws) in enumerate(arrivals.each()):
            if when > now:
                yield env.timeout(when - now)
                now += when - now  # the time SimPy moves to, to the last bit (`when` itself may differ by rounding)
            env.process(self.journey(Person(person_id, draws), now))

    # Time on the paths run for every spell. `env.now` is a property, a Python
    # call each time it is read, so these processes keep the time in `now`:
    # after a timeout of `delay` it is `now + delay` (SimPy computes the time
    # it moves to exactly so), after waiting for anything else it is read again.

    def journey(
        self,
        person: Person,
        now: float,
        spell: SpellRecord | None = None,
        service: Service | None = None,
        at_home: bool = False,
    ) -> Generator[simpy.Event, None, None]:
        """Spells in hospital and what follows them, until the person leaves the model; starts at `now`.

        A census warm start (sim.model.census_start) begins some journeys part
        way: with a spell already under way, in a community service, or at
        home after a recent discharge (`at_home`).
        """
        env = self.env
        readmission = False
        while True:
            if service is None and not at_home:
                if spell is None:
                    spell = SpellRecord(person.id, person.band, person.draws.pathway, readmission, now)
                    self.records.spells.append(spell)
                self.arrived += 1
                service = yield from self.hospital_stay(person, spell, now)
                if spell.diverted or spell.died:
                    return
                now = spell.left_bed  # discharged alive
            where = "home"
            while service is not None:  # through community services, one after another
                where = yield from service.care(person, now)
                now = env.now
                service = self.services.get(where)
            if where == "home":
                where = self.home(person, now)
                if where == "readmitted":
                    self.at_home += 1  # at home, a readmission to come
                    yield env.timeout(person.readmit_at - now)
                    now = env.now
                    self.at_home -= 1
            if where != "readmitted":
                self.exited["died_after_discharge" if where == DIED else "home"] += 1  # home: no more events
                return
            self.exited["readmitted"] += 1
            if spell is not None:  # None: in a service when the census was taken
                spell.next_arrival = now
            spell, at_home = None, False
            person.draws = self.readmission_draws.next(person.band)
            person.readmit_at = math.inf
            readmission = True

    def hospital_stay(
        self, person: Person, spell: SpellRecord, now: float
    ) -> Generator[simpy.Event, None, Service | None]:
        """Front door (at `now`) to discharge or death. Returns the service the person is discharged into.

        A census patient already in a bed (spell.admitted set) skips the front
        door; one already medically optimised (spell.optimised set) skips the
        clinical stay too. (Unset times are the NOT_YET object itself, so an
        identity test tells them apart.)
        """
        env, draws = self.env, person.draws
        if spell.admitted is NOT_YET:
            if self.divert_when_full and not self.beds.is_free():
                spell.diverted = True  # a loss system: no bed, sent elsewhere
                self.exited["diverted"] += 1
                return None
            bed = self.beds.request()
            if bed is not None:
                yield bed  # boarding: waiting for a bed
                now = env.now
            spell.admitted = now

        if spell.optimised is NOT_YET:
            yield env.timeout(draws.stay)
            now += draws.stay
            if draws.dies:
                spell.left_bed, spell.died = now, True
                self.beds.release()
                self.records.deaths[person.id] = now
                self.exited["died_in_hospital"] += 1
                return None
            spell.optimised = now
        self.delayed_in_bed += 1
        if draws.assessment > 0:
            yield env.timeout(draws.assessment)
            now += draws.assessment
        spell.ready = now

        service = self.first_service(draws)
        if service is not None:  # still in the bed, until the service can take them
            spell.service = service.name
            arranging = service.arranging_days(person)
            if arranging > 0:
                yield env.timeout(arranging)
                now += arranging
            place = service.reserve(person, now)
            if place is not None:
                yield place
                now = env.now
        spell.placed = now

        leave = self.window.next_open(now)
        if leave > now:
            yield env.timeout(leave - now)
            now = env.now
        spell.left_bed = now  # discharged alive
        self.beds.release()
        self.delayed_in_bed -= 1
        # a 30-day emergency readmission to come (inf: none); each day of delay raises the risk
        risk = self.readmission_within_30[draws.pathway] * (1 + self.delay_effect * (now - spell.optimised))
        person.readmit_at = now + draws.readmit_days if draws.readmit_u < risk else math.inf
        return service

    def home(self, person: Person, now: float) -> str:
        """Home without a package at `now`: "readmitted" if a readmission comes in this run, else "home".

        A death at home needs no event (it frees no place): it is recorded
        ahead, if it comes in this run.
        """
        death_at = now + person.draws.home_death_days
        if person.readmit_at < death_at and person.readmit_at < self.horizon:
            return "readmitted"
        if death_at < self.horizon:
            self.records.deaths[person.id] = death_at
        return "home"

    def bed_schedule(self) -> Generator[simpy.Event, None, None]:
        """Open and close escalation beds at month boundaries."""
        for boundary in month_boundaries(self.env.now, self.horizon):
            yield self.env.timeout(boundary - self.env.now)
            self.beds.set_capacity(beds_at(self.scenario.acute, boundary))

    def clients_at_start(self, service: Service, count: int, yearly_rate: float) -> Generator[simpy.Event, None, None]:
        """Places taken by people outside the cohort when the run starts; each ends at the yearly rate."""
        env = self.env
        gaps = self.streams(f"clients_at_start:{service.name}").exponential(size=count)
        ends = sorted(env.now + 365.0 * gaps / yearly_rate) if yearly_rate > 0 else []
        stays = []
        for _ in range(count):
            stay = StayRecord(service.name, -1, env.now, background=True)
            stay.reserved = stay.started = env.now
            service.places.request()
            self.records.stays.append(stay)
            stays.append(stay)
        for stay, end in zip(stays, ends, strict=False):
            if end >= self.horizon:
                return
            yield env.timeout(end - env.now)
            stay.released = stay.care_end = env.now
            service.places.release()

    def midnight_census(self) -> Generator[simpy.Event, None, None]:
        """Count everyone each midnight; keep horizon days; check conservation every day."""
        env = self.env
        first_midnight = math.ceil(env.now)
        if first_midnight > env.now:
            yield env.timeout(first_midnight - env.now)
        while True:
            row = self.census_row()
            self.check_conservation(row)
            if env.now >= 0:
                self.records.census.append(row)
            yield env.timeout(1)

    # --- decisions and bookkeeping -------------------------------------------------

    def first_service(self, draws: Draws) -> Service | None:
        """The community service a discharge goes to; pathway 1 may switch when its service is full."""
        if draws.pathway != 1:
            return self.service_of_pathway[draws.pathway]
        reablement, home_care = self.services["reablement"], self.services["home_care"]
        if draws.to_home_care:
            switch = self.home_care_full_to_reablement and not home_care.places.is_free()
            return reablement if switch and reablement.places.is_free() else home_care
        switch = self.reablement_full_to_home_care and not reablement.places.is_free()
        return home_care if switch and home_care.places.is_free() else reablement

    def census_row(self) -> tuple:
        row: list[float] = [
            self.env.now,
            self.beds.capacity,
            self.beds.in_use,
            len(self.beds.queue),
            self.delayed_in_bed,
        ]
        for name in SERVICES:
            service = self.services[name]
            row += [service.places.in_use, len(service.places.queue), service.in_service]
        row += [
            self.at_home,
            self.arrived,
            self.exited["home"],
            self.exited["died_in_hospital"],
            self.exited["died_after_discharge"],
            self.exited["diverted"],
            self.exited["readmitted"],
        ]
        return tuple(row)

    def finish(self) -> Records:
        """The run is over: check that nobody was lost, and hand the records over.

        SimPy's environment and the processes still waiting refer to each other
        in cycles, which only the garbage collector frees, and it would have to
        scan every record on the way. Letting go of the records here means most
        are freed as soon as the caller is done with them (those of people
        still under way at the end go with SimPy's leftovers).
        """
        self.check_conservation()
        records, self.records = self.records, None
        for service in self.services.values():
            service.records = None
        return records

    def check_conservation(self, row: tuple | None = None) -> None:
        """spells arrived = waiting for a bed + in a bed + in each service + at home + ended, or the model is wrong."""
        present = (
            len(self.beds.queue)
            + self.beds.in_use
            + sum(s.in_service for s in self.services.values())
            + self.at_home
        )
        ended = sum(self.exited.values())
        if self.arrived != present + ended:
            raise ConservationError(
                f"day {self.env.now:g}: {self.arrived} spells arrived but {present} present + {ended} ended "
                f"(census {row}); a patient was lost or invented"
            )


def simulate(scenario: Scenario, arrivals: Arrivals, streams: Streams) -> Records:
    """Run one replication's warm-up and horizon; return its records."""
    records = Records(horizon_days=scenario.run.horizon_days, warmup_days=scenario.run.warmup_days)
    env = simpy.Environment(initial_time=-scenario.run.warmup_days)
    hospital = Hospital(env, scenario, records, streams)
    if scenario.census is not None:
        start_from_census(hospital, scenario.census, first_person_id=len(arrivals))
    else:
        services = scenario.services
        for name, count in (("home_care", services.home_care.clients_at_start),
                            ("care_home", services.care_home.residents_at_start)):
            yearly_rate = sum(getattr(services, name).end_rates_per_year.model_dump().values())
            env.process(hospital.clients_at_start(hospital.services[name], count, yearly_rate))
    env.process(hospital.admissions(arrivals))
    env.process(hospital.bed_schedule())
    env.process(hospital.midnight_census())
    env.run(until=scenario.run.horizon_days)
    return hospital.finish()

