"""Community services that patients are discharged into, one module each.

Every service offers the same small interface (sim.model.services.base.Service):

- `wait_for_place(person, until)`: ask for a place and wait for it (FIFO),
  giving up at `until` (a readmission);
- `care(person, now)`: a generator the person's process runs with `yield from`;
  it holds the place for the person's time in the service, gives it back,
  and returns where the person goes next ("home", "died", "readmitted", or
  another service, whose place it has reserved first).

A new service is a new module here, a new YAML section and an entry in
`make_services`; the hospital does not change.
"""

from __future__ import annotations

import math

import simpy

from sim.model.records import Records
from sim.model.services.base import Service
from sim.model.services.care_home import CareHome
from sim.model.services.home_care import HomeCare
from sim.model.services.intermediate_care import IntermediateCare
from sim.model.services.reablement import Reablement
from sim.scenario.schema import Scenario


def make_services(env: simpy.Environment, scenario: Scenario, records: Records) -> dict[str, Service]:
    """Every community service of the scenario, connected to each other for onward moves."""
    settings = scenario.services
    services: dict[str, Service] = {
        "reablement": Reablement(env, "reablement", settings.reablement.place_count(), records),
        "home_care": HomeCare(env, "home_care", settings.home_care.packages, records),
        "intermediate_care": IntermediateCare(env, "intermediate_care", settings.intermediate_care.places, records),
        "care_home": CareHome(env, "care_home", settings.care_home.places or math.inf, records),
    }
    for service in services.values():
        service.services = services
    return services


__all__ = ["Service", "make_services"]
