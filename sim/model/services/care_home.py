"""Care homes: a placement is arranged, a place found, then a long-term stay ending in death or readmission."""

from __future__ import annotations

from sim.model.arrivals import CARE_HOME_ENDS
from sim.model.person import Person
from sim.model.services.base import Service


class CareHome(Service):
    def arranging_days(self, person: Person) -> float:
        """Arranging a placement takes time before a place can be asked for."""
        return person.draws.placement_wait

    def days(self, person: Person) -> float:
        return person.draws.care_home_days

    def outcome(self, person: Person) -> str:
        return CARE_HOME_ENDS[person.draws.care_home_end]
