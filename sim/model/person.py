"""A person of the cohort, across all their spells and services."""

from __future__ import annotations

import math

from sim.model.arrivals import Draws
from sim.model.records import StayRecord


class Person:
    """Who they are, the draws of their current spell, and the community places they hold."""

    __slots__ = ("id", "band", "draws", "readmit_at", "stay", "next_stay")

    def __init__(self, person_id: int, draws: Draws) -> None:
        self.id = person_id
        self.band = draws.band
        self.draws = draws  # of the current spell
        self.readmit_at = math.inf  # time of the pending 30-day readmission, if any
        self.stay: StayRecord | None = None  # the community place they are in
        self.next_stay: StayRecord | None = None  # the place reserved for them next
