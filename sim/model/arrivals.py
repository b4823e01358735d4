"""Who arrives when, and what will happen to them: drawn up front, per age band.

Admission requests of each age band follow a non-homogeneous Poisson process
(request_times: a time change of a unit-rate process), and admission avoidance
then removes each request with the avoided share (thinning). Every request gets
its own uniform numbers for each purpose (pathway, death, durations, outcomes,
readmission ...) from streams named for that purpose, whether it is avoided or
not. So a scenario that avoids some admissions keeps the rest of the patients,
with the same stays; one with more demand moves them in time; and one that
changes capacity changes nothing here at all: common random numbers,
by construction.

Readmissions are new spells whose draws come, in blocks, from streams of their
own (`ReadmissionDraws`): the n-th readmission of an age band gets the n-th
row. That keeps the drawing vectorised; it is common random numbers in order
of readmission rather than by person.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import NamedTuple

import numpy as np

from sim.calendar import calendar_factor, growth_integral
from sim.distributions import categorical, competing_risks, from_uniform, truncated_from_uniform
from sim.scenario.schema import PATHWAYS, Demand, Scenario
from sim.streams import Streams

READMISSION_WINDOW_DAYS = 30.0
REABLEMENT_OUTCOMES = ("independent", "home_care", "readmitted", "died")
INTERMEDIATE_CARE_OUTCOMES = ("home", "home_care", "care_home", "readmitted", "died")
HOME_CARE_ENDS = ("died", "care_home", "readmitted")
CARE_HOME_ENDS = ("died", "readmitted")


class Draws(NamedTuple):
    """Everything random about one spell and what follows it (days; indexes into the tuples above)."""

    band: int
    pathway: int  # 0..3, the pathway the patient would leave by
    dies: bool  # dies in hospital
    stay: float  # admission to medically optimised (or to death)
    assessment: float  # medically optimised to ready for a place
    to_home_care: bool  # pathway 1 planned for a long-term package rather than reablement
    reablement_days: float
    reablement_outcome: int  # index into REABLEMENT_OUTCOMES
    intermediate_care_days: float
    intermediate_care_outcome: int  # index into INTERMEDIATE_CARE_OUTCOMES
    placement_wait: float  # time to arrange a care home placement
    readmit_u: float  # compared with the 30-day readmission probability at discharge
    readmit_days: float  # discharge to readmission, if readmitted (<= 30)
    home_care_days: float  # package start to its end (inf: never)
    home_care_end: int  # index into HOME_CARE_ENDS
    care_home_days: float  # care home entry to the stay's end (inf: never)
    care_home_end: int  # index into CARE_HOME_ENDS
    home_death_days: float  # arrival home (no package) to death (inf: never)


@dataclass(frozen=True)
class Arrivals:
    """First-spell admission requests in time order, with each patient's draws as columns.

    The draws stay in numpy columns (8 bytes a number) until the patients
    arrive: `each` makes their Draws a block at a time, so a long run never
    holds a Python object for every patient still to come.
    """

    time: np.ndarray  # days, calendar time
    columns: dict[str, np.ndarray]  # one array per field of Draws, in time order

    BLOCK = 1024  # patients whose Draws are made at once

    def __len__(self) -> int:
        return len(self.time)

    def column(self, name: str) -> np.ndarray:
        """One field of every patient's draws (see Draws), as an array."""
        return self.columns[name]

    def each(self) -> Iterator[tuple[float, Draws]]:
        """(request time, draws) of each patient, in time order; a block's Draws are made as it is reached."""
        blocks = (self.block(start) for start in range(0, len(self.time), self.BLOCK))
        return zip(self.time.tolist(), chain.from_iterable(blocks), strict=True)

    def block(self, start: int) -> list[Draws]:
        """The Draws of patients start, start + 1, ... (BLOCK of them, or to the end)."""
        return to_draws({name: values[start : start + self.BLOCK] for name, values in self.columns.items()})


def draw_arrivals(scenario: Scenario, streams: Streams) -> Arrivals:
    """All first-spell admission requests between the start of warm-up and the end of the horizon."""
    start, end = -scenario.run.warmup_days, scenario.run.horizon_days
    times, columns = [], []
    for band_index, band in enumerate(scenario.age_bands):
        demand = scenario.demand
        time = request_times(streams(f"arrivals:{band}"), demand, demand.arrivals_per_day[band], start, end)
        count = len(time)
        drawn = draw_spells(scenario, streams, band_index, count, prefix="")
        if demand.admission_avoidance_share > 0:  # thinning: each request is avoided with that chance
            kept = streams(f"arrivals_kept:{band}").uniform(size=count) >= demand.admission_avoidance_share
            time, drawn = time[kept], {name: values[kept] for name, values in drawn.items()}
        times.append(time)
        columns.append(drawn)
    time = np.concatenate(times)
    order = np.argsort(time, kind="stable")
    merged = {name: np.concatenate([c[name] for c in columns])[order] for name in Draws._fields}
    return Arrivals(time[order], merged)


