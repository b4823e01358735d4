"""The simplest community service: a fixed number of places, each held for a duration."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.model.pool import Pool
from sim.model.records import SpellRecord


class PlaceService:
    """Places held for a drawn duration; at the end the person goes to `destination`."""

    def __init__(self, env: simpy.Environment, name: str, places: int, destination: str) -> None:
        self.env = env
        self.name = name
        self.places = Pool(env, places)
        self.destination = destination
        self.in_service = 0  # people discharged into the service and still in it

    def reserve(self) -> simpy.Event | None:
        return self.places.request()

    def care(self, spell: SpellRecord, days: float) -> Generator[simpy.Event, None, str]:
        self.in_service += 1
        yield self.env.timeout(days)
        spell.service_end = self.env.now
        self.in_service -= 1
        self.places.release()
        return self.destination
