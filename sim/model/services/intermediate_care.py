"""Intermediate care beds (pathway 2): rehabilitation, then home, home care, a care home, hospital or death."""

from __future__ import annotations

from sim.model.arrivals import INTERMEDIATE_CARE_OUTCOMES
from sim.model.person import Person
from sim.model.services.base import Process, Service


class IntermediateCare(Service):
    def care(self, person: Person) -> Process:
        self.admit(person)
        finished = yield from self.hold(person.draws.intermediate_care_days, person.readmit_at)
        if not finished:
            self.leave(person, "readmitted")
            return "readmitted"
        outcome = INTERMEDIATE_CARE_OUTCOMES[person.draws.intermediate_care_outcome]
        if outcome in ("home_care", "care_home"):
            # the bed is kept until the next service has a place
            return (yield from self.move_on(person, outcome))
        self.leave(person, outcome)
        return outcome
