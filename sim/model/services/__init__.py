"""Community services that patients are discharged into.

Every service offers the same small interface to the hospital:

- `reserve()`: ask for a place; None if one is free now, else an event that
  fires when a place is handed over (FIFO);
- `care(spell, days)`: a generator the patient's process runs with
  `yield from`; it holds the place for the person's time in the service, gives
  it back, and returns where the person goes next (a destination name).

A new service is a new module here and a new YAML section; the hospital does
not change.
"""

from sim.model.services.place_service import PlaceService

__all__ = ["PlaceService"]
