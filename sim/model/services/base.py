"""What every community service does: places, waiting for one, holding one, moving on."""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from sim.model.person import Person
from sim.model.pool import Pool
from sim.model.records import DIED, NOT_YET, Records, StayRecord

Process = Generator[simpy.Event, None, object]


class Service:
    """A pool of places people hold while the service cares for them.

    A service says how long it cares for a person (`days`) and how that ends
    (`outcome`: "home", "died", "readmitted", or another service's name); `care`
    does the rest. An outcome may be recorded under its own name and send the
    person somewhere else (`DESTINATION`, e.g. reablement's "independent" goes
    "home").
    """

    DESTINATION: dict[str, str] = {}

    def __init__(self, env: simpy.Environment, name: str, capacity: float, records: Records) -> None:
        self.env = env
        self.name = name
        self.places = Pool(env, capacity)
        self.records = records
        self.in_service = 0  # people in the service now (not those who only reserved a place)
        self.services: dict[str, Service] = {}  # every service, for onward moves

    def days(self, person: Person) -> float:
        """How long the service cares for the person (days; inf: until something else happens)."""
        raise NotImplementedError

    def outcome(self, person: Person) -> str:
        """How the person's time in the service ends, when it runs its course."""
        raise NotImplementedError

    def care(self, person: Person, now: float) -> Process:
        """Take the reserved place at `now`, care for the person, and return where they go next.

        A readmission cuts the care short. A person moving on to another
        service keeps this place until that one has a place for them (bridging).
        """
        self.admit(person, now)
        done, as_planned = self.time_until(now, self.days(person), person.readmit_at)
        yield done
        if not as_planned:
            self.leave(person, "readmitted")
            return "readmitted"
        outcome = self.outcome(person)
        if outcome in self.services:
            return (yield from self.move_on(person, outcome))
        self.leave(person, outcome)
        return self.DESTINATION.get(outcome, outcome)

    # --- places ------------------------------------------------------------------

    def arranging_days(self, person: Person) -> float:
        """Time to arrange the service before a place can be asked for (none, unless a service says so)."""
        return 0.0

    def reserve(self, person: Person, now: float) -> simpy.Event | None:
        """Ask for a place for the person at `now`: None if reserved at once, else an event that fires when it is."""
        env = self.env
        stay = StayRecord(self.name, person.id, now)
        self.records.stays.append(stay)
        person.next_stay = stay
        handover = self.places.request()
        if handover is None:
            stay.reserved = now
        else:
            handover.callbacks.append(lambda _: setattr(stay, "reserved", env.now))
        return handover

    def wait_for_place(self, person: Person, until: float) -> Process:
        """Arrange, reserve a place and wait for it, but give up at `until` (a readmission). True if reserved."""
        env = self.env
        arranging = self.arranging_days(person)
        if arranging > 0:
            arranged, in_time = self.time_until(env.now, arranging, until)
            yield arranged
            if not in_time:
                return False
        handover = self.reserve(person, env.now)
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
        person.next_stay.released = env.now  # never reserved: the request is withdrawn
        return False

    def admit(self, person: Person, now: float) -> None:
        """The person arrives at `now` and takes the place reserved for them."""
        person.stay, person.next_stay = person.next_stay, None
        person.stay.started = now
        self.in_service += 1

    def leave(self, person: Person, outcome: str) -> None:
        """The person goes; the place is free for the next in the queue."""
        stay = person.stay
        stay.released = now = self.env.now  # a property: read once
        if stay.care_end is NOT_YET:  # no bridging: care ended as the place was given back
            stay.care_end = now
        stay.outcome = outcome
        if outcome == DIED:
            self.records.deaths[person.id] = now
        self.in_service -= 1
        self.places.release()

    # --- time --------------------------------------------------------------------

    def time_until(self, now: float, days: float, until: float) -> tuple[simpy.Event, bool]:
        """An event `days` after `now`, or at `until` (a readmission) if that comes first; and True if `days` ends first."""
        env = self.env
        end = now + days
        if end == math.inf and until == math.inf:
            return env.event(), True  # nothing will ever happen: wait past the horizon
        if until < end:
            return env.timeout(until - now), False
        return env.timeout(days), True

    def move_on(self, person: Person, to: str) -> Process:
        """Care is over; keep this place until one is free in service `to`. Returns `to` or "readmitted"."""
        person.stay.care_end = self.env.now
        got = yield from self.services[to].wait_for_place(person, person.readmit_at)
        destination = to if got else "readmitted"
        self.leave(person, destination)
        return destination
