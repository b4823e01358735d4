"""Reablement: short-term support at home, ending independent, needing home care, readmitted or dead."""

from __future__ import annotations

from sim.model.arrivals import REABLEMENT_OUTCOMES
from sim.model.person import Person
from sim.model.services.base import Service


class Reablement(Service):
    """Needing home care when no package is free, a person keeps the reablement place ("bridging")."""

    DESTINATION = {"independent": "home"}

    def days(self, person: Person) -> float:
        return person.draws.reablement_days

    def outcome(self, person: Person) -> str:
        return REABLEMENT_OUTCOMES[person.draws.reablement_outcome]
