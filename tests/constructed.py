"""Records written by hand, as the model would leave them, so an indicator's value can be worked out on paper.

`spell` and `stay` write one record with the times given (the rest unset);
`records_of` writes a whole history of moves for one person (the 91-day rule's
cases); `midnight` writes one row of the midnight census; `ward` is a scenario
for the indicators to read bed counts, capacities and unit costs from.
"""

from __future__ import annotations

import copy
import math
from functools import cache

from model_helpers import BASELINE

from sim.model import CENSUS_COLUMNS, Records, SpellRecord, StayRecord
from sim.scenario import load_scenario
from sim.scenario.load import apply_override
from sim.scenario.schema import PATHWAYS, Scenario

NAN = math.nan


def spell(
    patient: int,
    arrival: float,
    admitted: float = NAN,
    optimised: float = NAN,
    left_bed: float = NAN,
    pathway: str = "p0",
    *,
    died: bool = False,
    diverted: bool = False,
    service: str = "",
    readmission: bool = False,
    next_arrival: float = NAN,
    band: int = 0,
) -> SpellRecord:
    """One spell record (the first age band unless told); times in days, NaN: did not happen (yet)."""
    record = SpellRecord(patient, band, PATHWAYS.index(pathway), readmission, arrival)
    record.admitted, record.optimised, record.left_bed = admitted, optimised, left_bed
    record.died, record.diverted, record.service, record.next_arrival = died, diverted, service, next_arrival
    return record


def stay(
    service: str,
    patient: int,
    requested: float,
    reserved: float = NAN,
    started: float = NAN,
    care_end: float = NAN,
    released: float = NAN,
    outcome: str = "",
    *,
    background: bool = False,
) -> StayRecord:
    """One community stay record; `started` defaults to `reserved` (the person arrives as the place is handed over)."""
    record = StayRecord(service, patient, requested, background=background)
    record.reserved = reserved
    record.started = reserved if math.isnan(started) else started
    record.care_end, record.released, record.outcome = care_end, released, outcome
    return record


def midnight(day: float, beds_available: int, beds_occupied: int, **counts: float) -> tuple:
    """One row of the midnight census: the bed counts and any other columns given (e.g. bed_queue=3), the rest 0."""
    row = dict.fromkeys(CENSUS_COLUMNS, 0)
    row.update(day=day, beds_available=beds_available, beds_occupied=beds_occupied, **counts)
    assert set(row) == set(CENSUS_COLUMNS), f"not census columns: {sorted(set(row) - set(CENSUS_COLUMNS))}"
    return tuple(row[column] for column in CENSUS_COLUMNS)


def records(horizon: float, spells=(), stays=(), census=(), deaths=None) -> Records:
    return Records(horizon_days=horizon, warmup_days=0.0, spells=list(spells), stays=list(stays),
                   census=list(census), deaths=dict(deaths or {}))


@cache
def baseline_values() -> dict:
    """The baseline scenario's values, read once (parsing the YAML is most of the time a scenario takes to load)."""
    return load_scenario(BASELINE).model_dump()


def ward(horizon: float, beds: int, *overrides: str) -> Scenario:
    """The baseline with `beds` acute beds all year (no escalation), run for `horizon` days without a census,
    changed by `overrides` (KEY.PATH=VALUE, as --set takes them)."""
    data = copy.deepcopy(baseline_values())
    assignments = [f"run.horizon_days={horizon}", "run.warmup_days=0", "census=null", f"acute.beds={beds}",
                   "acute.escalation=[]"]
    for assignment in [*assignments, *overrides]:
        apply_override(data, {}, assignment)
    return Scenario.model_validate(data)


# --- one person's history of moves (the 91-day rule) ------------------------------------------------
# A history lists (time, place) moves of one person from a discharge on; `records_of` writes it as the
# model would (spells, community stays, a death), and the rule reads the records.

PATHWAY_OF_SERVICE = {"reablement": 1, "home_care": 1, "intermediate_care": 2, "care_home": 3}


def records_of(history: list[tuple[float, str]], patient: int = 0, into: Records | None = None) -> Records:
    """One person's records, as the model would write them: a five-day spell ending in a discharge at the
    first move's time, then a spell, a community stay or a death for each move of `history`."""
    written = into or Records(horizon_days=400.0, warmup_days=0.0)
    discharged = history[0][0]
    first = SpellRecord(patient, 0, 1, False, discharged - 5.0)
    first.admitted, first.optimised = discharged - 5.0, discharged
    written.spells.append(first)
    current = first  # the record of where the person is: a spell, a stay, or None at home
    for time, place in history:
        if place == "died":
            written.deaths[patient] = time
        if isinstance(current, SpellRecord):  # discharged (or died) now; a spell records the service it led to
            current.left_bed, current.died = time, place == "died"
            if place in PATHWAY_OF_SERVICE:
                current.service, current.pathway = place, PATHWAY_OF_SERVICE[place]
        elif isinstance(current, StayRecord):
            current.released, current.outcome = time, place
        if place in ("hospital", "elsewhere"):
            current = SpellRecord(patient, 0, 0, True, time)
            current.diverted = place == "elsewhere"
            if not current.diverted:
                current.admitted = time
            written.spells.append(current)
        elif place in PATHWAY_OF_SERVICE:
            current = StayRecord(place, patient, time)
            current.reserved = current.started = time
            written.stays.append(current)
        else:
            current = None
    return written
