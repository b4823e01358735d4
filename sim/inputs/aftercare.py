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
    """(A, B) for one pathway and band, with their Monte Carlo variances folded in by the caller if it wishes."""
    rng = np.random.default_rng([SEED, pathway, template.age_bands.index(band)])
    services = template.services
    n = PEOPLE

    def u() -> np.ndarray:
        return rng.uniform(size=n)

    def home(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At home without a package from `start`: only death at home ends the stay."""
        days, _ = competing_risks([template.after_discharge.death_rate_per_year_at_home], u(), np.zeros(n))
        return np.full(n, np.inf), start + days

    def care_home(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rates = list(services.care_home.end_rates_per_year.model_dump().values())
        days, end = competing_risks(rates, u(), u())
        ends = np.asarray(CARE_HOME_ENDS)[end]
        return np.where(ends == "readmitted", start + days, np.inf), np.where(ends == "died", start + days, np.inf)

    def home_care(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rates = list(services.home_care.end_rates_per_year.model_dump().values())
        days, end = competing_risks(rates, u(), u())
        ends = np.asarray(HOME_CARE_ENDS)[end]
        onward_readmit, onward_death = care_home(start + days)
        readmit = np.where(ends == "readmitted", start + days, np.where(ends == "care_home", onward_readmit, np.inf))
        death = np.where(ends == "died", start + days, np.where(ends == "care_home", onward_death, np.inf))
        return readmit, death

    def then(start: np.ndarray, outcome: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Where a service's ending sends people: readmitted, died, home, home care or a care home."""
        readmit, death = np.full(n, np.inf), np.full(n, np.inf)
        ends = np.asarray(names)[outcome]
        readmit[ends == "readmitted"] = start[ends == "readmitted"]
        death[ends == "died"] = start[ends == "died"]
        for name, onward in (("independent", home), ("home", home), ("home_care", home_care), ("care_home", care_home)):
            going = ends == name
            if going.any():
                r, d = onward(start)
                readmit[going], death[going] = r[going], d[going]
        return readmit, death

    zero = np.zeros(n)
    if pathway == 0:
        readmit, death = home(zero)
    elif pathway == 1:
        split = services.reablement.outcomes.get(band)
        days = from_uniform(services.reablement.duration, u())
        outcome = categorical(split.as_list() if split else [1.0, 0.0, 0.0, 0.0], u())
        readmit, death = then(days, outcome, REABLEMENT_OUTCOMES)
        package_readmit, package_death = home_care(zero)
        package = u() < home_care_share
        readmit, death = np.where(package, package_readmit, readmit), np.where(package, package_death, death)
    elif pathway == 2:
        split = services.intermediate_care.outcomes.get(band)
        days = from_uniform(services.intermediate_care.duration, u())
        outcome = categorical(split.as_list() if split else [1.0, 0.0, 0.0, 0.0, 0.0], u())
        readmit, death = then(days, outcome, INTERMEDIATE_CARE_OUTCOMES)
    else:
        readmit, death = care_home(zero)
    clock = truncated_from_uniform(template.readmission.time_to_readmission, u(), READMISSION_WINDOW_DAYS)
    by_service = readmit < np.minimum(READMISSION_WINDOW_DAYS, death)
    by_clock = (clock < np.minimum(readmit, death)) & ~by_service
    return float(by_service.mean()), float(by_clock.mean())
