"""The simulation model: SimPy processes that read like the patient's journey. No I/O here."""

from sim.model.arrivals import Arrivals, draw_arrivals
from sim.model.hospital import simulate
from sim.model.records import CENSUS_COLUMNS, Records, SpellRecord, StayRecord

__all__ = ["Arrivals", "CENSUS_COLUMNS", "Records", "SpellRecord", "StayRecord", "draw_arrivals", "simulate"]
