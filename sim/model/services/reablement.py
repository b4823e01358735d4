"""Reablement: short-term support at home, ending independent, needing home care, readmitted or dead."""

from __future__ import annotations

from sim.model.arrivals import REABLEMENT_OUTCOMES
from sim.model.person import Person
from sim.model.services.base import Process, Service

NEXT = {"independent": "home", "readmitted": "readmitted", "died": "died"}


class Reablement(Service):
    def care(self, person: Person) -> Process:
        self.admit(person)
        finished = yield from self.hold(person.draws.reablement_days, person.readmit_at)
        if not finished:
            self.leave(person, "readmitted")
            return "readmitted"
        outcome = REABLEMENT_OUTCOMES[person.draws.reablement_outcome]
        if outcome == "home_care":
            # no package free: the person keeps the reablement place ("bridging")
            return (yield from self.move_on(person, "home_care"))
        self.leave(person, outcome)
        return NEXT[outcome]
