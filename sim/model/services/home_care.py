"""Long-term home care packages, ending in death, a care home or readmission (competing yearly rates)."""

from __future__ import annotations

from sim.model.arrivals import HOME_CARE_ENDS
from sim.model.person import Person
from sim.model.services.base import Process, Service


class HomeCare(Service):
    def care(self, person: Person) -> Process:
        self.admit(person)
        ended = yield from self.hold(person.draws.home_care_days, person.readmit_at)
        if not ended:
            self.leave(person, "readmitted")
            return "readmitted"
        end = HOME_CARE_ENDS[person.draws.home_care_end]
        if end == "care_home":
            # the package stays in place until a care home place is found
            return (yield from self.move_on(person, "care_home"))
        self.leave(person, end)
        return end
