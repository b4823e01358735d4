"""The bench ward in plain SimPy: the reference our model is timed against.

Written the way a competent SimPy user would write it from SimPy's own examples
(bank, carwash): a process per patient, `simpy.Resource` for the beds and for
the service places, and numpy draws made as the patient needs them. Not
deliberately slow and not tuned either: it is the yardstick of "idiomatic SimPy".

The ward: 30 admission requests a day (Poisson), 300 beds, lognormal length of
stay (mean 8, sd 8 days); 45 % of patients leave to a service of 390 places and
keep their bed until a place is free; a place is held for an exponential stay
of 28 days on average.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import simpy

ARRIVALS_PER_DAY = 30.0
BEDS = 300
LOS_MEAN, LOS_SD = 8.0, 8.0  # days
SERVICE_SHARE = 0.45
SERVICE_PLACES = 390
SERVICE_MEAN = 28.0  # days
DAYS_PER_YEAR = 365

# numpy's lognormal takes the mean and sd of the underlying normal
LOS_SIGMA = math.sqrt(math.log1p((LOS_SD / LOS_MEAN) ** 2))
LOS_MU = math.log(LOS_MEAN) - LOS_SIGMA**2 / 2


class Ward:
    """Beds, service places, a random generator and two counters."""

    def __init__(self, env: simpy.Environment, rng: np.random.Generator) -> None:
        self.env = env
        self.rng = rng
        self.beds = simpy.Resource(env, capacity=BEDS)
        self.service = simpy.Resource(env, capacity=SERVICE_PLACES)
        self.arrived = 0
        self.admitted = 0


def patient(env: simpy.Environment, ward: Ward) -> Generator[simpy.Event, None, None]:
    """Wait for a bed, stay, then go home or wait in the bed for a service place."""
    rng = ward.rng
    bed = ward.beds.request()
    yield bed
    ward.admitted += 1
    yield env.timeout(rng.lognormal(LOS_MU, LOS_SIGMA))
    if rng.random() < SERVICE_SHARE:
        with ward.service.request() as place:
            yield place  # still in the bed until a place is free
            ward.beds.release(bed)
            yield env.timeout(rng.exponential(SERVICE_MEAN))
    else:
        ward.beds.release(bed)


def arrivals(env: simpy.Environment, ward: Ward) -> Generator[simpy.Event, None, None]:
    """Admission requests with exponential gaps; each starts a patient process."""
    while True:
        yield env.timeout(ward.rng.exponential(1 / ARRIVALS_PER_DAY))
        ward.arrived += 1
        env.process(patient(env, ward))


def run(years: float = 5.0, seed: int = 42) -> dict[str, int]:
    """Simulate the ward for `years` from empty; return patients arrived and admitted."""
    env = simpy.Environment()
    ward = Ward(env, np.random.default_rng(seed))
    env.process(arrivals(env, ward))
    env.run(until=years * DAYS_PER_YEAR)
    return {"arrived": ward.arrived, "admitted": ward.admitted}
