"""Long-term home care packages, ending in death, a care home or readmission (competing yearly rates)."""

from __future__ import annotations

from sim.model.arrivals import HOME_CARE_ENDS
from sim.model.person import Person
from sim.model.services.base import Service


class HomeCare(Service):
    """A person moving to a care home keeps the package until a care home place is found."""

    def days(self, person: Person) -> float:
        return person.draws.home_care_days

    def outcome(self, person: Person) -> str:
        return HOME_CARE_ENDS[person.draws.home_care_end]