def request_times(stream: np.random.Generator, demand: Demand, base_rate: float, start: float, end: float) -> np.ndarray:
    """Admission request times on [start, end): a Poisson process whose rate follows the demand calendar.

    Built by a time change: the events of a unit-rate process (cumulative
    exponential gaps) are mapped through the inverse of the cumulative rate
    L(t), the expected number of requests up to t. The k-th request is the
    k-th gap of its stream whatever the rates, so more or less demand moves
    each request smoothly in time and never hands one patient's draws to
    another: common random numbers along demand, which calibration relies on.
    L is exact at every midnight (day-of-week and month factors are constant
    within a day, growth is integrated); within a day it is taken as linear.
    """
    edges = np.unique(np.clip(np.arange(math.floor(start), math.ceil(end) + 1, dtype=float), start, end))
    if base_rate <= 0 or len(edges) < 2:
        return np.empty(0)
    factor = calendar_factor(demand, np.floor(edges[:-1]))
    cumulative = np.concatenate([[0.0], np.cumsum(base_rate * factor * growth_integral(demand, edges[:-1], edges[1:]))])
    units, total = [], 0.0
    expected = cumulative[-1]
    while total < expected:  # chunks continue one stream, so the events do not depend on the chunk sizes
        chunk = stream.exponential(size=int(expected + 6 * math.sqrt(expected)) + 16)
        units.append(chunk)
        total += float(chunk.sum())
    events = np.cumsum(np.concatenate(units)) if units else np.empty(0)
    return np.interp(events[events < expected], cumulative, edges)


def to_draws(columns: dict[str, np.ndarray]) -> list[Draws]:
    """Columns of arrays -> one Draws per spell (plain Python numbers, fast to read in the model)."""
    # tuple.__new__ makes each Draws from its zipped row in C; Draws._make would
    # add a Python call per spell (this runs for every spell drawn).
    make = partial(tuple.__new__, Draws)
    return list(map(make, zip(*(columns[name].tolist() for name in Draws._fields), strict=True)))


def draw_spells(scenario: Scenario, streams: Streams, band_index: int, count: int, prefix: str) -> dict[str, np.ndarray]:
    """Draws for `count` spells of one age band, one stream per purpose (named prefix + purpose + band)."""
    band = scenario.age_bands[band_index]
    services = scenario.services

    def uniforms(purpose: str) -> np.ndarray:
        return streams(f"{prefix}{purpose}:{band}").uniform(size=count)

    pathway = categorical(scenario.pathways.probabilities[band].as_list(), uniforms("pathway"))
    dies = uniforms("in_hospital_death") < scenario.in_hospital_death.probability[band]

    stay_u, assessment_u = uniforms("clinical_stay"), uniforms("assessment")
    stay, assessment = np.empty(count), np.empty(count)
    factor = scenario.clinical_stay.age_band_factor.get(band, 1.0)
    for index, name in enumerate(PATHWAYS):
        on = pathway == index
        stay[on] = factor * from_uniform(scenario.clinical_stay.by_pathway.of(name), stay_u[on])
        assessment[on] = from_uniform(scenario.discharge.assessment.of(name), assessment_u[on])
    stay[dies] = from_uniform(scenario.in_hospital_death.stay_before_death, stay_u[dies])

    reablement_split = services.reablement.outcomes.get(band)
    reablement_p = reablement_split.as_list() if reablement_split else [1.0, 0.0, 0.0, 0.0]
    ic_split = services.intermediate_care.outcomes.get(band)
    ic_p = ic_split.as_list() if ic_split else [1.0, 0.0, 0.0, 0.0, 0.0]
    home_care_days, home_care_end = competing_risks(
        list(services.home_care.end_rates_per_year.model_dump().values()),
        uniforms("home_care_duration"),
        uniforms("home_care_end"),
    )
    care_home_days, care_home_end = competing_risks(
        list(services.care_home.end_rates_per_year.model_dump().values()),
        uniforms("care_home_duration"),
        uniforms("care_home_end"),
    )
    home_death_days, _ = competing_risks(
        [scenario.after_discharge.death_rate_per_year_at_home], uniforms("home_death"), np.zeros(count)
    )
    readmission = scenario.readmission
    return {
        "band": np.full(count, band_index),
        "pathway": pathway,
        "dies": dies,
        "stay": stay,
        "assessment": assessment,
        "to_home_care": uniforms("p1_home_care") < scenario.pathways.p1_home_care_share,
        "reablement_days": from_uniform(services.reablement.duration, uniforms("reablement_duration")),
        "reablement_outcome": categorical(reablement_p, uniforms("reablement_outcome")),
        "intermediate_care_days": from_uniform(
            services.intermediate_care.duration, uniforms("intermediate_care_duration")
        ),
        "intermediate_care_outcome": categorical(ic_p, uniforms("intermediate_care_outcome")),
        "placement_wait": from_uniform(services.care_home.placement_wait, uniforms("placement_wait")),
        "readmit_u": uniforms("readmission"),
        "readmit_days": truncated_from_uniform(
            readmission.time_to_readmission, uniforms("readmission_time"), READMISSION_WINDOW_DAYS
        ),
        "home_care_days": home_care_days,
        "home_care_end": home_care_end,
        "care_home_days": care_home_days,
        "care_home_end": care_home_end,
        "home_death_days": home_death_days,
    }


class ReadmissionDraws:
    """Draws for readmission spells, made in blocks per age band and handed out in order."""

    BLOCK = 512

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        self.scenario = scenario
        self.streams = streams
        self._waiting: dict[int, list[Draws]] = {b: [] for b in range(len(scenario.age_bands))}

    def next(self, band: int) -> Draws:
        waiting = self._waiting[band]
        if not waiting:
            block = draw_spells(self.scenario, self.streams, band, self.BLOCK, prefix="readmission:")
            waiting.extend(reversed(to_draws(block)))
        return waiting.pop()
