"""The bench ward as a scenario of our model (the same ward as sim.bench.reference).

One age band, 30 admission requests a day every day, 300 beds, clinical stay
lognormal (mean 8, sd 8 days) whatever the pathway, 55 % home (P0) and 45 % to
reablement (P1), no deaths, no assessment, discharges at any hour. Reablement
has 390 places held for an exponential 28 days; the other services exist (the
schema needs them) but nobody is sent there. No warm-up: like the reference,
the ward starts empty.
"""

from __future__ import annotations

from sim.bench import reference as ref
from sim.scenario.schema import Scenario

BAND = "all"
SEED = 20240501


def bench_ward_scenario(years: float = 5.0, seed: int = SEED) -> Scenario:
    los = {"distribution": "lognormal", "mean": ref.LOS_MEAN, "sd": ref.LOS_SD}
    unused_service = {"places": 1, "duration": {"distribution": "exponential", "mean": ref.SERVICE_MEAN}}
    return Scenario.model_validate(
        {
            "name": "bench_ward",
            "description": "The benchmark ward: same as the plain SimPy reference in sim/bench/reference.py",
            "run": {
                "start_year": 2025,
                "warmup_days": 0.0,
                "horizon_days": float(years * ref.DAYS_PER_YEAR),
                "replications": 1,
                "seed": seed,
            },
            "age_bands": [BAND],
            "demand": {"arrivals_per_day": {BAND: ref.ARRIVALS_PER_DAY}},
            "acute": {"beds": ref.BEDS},
            "clinical_stay": {"by_pathway": {p: los for p in ("p0", "p1", "p2", "p3")}},
            "in_hospital_death": {"probability": {BAND: 0.0}, "stay_before_death": los},
            "pathways": {
                "probabilities": {
                    BAND: {"p0": 1.0 - ref.SERVICE_SHARE, "p1": ref.SERVICE_SHARE, "p2": 0.0, "p3": 0.0}
                }
            },
            "services": {
                "reablement": {
                    "places": ref.SERVICE_PLACES,
                    "duration": {"distribution": "exponential", "mean": ref.SERVICE_MEAN},
                },
                "home_care": {"packages": 1},
                "intermediate_care": unused_service,
                "care_home": {},
            },
        }
    )
