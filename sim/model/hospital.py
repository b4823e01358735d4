"""The story of a spell: front door, acute bed, clinical stay, discharge delay, community service.

Processes are plain SimPy generator functions whose lines follow the patient.
Everything random was drawn up front (sim.model.arrivals); this module only
decides *when* things happen, given beds, places and discharge hours.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Generator

import simpy

from sim.calendar import DischargeWindow, beds_at, month_boundaries
from sim.errors import ConservationError
from sim.model.arrivals import Arrivals
from sim.model.pool import Pool
from sim.model.records import Records, SpellRecord
from sim.model.services import PlaceService
from sim.scenario.schema import SERVICE_OF_PATHWAY, Scenario

SERVICE_DESTINATION = {"reablement": "home", "intermediate_care": "home", "care_home": "care_home"}


class Hospital:
    """The acute bed pool, the community services and the counts that prove nobody is lost."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, records: Records) -> None:
        self.env = env
        self.scenario = scenario
        self.records = records
        self.beds = Pool(env, beds_at(scenario.acute, env.now))
        self.divert_when_full = scenario.acute.when_full == "divert"
        self.window = DischargeWindow(scenario.discharge)
        self.services = {
            name: PlaceService(env, name, getattr(scenario.services, name).places, SERVICE_DESTINATION[name])
            for name in SERVICE_OF_PATHWAY.values()
        }
        # service of each pathway index, None for pathway 0
        self.service_of_pathway = [None] + [self.services[SERVICE_OF_PATHWAY[p]] for p in ("p1", "p2", "p3")]
        self.arrived = 0
        self.delayed_in_bed = 0  # medically optimised, still in an acute bed
        self.exited: Counter[str] = Counter()

    # --- processes ---------------------------------------------------------------

    def admissions(self, arrivals: Arrivals) -> Generator[simpy.Event, None, None]:
        """Admission requests arrive at their drawn times; each starts a spell."""
        env = self.env
        patients = zip(  # noqa: B905 - equal lengths by construction
            *(getattr(arrivals, f).tolist() for f in ("time", "band", "pathway", "dies", "stay", "assessment", "service_days"))
        )
        for i, (when, band, pathway, dies, stay, assessment, service_days) in enumerate(patients):
            if when > env.now:
                yield env.timeout(when - env.now)
            spell = SpellRecord(i, band, pathway, env.now)
            self.records.spells.append(spell)
            self.arrived += 1
            env.process(self.spell(spell, dies, stay, assessment, service_days))

    def spell(
        self, spell: SpellRecord, dies: bool, stay: float, assessment: float, service_days: float
    ) -> Generator[simpy.Event, None, None]:
        """One patient from the front door to wherever they end up."""
        env = self.env
        if self.divert_when_full and not self.beds.is_free():
            spell.diverted = True  # a loss system: no bed, sent elsewhere
            self.exited["diverted"] += 1
            return
        bed = self.beds.request()
        if bed is not None:
            yield bed  # boarding: waiting for a bed
        spell.admitted = env.now

        yield env.timeout(stay)
        if dies:
            self._leave_bed(spell, died=True)
            self.exited["died_in_hospital"] += 1
            return

        spell.optimised = env.now
        self.delayed_in_bed += 1
        if assessment > 0:
            yield env.timeout(assessment)
        spell.ready = env.now

        service = self.service_of_pathway[spell.pathway]
        if service is not None:
            place = service.reserve()
            if place is not None:
                yield place  # waiting for a community place, still in the bed
        spell.placed = env.now

        leave = self.window.next_open(env.now)
        if leave > env.now:
            yield env.timeout(leave - env.now)
        self._leave_bed(spell, died=False)
        self.delayed_in_bed -= 1

        destination = "home" if service is None else (yield from service.care(spell, service_days))
        self.exited[destination] += 1

    def bed_schedule(self) -> Generator[simpy.Event, None, None]:
        """Open and close escalation beds at month boundaries."""
        for boundary in month_boundaries(self.env.now, self.scenario.run.horizon_days):
            yield self.env.timeout(boundary - self.env.now)
            self.beds.set_capacity(beds_at(self.scenario.acute, boundary))

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

    # --- helpers -----------------------------------------------------------------

    def _leave_bed(self, spell: SpellRecord, died: bool) -> None:
        spell.left_bed = self.env.now
        spell.died = died
        self.beds.release()

    def census_row(self) -> tuple:
        row: list[float] = [
            self.env.now,
            self.beds.capacity,
            self.beds.in_use,
            len(self.beds.queue),
            self.delayed_in_bed,
        ]
        for service in self.services.values():
            row += [service.places.in_use, len(service.places.queue), service.in_service]
        row += [
            self.arrived,
            self.exited["home"],
            self.exited["care_home"],
            self.exited["died_in_hospital"],
            self.exited["diverted"],
        ]
        return tuple(row)

    def check_conservation(self, row: tuple | None = None) -> None:
        """arrived = waiting for a bed + in a bed + in each service + exited, or the model is wrong."""
        present = len(self.beds.queue) + self.beds.in_use + sum(s.in_service for s in self.services.values())
        gone = sum(self.exited.values())
        if self.arrived != present + gone:
            raise ConservationError(
                f"day {self.env.now:g}: {self.arrived} arrived but {present} present + {gone} exited "
                f"(census {row}); a patient was lost or invented"
            )


def simulate(scenario: Scenario, arrivals: Arrivals) -> Records:
    """Run one replication's warm-up and horizon; return its records."""
    records = Records(horizon_days=scenario.run.horizon_days, warmup_days=scenario.run.warmup_days)
    env = simpy.Environment(initial_time=-scenario.run.warmup_days)
    hospital = Hospital(env, scenario, records)
    env.process(hospital.admissions(arrivals))
    env.process(hospital.bed_schedule())
    env.process(hospital.midnight_census())
    env.run(until=scenario.run.horizon_days)
    hospital.check_conservation()
    return records
