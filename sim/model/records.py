"""What the model remembers: one lean record per spell and a midnight census.

Records hold times only; every indicator is computed from them afterwards
(sim.indicators), so the model does no statistics and no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

NOT_YET = math.nan


class SpellRecord:
    """One hospital spell and what followed it. Times in days; NaN = did not happen."""

    __slots__ = (
        "patient", "band", "pathway", "arrival", "admitted", "optimised",
        "ready", "placed", "left_bed", "service_end", "died", "diverted",
    )

    def __init__(self, patient: int, band: int, pathway: int, arrival: float) -> None:
        self.patient = patient
        self.band = band
        self.pathway = pathway  # pathway chosen at the end of the clinical stay
        self.arrival = arrival  # admission requested (arrives at the front door)
        self.admitted = NOT_YET  # took an acute bed
        self.optimised = NOT_YET  # medically optimised for discharge
        self.ready = NOT_YET  # assessment done, a community place is sought
        self.placed = NOT_YET  # a community place is reserved
        self.left_bed = NOT_YET  # left the acute bed: discharged alive, or died
        self.service_end = NOT_YET  # left the community service
        self.died = False  # died in hospital (at `left_bed`)
        self.diverted = False  # no bed, sent elsewhere (loss system)


# Columns of the midnight census, in order. `exited_*` and `arrived` are cumulative.
CENSUS_COLUMNS = (
    "day", "beds_available", "beds_occupied", "bed_queue", "delayed_patients",
    "reablement_in_use", "reablement_queue", "reablement_in_service",
    "intermediate_care_in_use", "intermediate_care_queue", "intermediate_care_in_service",
    "care_home_in_use", "care_home_queue", "care_home_in_service",
    "arrived", "exited_home", "exited_care_home", "died_in_hospital", "diverted",
)


@dataclass
class Records:
    """Everything one replication hands to the indicators."""

    horizon_days: float
    warmup_days: float
    spells: list[SpellRecord] = field(default_factory=list)
    census: list[tuple] = field(default_factory=list)
