"""What the model remembers: lean records per spell and per service stay, and deaths.

Records hold times and outcomes only; every indicator is computed from them
afterwards (sim.indicators), so the model does no statistics and no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.scenario.schema import SERVICES

# A time that has not come (yet). Unset record times are always this one object (never another NaN),
# so `x is NOT_YET` tells them apart on the model's hot path.
NOT_YET = math.nan

DIED = "died"  # how a service stay can end, and where a person can go


class SpellRecord:
    """One hospital spell. Times in days; NaN = did not happen (yet)."""

    __slots__ = (
        "patient", "band", "pathway", "readmission", "arrival", "admitted", "optimised",
        "ready", "placed", "left_bed", "died", "diverted", "service", "next_arrival",
    )

    def __init__(self, patient: int, band: int, pathway: int, readmission: bool, arrival: float) -> None:
        self.patient = patient
        self.band = band
        self.pathway = pathway  # pathway chosen at the end of the clinical stay
        self.readmission = readmission  # this spell is an emergency readmission
        self.arrival = arrival  # admission requested (arrives at the front door)
        self.admitted = NOT_YET  # took an acute bed
        self.optimised = NOT_YET  # medically optimised for discharge
        self.ready = NOT_YET  # assessment done, a community place is sought
        self.placed = NOT_YET  # a community place is reserved (or none is needed)
        self.left_bed = NOT_YET  # left the acute bed: discharged alive, or died
        self.died = False  # died in hospital (at `left_bed`)
        self.diverted = False  # no bed, sent elsewhere (loss system)
        self.service = ""  # the community service discharged into ("" for none)
        self.next_arrival = NOT_YET  # arrival of the readmission that followed this spell


class StayRecord:
    """One person's (or, if `background`, an outside client's) use of a community place."""

    __slots__ = ("service", "patient", "requested", "reserved", "started", "care_end", "released", "outcome", "background")

    def __init__(self, service: str, patient: int, requested: float, background: bool = False) -> None:
        self.service = service
        self.patient = patient
        self.requested = requested  # a place was asked for
        self.reserved = NOT_YET  # a place was handed over (held from here)
        self.started = NOT_YET  # the person arrived in the service
        self.care_end = NOT_YET  # the service's own care finished (bridging may follow)
        self.released = NOT_YET  # the place was given back (or, never reserved, the request withdrawn)
        self.outcome = ""  # where the person went next
        self.background = background  # a client from outside the cohort, there at the start


def census_columns() -> tuple[str, ...]:
    """Columns of the midnight census, in order. `arrived` and exits are cumulative counts of spells."""
    per_service = tuple(f"{s}_{c}" for s in SERVICES for c in ("in_use", "queue", "in_service"))
    return (
        ("day", "beds_available", "beds_occupied", "bed_queue", "delayed_patients")
        + per_service
        + ("at_home", "arrived", "exited_home", "died_in_hospital", "died_after_discharge", "diverted", "readmitted")
    )


CENSUS_COLUMNS = census_columns()
EXITS = ("home", "died_in_hospital", "died_after_discharge", "diverted", "readmitted")


@dataclass
class Records:
    """Everything one replication hands to the indicators."""

    horizon_days: float
    warmup_days: float
    spells: list[SpellRecord] = field(default_factory=list)
    stays: list[StayRecord] = field(default_factory=list)
    # when each person who died in the run died (patient -> time): in hospital, in a community service or at home
    deaths: dict[int, float] = field(default_factory=dict)
    # the age band of people who entered the run outside a spell (a census's people in a service or at home)
    bands: dict[int, int] = field(default_factory=dict)
    census: list[tuple] = field(default_factory=list)
