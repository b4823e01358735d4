"""Who arrives when, and what their stay will be: drawn up front, per age band.

Admission requests of each age band follow a non-homogeneous Poisson process,
built by thinning: candidates arrive at the band's peak rate, and each is kept
with probability rate(t) / peak. Every candidate gets its own uniform numbers
for pathway, death and durations from streams named for that purpose, whether it
is kept or not. So a scenario that avoids some admissions keeps the rest of the
patients, with the same stays, and one that changes capacity changes nothing
here at all: common random numbers, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calendar import demand_multiplier, max_demand_multiplier
from sim.distributions import from_uniform
from sim.scenario.schema import PATHWAYS, SERVICE_OF_PATHWAY, Scenario
from sim.streams import Streams


@dataclass(frozen=True)
class Arrivals:
    """Admission requests in time order, one entry per patient (first spells)."""

    time: np.ndarray  # days, calendar time
    band: np.ndarray  # index into scenario.age_bands
    pathway: np.ndarray  # 0..3, the pathway the patient would leave by
    dies: np.ndarray  # bool: dies in hospital
    stay: np.ndarray  # days from admission to medically optimised (or to death)
    assessment: np.ndarray  # days from medically optimised to ready for a place
    service_days: np.ndarray  # days the patient would hold a community place (0 for P0)

    def __len__(self) -> int:
        return len(self.time)


def draw_arrivals(scenario: Scenario, streams: Streams) -> Arrivals:
    """All first-spell admission requests between the start of warm-up and the end of the horizon."""
    start, end = -scenario.run.warmup_days, scenario.run.horizon_days
    parts = [_draw_band(scenario, streams, band_index, start, end) for band_index in range(len(scenario.age_bands))]
    merged = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    order = np.argsort(merged["time"], kind="stable")
    return Arrivals(**{key: values[order] for key, values in merged.items()})


def _draw_band(scenario: Scenario, streams: Streams, band_index: int, start: float, end: float) -> dict[str, np.ndarray]:
    band = scenario.age_bands[band_index]
    demand = scenario.demand
    peak = demand.arrivals_per_day[band] * max_demand_multiplier(demand, start, end)
    timing = streams(f"arrivals:{band}")
    count = timing.poisson(peak * (end - start))
    time = np.sort(timing.uniform(start, end, count))
    keep_u = timing.uniform(size=count)

    def uniforms(purpose: str) -> np.ndarray:
        return streams(f"{purpose}:{band}").uniform(size=count)

    pathway_u, death_u, stay_u, assessment_u, service_u = (
        uniforms(p) for p in ("pathway", "in_hospital_death", "clinical_stay", "assessment", "service_duration")
    )
    rate = demand.arrivals_per_day[band] * demand_multiplier(demand, time)
    kept = keep_u * peak < rate if peak > 0 else np.zeros(count, dtype=bool)

    split = np.cumsum(scenario.pathways.probabilities[band].as_list())
    pathway = np.minimum(np.searchsorted(split, pathway_u * split[-1], side="right"), 3)
    dies = death_u < scenario.in_hospital_death.probability[band]

    stay = np.empty(count)
    assessment = np.empty(count)
    service_days = np.zeros(count)
    factor = scenario.clinical_stay.age_band_factor.get(band, 1.0)
    for index, name in enumerate(PATHWAYS):
        on = pathway == index
        stay[on] = factor * from_uniform(scenario.clinical_stay.by_pathway.of(name), stay_u[on])
        assessment[on] = from_uniform(scenario.discharge.assessment.of(name), assessment_u[on])
        if name in SERVICE_OF_PATHWAY:
            service = getattr(scenario.services, SERVICE_OF_PATHWAY[name])
            service_days[on] = from_uniform(service.duration, service_u[on])
    stay[dies] = from_uniform(scenario.in_hospital_death.stay_before_death, stay_u[dies])

    return {
        "time": time[kept],
        "band": np.full(int(kept.sum()), band_index),
        "pathway": pathway[kept],
        "dies": dies[kept],
        "stay": stay[kept],
        "assessment": assessment[kept],
        "service_days": service_days[kept],
    }
