"""A person of the cohort, across all their spells and services."""

from __future__ import annotations

import math

from sim.model.arrivals import Draws
from sim.model.records import StayRecord


class Person:
    """Who they are, the draws of their current spell, and where they have been."""

    __slots__ = ("id", "band", "draws", "readmit_at", "stay", "next_stay", "history")

    def __init__(self, person_id: int, draws: Draws) -> None:
        self.id = person_id
        self.band = draws.band
        self.draws = draws  # of the current spell
        self.readmit_at = math.inf  # time of the pending 30-day readmission, if any
        self.stay: StayRecord | None = None  # the community place they are in
        self.next_stay: StayRecord | None = None  # the place reserved for them next
        self.history: list[tuple[float, str]] | None = None  # (time, place) of moves, once followed

    def follow(self, history: list[tuple[float, str]]) -> None:
        """From now on, write down every move (the 91-day indicator follows people after reablement)."""
        if self.history is None:
            self.history = history

    def move(self, time: float, place: str) -> None:
        if self.history is not None:
            self.history.append((time, place))
