"""What the template's community services add to 30-day readmissions, for turning an observed rate into the model's.

The model readmits a live discharge within 30 days in two ways: the "home"
readmission (probability within_30_days of the pathway, raised by each day of
delay), whose clock runs whatever service the person is in; and the services'
own endings (a reablement episode ending in readmission, a home care package
or care home stay ended by one, ...). Deaths end both. For a person on
pathway k in band b, with home probability q:

    P(readmitted within 30 days) = A + B q

A = P(a service readmits them within 30 days, before they die), and B = P(the
home clock, if it fires, fires before any service readmission or death). Both
come from the template's services by Monte Carlo with the model's own
distribution code (queues for places are left out: the people already have
their place when they leave hospital, and onward waits are short next to 30
days).
"""

from __future__ import annotations

import numpy as np

from sim.distributions import categorical, competing_risks, from_uniform, truncated_from_uniform
from sim.model.arrivals import CARE_HOME_ENDS, HOME_CARE_ENDS, INTERMEDIATE_CARE_OUTCOMES, READMISSION_WINDOW_DAYS, REABLEMENT_OUTCOMES
from sim.scenario.schema import Scenario

PEOPLE = 50_000  # Monte Carlo people per pathway and band: A and B to about +/-0.002
SEED = 30


def readmission_terms(template: Scenario, pathway: int, band: str, home_care_share: float) -> tuple[float, float]:
    """(A, B) for one pathway and band (pathways 0 and 3 do not depend on the band)."""
    rng = np.random.default_rng([SEED, pathway, template.age_bands.index(band)])
    services = template.services

    def u(n: int) -> np.ndarray:
        return rng.uniform(size=n)

    def home(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At home without a package from `start`: only death at home ends the stay."""
        days, _ = competing_risks([template.after_discharge.death_rate_per_year_at_home], u(len(start)), np.zeros(len(start)))
        return np.full(len(start), np.inf), start + days

    def ended_by(start: np.ndarray, rates: list[float], names: tuple[str, ...], onward=None) -> tuple[np.ndarray, np.ndarray]:
        """A long-term service from `start`, ended at competing yearly rates: readmitted, died, or (onward) a care home."""
        days, end = competing_risks(rates, u(len(start)), u(len(start)))
        ends, at = np.asarray(names)[end], start + days
        readmit = np.where(ends == "readmitted", at, np.inf)
        death = np.where(ends == "died", at, np.inf)
        moving = ends == "care_home"
        if onward is not None and moving.any():
            readmit[moving], death[moving] = onward(at[moving])
        return readmit, death

    def care_home(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ended_by(start, list(services.care_home.end_rates_per_year.model_dump().values()), CARE_HOME_ENDS)

    def home_care(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ended_by(start, list(services.home_care.end_rates_per_year.model_dump().values()), HOME_CARE_ENDS, care_home)

    def then(end: np.ndarray, outcome: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Where a service's ending (at `end`) sends people: readmitted, died, home, home care or a care home."""
        ends = np.asarray(names)[outcome]
        readmit = np.where(ends == "readmitted", end, np.inf)
        death = np.where(ends == "died", end, np.inf)
        for name, onward in (("independent", home), ("home", home), ("home_care", home_care), ("care_home", care_home)):
            going = ends == name
            if going.any():
                readmit[going], death[going] = onward(end[going])
        return readmit, death

    n = PEOPLE
    zero = np.zeros(n)
    if pathway == 0:
        readmit, death = home(zero)
    elif pathway == 1:
        split = services.reablement.outcomes.get(band)
        days = from_uniform(services.reablement.duration, u(n))
        readmit, death = then(days, categorical(split.as_list() if split else [1.0, 0.0, 0.0, 0.0], u(n)), REABLEMENT_OUTCOMES)
        package = u(n) < home_care_share
        if package.any():
            readmit[package], death[package] = home_care(zero[package])
    elif pathway == 2:
        split = services.intermediate_care.outcomes.get(band)
        days = from_uniform(services.intermediate_care.duration, u(n))
        outcome = categorical(split.as_list() if split else [1.0, 0.0, 0.0, 0.0, 0.0], u(n))
        readmit, death = then(days, outcome, INTERMEDIATE_CARE_OUTCOMES)
    else:
        readmit, death = care_home(zero)
    clock = truncated_from_uniform(template.readmission.time_to_readmission, u(n), READMISSION_WINDOW_DAYS)
    by_service = readmit < np.minimum(READMISSION_WINDOW_DAYS, death)
    by_clock = (clock < np.minimum(readmit, death)) & ~by_service
    return float(by_service.mean()), float(by_clock.mean())
