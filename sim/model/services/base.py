"""What every community service does: places, waiting for one, holding one, moving on."""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from sim.model.person import Person
from sim.model.pool import Pool
from sim.model.records import Records, StayRecord

Process = Generator[simpy.Event, None, object]


class Service:
    """A pool of places people hold while the service cares for them.

    Subclasses write `care(person)`: entered with a place already reserved for
    the person (`person.next_stay`), it returns where they go next: "home",
    "died", "readmitted", or another service's name, whose place it has then
    reserved (the person keeps this place until then: bridging).
    """

    def __init__(self, env: simpy.Environment, name: str, capacity: float, records: Records) -> None:
        self.env = env
        self.name = name
        self.places = Pool(env, capacity)
        self.records = records
        self.in_service = 0  # people in the service now (not those who only reserved a place)
        self.services: dict[str, Service] = {}  # every service, for onward moves

    def care(self, person: Person) -> Process:
        raise NotImplementedError

    # --- places ------------------------------------------------------------------

    def arranging_days(self, person: Person) -> float:
        """Time to arrange the service before a place can be asked for (none, unless a service says so)."""
        return 0.0

    def reserve(self, person: Person) -> simpy.Event | None:
        """Ask for a place for the person: None if reserved now, else an event that fires when it is."""
        env = self.env
        stay = StayRecord(self.name, person.id, env.now)
        self.records.stays.append(stay)
        person.next_stay = stay
        handover = self.places.request()
        if handover is None:
            stay.reserved = env.now
        else:
            handover.callbacks.append(lambda _: setattr(stay, "reserved", env.now))
        return handover

    def wait_for_place(self, person: Person, until: float) -> Process:
        """Arrange, reserve a place and wait for it, but give up at `until` (a readmission). True if reserved."""
        env = self.env
        arranging = self.arranging_days(person)
        if arranging > 0 and not (yield from self.hold(arranging, until)):
            return False
        handover = self.reserve(person)
        if handover is None:
            return True
        if until == math.inf:
            yield handover
            return True
        yield env.any_of([handover, env.timeout(until - env.now)])
        if handover.triggered:
            return True
        self.places.cancel(handover)
        person.next_stay.outcome = "readmitted"
        return False

    def admit(self, person: Person) -> None:
        """The person arrives and takes the place reserved for them."""
        person.stay, person.next_stay = person.next_stay, None
        person.stay.started = self.env.now
        self.in_service += 1
        person.move(self.env.now, self.name)

    def leave(self, person: Person, outcome: str) -> None:
        """The person goes; the place is free for the next in the queue."""
        stay = person.stay
        stay.released = self.env.now
        if math.isnan(stay.care_end):
            stay.care_end = self.env.now
        stay.outcome = outcome
        self.in_service -= 1
        self.places.release()

    # --- time --------------------------------------------------------------------

    def hold(self, days: float, until: float) -> Process:
        """Wait `days`, unless `until` comes first. True if the full time passed."""
        env = self.env
        end = env.now + days
        if min(end, until) == math.inf:
            yield env.event()  # nothing will ever happen: wait past the horizon
        if until < end:
            yield env.timeout(until - env.now)
            return False
        yield env.timeout(days)
        return True

    def move_on(self, person: Person, to: str) -> Process:
        """Care is over; keep this place until one is free in service `to`. Returns `to` or "readmitted"."""
        person.stay.care_end = self.env.now
        got = yield from self.services[to].wait_for_place(person, person.readmit_at)
        destination = to if got else "readmitted"
        self.leave(person, destination)
        return destination
