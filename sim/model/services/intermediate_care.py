"""Intermediate care beds (pathway 2): rehabilitation, then home, home care, a care home, hospital or death."""

from __future__ import annotations

from sim.model.arrivals import INTERMEDIATE_CARE_OUTCOMES
from sim.model.person import Person
from sim.model.services.base import Service


class IntermediateCare(Service):
    """The bed is kept until the next service (home care, a care home) has a place."""

    def days(self, person: Person) -> float:
        return person.draws.intermediate_care_days

    def outcome(self, person: Person) -> str:
        return INTERMEDIATE_CARE_OUTCOMES[person.draws.intermediate_care_outcome]
