"""From one replication's records to named indicator values (the spec's public vocabulary).

Pure functions of the records: no SimPy here. Counts are per 365 days of the
horizon; shares are fractions 0-1; `_pN` suffixes are per pathway. Spells count
towards length of stay when they end (discharge or death) inside the horizon;
time-averages (occupancy, delayed patients, service use) integrate over the
horizon only, so warm-up never leaks in.
"""

from __future__ import annotations

import math
import warnings
from operator import attrgetter

import numpy as np

from sim.calendar import month
from sim.model.arrivals import READMISSION_WINDOW_DAYS
from sim.model.records import CENSUS_COLUMNS, Records
from sim.scenario.schema import PATHWAYS, SERVICES, Scenario
from sim.stability import grows_without_bound

AT_HOME_DAY = 91.0  # ASCOF 2B(1): still at home 91 days after discharge

# name -> (unit, description). The order here is the order of the tables.
INDICATORS: dict[str, tuple[str, str]] = {
    "admissions_per_year": ("spells/year", "Emergency spells admitted to an acute bed in the horizon, first and readmissions"),
    "diverted_per_year": ("requests/year", "Admission requests sent elsewhere because no bed was free (divert mode)"),
    "diverted_share": ("share", "Diverted requests / all admission requests"),
    "mean_los_days": ("days", "Mean length of stay, admission to discharge or death, of spells ended in the horizon"),
    "median_los_days": ("days", "Median length of stay"),
    "p90_los_days": ("days", "90th percentile of length of stay"),
    "stranded_7d_share": ("share", "Share of ended spells with a stay of 7 days or more"),
    "superstranded_21d_share": ("share", "Share of ended spells with a stay of 21 days or more"),
    "superstranded_21d_bed_share": ("share", "Share of occupied bed days used by patients past their 21st day in hospital"),
    **{f"mean_los_days_{p}": ("days", f"Mean length of stay of live discharges on pathway {p[1]}") for p in PATHWAYS},
    "delayed_bed_days_per_year": ("bed days/year", "Bed days spent medically optimised but not yet discharged"),
    "mean_delay_days": ("days", "Mean discharge delay (medically optimised to discharge) per live discharge"),
    **{f"mean_delay_days_{p}": ("days", f"Mean discharge delay on pathway {p[1]}") for p in PATHWAYS},
    "delayed_patients_mean": ("patients", "Mean number of medically optimised patients still in acute beds"),
    **{f"pathway_share_{p}": ("share", f"Share of live discharges on pathway {p[1]}") for p in PATHWAYS},
    "bed_days_per_year": ("bed days/year", "Occupied acute bed days in the horizon (what an option frees or uses)"),
    "mean_occupancy_pct": ("%", "Time-average occupied acute beds / beds available"),
    "days_over_92pct_share": ("share", "Share of days whose midnight occupancy is above 92 %"),
    "days_at_100pct_share": ("share", "Share of days whose midnight occupancy is 100 %"),
    "mean_bed_wait_hours": ("hours", "Mean wait for an acute bed (boarding) of patients admitted in the horizon"),
    "waited_for_bed_share": ("share", "Share of patients admitted in the horizon who waited for a bed at all"),
    "mean_los_from_request_days": (
        "days", "Mean length of stay counted from the request for a bed (boarding included), spells ended in the horizon"
    ),
    "bed_queue_mean": ("patients", "Time-average number of patients waiting for an acute bed over the horizon"),
    "bed_queue_end": ("patients", "Patients waiting for an acute bed when the horizon ends"),
    "bed_unstable_share": (
        "share", "Share of replications whose bed queue grows without bound over the horizon (a saturated system)"
    ),
    "unstable_share": (
        "share", "Share of replications whose bed queue or a community service's queue grows without bound: "
        "their results are not a steady state"
    ),
    "in_hospital_mortality_rate": ("share", "Deaths in hospital / spells ended"),
    "readmissions_per_year": ("spells/year", "Spells admitted in the horizon that are emergency readmissions"),
    "readmission_30d_rate": ("share", "Live discharges followed by an emergency readmission within 30 days / live discharges"),
    "at_home_91d_rate": (
        "share",
        "ASCOF 2B(1): of those discharged alive into reablement or rehabilitation, the share at home "
        "(alive, not in hospital nor a care home) 91 days later",
    ),
    "reablement_independent_share": ("share", "Reablement completers needing no ongoing care / all completers"),
    "bridging_days_per_year": ("place days/year", "Reablement place days held after reablement ended, waiting for home care"),
    **{
        f"{service}_utilisation_pct": ("%", f"Time-average {service.replace('_', ' ')} places held / places")
        for service in SERVICES
    },
    **{
        f"{service}_mean_wait_days": ("days", f"Mean wait for a {service.replace('_', ' ')} place, from asking to getting one")
        for service in SERVICES
    },
    **{
        f"{service}_queue_mean": ("people", f"Time-average number waiting for a {service.replace('_', ' ')} place")
        for service in SERVICES
    },
    **{
        f"{service}_queue_end": ("people", f"People waiting for a {service.replace('_', ' ')} place when the horizon ends")
        for service in SERVICES
    },
    **{
        f"{service}_unstable_share": (
            "share", f"Share of replications whose {service.replace('_', ' ')} queue grows without bound"
        )
        for service in SERVICES
    },
    **{
        f"cost_{setting}_per_year": ("GBP/year", f"Cost of {setting.replace('_', ' ')} used by the cohort at unit cost")
        for setting in ("acute", *SERVICES)
    },
    "cost_total_per_year": ("GBP/year", "All care used by the cohort, priced at the scenario's unit costs"),
    "cost_programme_per_year": ("GBP/year", "Running cost of what the scenario changes (costs.programme_per_year)"),
    "cost_net_per_year": ("GBP/year", "Care used plus the programme's running cost"),
}


def unit_of(indicator: str) -> str:
    return INDICATORS[indicator][0]


# Each replication judges its queues stable or not: these indicators are 0 or 1 per replication,
# and their mean over replications is the share judged unstable (a binomial proportion).
JUDGEMENTS = frozenset(name for name in INDICATORS if name.endswith("unstable_share"))


def range_of(indicator: str) -> tuple[float, float]:
    """What a replication's value can be: shares 0-1; every other indicator (counts, days, %, GBP) 0 or more."""
    return (0.0, 1.0) if unit_of(indicator) == "share" else (0.0, math.inf)


LOS_BINS = 91  # whole days of stay 0, 1, ..., 89, and 90 or more


def los_counts(records: Records) -> np.ndarray:
    """Spells ended (discharge or death) in the horizon by whole days of stay, the last bin holding 90+ days.

    A few hundred bytes a replication: enough for the report's length of stay
    distribution without keeping every spell.
    """
    horizon = records.horizon_days
    los = np.array([s.left_bed - s.admitted for s in records.spells if 0 <= s.left_bed < horizon])
    days = np.minimum(np.floor(los), LOS_BINS - 1).astype(np.int64)
    return np.bincount(days, minlength=LOS_BINS)


def compute_indicators(records: Records, scenario: Scenario) -> dict[str, float]:
    """Every indicator of one replication, in the order of INDICATORS."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty groups give NaN, on purpose
        values = _compute(records, scenario)
    return {name: float(values[name]) for name in INDICATORS}


# ASCOF 2B(1): people discharged into FOLLOWED_SERVICES are followed up; in RESIDENTIAL_SERVICES they are not at home
FOLLOWED_SERVICES = frozenset({"reablement", "intermediate_care"})
RESIDENTIAL_SERVICES = frozenset({"intermediate_care", "care_home"})

SPELL_FIELDS: dict[str, type] = {
    **{f: float for f in ("arrival", "admitted", "optimised", "left_bed", "next_arrival")},
    **{f: int for f in ("patient", "band", "pathway")},
    **{f: bool for f in ("died", "diverted", "readmission")},
}
# the indicators do not need the age band (the spell listing does): each column costs a pass over every spell
INDICATOR_FIELDS = tuple(f for f in SPELL_FIELDS if f != "band")


def spell_table(records: Records, fields: tuple[str, ...] = INDICATOR_FIELDS) -> dict[str, np.ndarray]:
    """The spell records as columns of numbers (the named fields of SpellRecord), and the service as text."""
    spells, n = records.spells, len(records.spells)
    table = {f: np.fromiter(map(attrgetter(f), spells), SPELL_FIELDS[f], n) for f in fields}
    table["service"] = np.array([s.service for s in spells], dtype=object)
    return table


def stay_table(records: Records) -> dict[str, np.ndarray]:
    """The community stay records as columns."""
    stays, n = records.stays, len(records.stays)
    table = {
        f: np.fromiter(map(attrgetter(f), stays), float, n)
        for f in ("requested", "reserved", "started", "care_end", "released")
    }
    table["background"] = np.fromiter(map(attrgetter("background"), stays), bool, n)
    table["patient"] = np.fromiter(map(attrgetter("patient"), stays), int, n)
    table["service"] = np.array([s.service for s in stays], dtype=object)
    table["outcome"] = np.array([s.outcome for s in stays], dtype=object)
    return table


def readmission_followed_up(s: dict[str, np.ndarray], live: np.ndarray, horizon: float) -> np.ndarray:
    """Live discharges whose whole 30-day readmission window lies inside the run."""
    return live & (s["left_bed"] < horizon - READMISSION_WINDOW_DAYS)


def readmitted_within_window(s: dict[str, np.ndarray]) -> np.ndarray:
    """Spells followed by an emergency readmission within 30 days of leaving the bed."""
    return (s["next_arrival"] - s["left_bed"]) <= READMISSION_WINDOW_DAYS


def at_home_cohort(s: dict[str, np.ndarray], live: np.ndarray, horizon: float) -> np.ndarray:
    """ASCOF 2B(1) cohort: live discharges into reablement or rehabilitation whose day 91 lies inside the run."""
    return live & (s["left_bed"] < horizon - AT_HOME_DAY) & np.isin(s["service"], list(FOLLOWED_SERVICES))


def at_home_after(
    records: Records, s: dict[str, np.ndarray], st: dict[str, np.ndarray], cohort: np.ndarray
) -> np.ndarray:
    """For each spell of the cohort: was the person at home 91 days after leaving the bed?

    At home means alive, not in hospital (nor sent elsewhere for want of a
    bed) and not in a care home or an intermediate care bed; reablement and
    home care happen at home. Where a person is on a day comes from the
    records (s: spell_table, st: stay_table): the last spell of theirs to
    begin on or before it and the last community stay to begin on or before
    it, each either over by then or not, and when they died (records.deaths).
    """
    return at_home_on(records, s, st, s["patient"][cohort], s["left_bed"][cohort] + AT_HOME_DAY)


def at_home_on(
    records: Records, s: dict[str, np.ndarray], st: dict[str, np.ndarray], who: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Was each person `who` at home (ASCOF 2B(1), see at_home_after) at the time `day`?

    Before a person's first spell they are nowhere the model knows of: not at home.
    """
    spell = last_begun(s["patient"], s["arrival"], who, day)
    known = spell >= 0
    if not known.any():
        return known
    # a spell not over by the day: still in hospital, or diverted (gone elsewhere, left_bed never set)
    in_hospital = known & ~(s["left_bed"][np.where(known, spell, 0)] <= day)
    begun = ~st["background"] & ~np.isnan(st["started"])
    stays = {name: st[name][begun] for name in ("patient", "started", "released", "service")}
    stay = last_begun(stays["patient"], stays["started"], who, day)
    in_residential_care = np.zeros(len(who), dtype=bool)
    if len(stays["started"]):  # a place held (to its release, bridging included) in a care home or intermediate care
        held = np.where(stay >= 0, stay, 0)
        residential = np.isin(stays["service"][held], list(RESIDENTIAL_SERVICES))
        in_residential_care = (stay >= 0) & residential & ~(stays["released"][held] <= day)
    died = records.deaths
    dead = np.array([died.get(person, math.inf) for person in who.tolist()], dtype=float) <= day
    return known & ~(in_hospital | in_residential_care | dead)


def last_begun(person: np.ndarray, start: np.ndarray, query_person: np.ndarray, query_day: np.ndarray) -> np.ndarray:
    """For each query, the index of that person's last record (person, start) to begin on or before the day; -1: none.

    Records and queries are put in one order, by person and then time, a query
    after any record that begins at its very time; the last record at or
    before each place in that order is then a running maximum, and it answers
    the query if it is the same person's.
    """
    people = np.concatenate([person, query_person])
    is_query = np.arange(len(people)) >= len(person)
    order = np.lexsort((is_query, np.concatenate([start, query_day]), people))
    place = np.arange(len(order))
    last = order[np.maximum.accumulate(np.where(is_query[order], 0, place))]  # 0 until a first record
    answers = np.flatnonzero(is_query[order])
    found = last[answers]
    mine = ~is_query[found] & (people[found] == people[order[answers]])
    result = np.full(len(query_person), -1)
    result[order[answers] - len(person)] = np.where(mine, found, -1)
    return result


def time_in_horizon(start: np.ndarray, end: np.ndarray, horizon: float) -> float:
    """Total days of the intervals [start, end) inside [0, horizon); an unfinished interval runs to the end."""
    started = ~np.isnan(start)
    end = np.where(np.isnan(end), horizon, end)[started]
    start = start[started]
    return float(np.clip(np.minimum(end, horizon) - np.maximum(start, 0.0), 0.0, None).sum())


def beds_available_days(scenario: Scenario) -> float:
    """Integral of beds available over the horizon (bed counts change only at midnight)."""
    horizon = scenario.run.horizon_days
    days = np.arange(math.ceil(horizon), dtype=float)
    weights = np.minimum(horizon - days, 1.0)
    beds = np.array([scenario.acute.beds_in_month(m) for m in range(1, 13)])[month(days) - 1]
    return float((beds * weights).sum())


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _compute(records: Records, scenario: Scenario) -> dict[str, float]:
    horizon = records.horizon_days
    per_year = 365.0 / horizon
    s = spell_table(records)

    requested = (s["arrival"] >= 0) & (s["arrival"] < horizon)
    # by the time of admission, so patients boarding at day 0 count: then
    # occupancy = admission rate x mean LOS holds (Little's law) without edge terms
    admitted = (s["admitted"] >= 0) & (s["admitted"] < horizon)
    ended = (s["left_bed"] >= 0) & (s["left_bed"] < horizon)
    live = ended & ~s["died"]
    los = s["left_bed"] - s["admitted"]
    delay = s["left_bed"] - s["optimised"]
    wait_days = s["admitted"] - s["arrival"]

    out: dict[str, float] = {
        "admissions_per_year": admitted.sum() * per_year,
        "diverted_per_year": (requested & s["diverted"]).sum() * per_year,
        "diverted_share": (requested & s["diverted"]).sum() / requested.sum() if requested.any() else math.nan,
        "mean_los_days": _mean(los[ended]),
        "median_los_days": float(np.median(los[ended])) if ended.any() else math.nan,
        "p90_los_days": float(np.percentile(los[ended], 90)) if ended.any() else math.nan,
        "stranded_7d_share": _mean(los[ended] >= 7),
        "superstranded_21d_share": _mean(los[ended] >= 21),
        "mean_delay_days": _mean(delay[live]),
        "mean_bed_wait_hours": _mean(wait_days[admitted]) * 24,
        "waited_for_bed_share": _mean(wait_days[admitted] > 0),
        "mean_los_from_request_days": _mean((s["left_bed"] - s["arrival"])[ended]),
        "in_hospital_mortality_rate": _mean(s["died"][ended]),
    }
    for index, p in enumerate(PATHWAYS):
        on = live & (s["pathway"] == index)
        out[f"mean_los_days_{p}"] = _mean(los[on])
        out[f"mean_delay_days_{p}"] = _mean(delay[on])
        out[f"pathway_share_{p}"] = on.sum() / live.sum() if live.any() else math.nan

    delayed_days = time_in_horizon(s["optimised"], s["left_bed"], horizon)
    out["delayed_bed_days_per_year"] = delayed_days * per_year
    out["delayed_patients_mean"] = delayed_days / horizon
    occupied_days = time_in_horizon(s["admitted"], s["left_bed"], horizon)
    out["bed_days_per_year"] = occupied_days * per_year
    out["mean_occupancy_pct"] = 100 * occupied_days / beds_available_days(scenario)
    long_stay_days = time_in_horizon(s["admitted"] + 21, s["left_bed"], horizon)
    out["superstranded_21d_bed_share"] = long_stay_days / occupied_days if occupied_days else math.nan

    census = np.array(records.census, dtype=float).reshape(-1, len(CENSUS_COLUMNS))
    occupancy = census[:, CENSUS_COLUMNS.index("beds_occupied")] / census[:, CENSUS_COLUMNS.index("beds_available")]
    out["days_over_92pct_share"] = _mean(occupancy > 0.92)
    out["days_at_100pct_share"] = _mean(occupancy >= 1.0)

    waiting = ~s["diverted"]  # a diverted request never waits
    out["bed_queue_mean"] = time_in_horizon(s["arrival"][waiting], s["admitted"][waiting], horizon) / horizon
    out["bed_queue_end"] = float((waiting & (s["arrival"] < horizon) & ~(s["admitted"] < horizon)).sum())
    arrived = census[:, CENSUS_COLUMNS.index("arrived")]
    demand = float(arrived[-1] - arrived[0]) if len(arrived) else 0.0
    out["bed_unstable_share"] = float(grows_without_bound(census[:, CENSUS_COLUMNS.index("bed_queue")], demand))

    out["readmissions_per_year"] = (admitted & s["readmission"]).sum() * per_year
    out["readmission_30d_rate"] = _mean(readmitted_within_window(s)[readmission_followed_up(s, live, horizon)])
    st = stay_table(records)
    out["at_home_91d_rate"] = _mean(at_home_after(records, s, st, at_home_cohort(s, live, horizon)))
    out.update(_community_indicators(st, records, scenario, occupied_days))
    out["unstable_share"] = max(out["unstable_share"], out["bed_unstable_share"])
    return out


def _community_indicators(
    st: dict[str, np.ndarray], records: Records, scenario: Scenario, occupied_days: float
) -> dict[str, float]:
    """Use, waits and outcomes of the community services, and what all care costs."""
    horizon = records.horizon_days
    per_year = 365.0 / horizon
    cohort = ~st["background"]
    services = scenario.services
    capacity = {
        "reablement": services.reablement.place_count(),
        "home_care": services.home_care.packages,
        "intermediate_care": services.intermediate_care.places,
        "care_home": services.care_home.places or math.inf,
    }
    costs = scenario.costs
    cost_per_day = {
        "reablement": costs.reablement_place_day,
        "home_care": costs.home_care_hour * services.home_care.hours_per_week / 7,
        "intermediate_care": costs.intermediate_care_bed_day,
        "care_home": costs.care_home_week / 7,
    }
    out: dict[str, float] = {}
    census = np.array(records.census, dtype=float).reshape(-1, len(CENSUS_COLUMNS))
    for service in SERVICES:
        on = st["service"] == service
        # waiting: asked for a place, not yet given one (nor the request withdrawn at a readmission)
        stopped_waiting = np.where(np.isnan(st["reserved"]), st["released"], st["reserved"])[on]
        out[f"{service}_queue_mean"] = time_in_horizon(st["requested"][on], stopped_waiting, horizon) / horizon
        out[f"{service}_queue_end"] = float(((st["requested"][on] < horizon) & ~(stopped_waiting < horizon)).sum())
        asked = float((on & (st["requested"] >= 0) & (st["requested"] < horizon)).sum())
        out[f"{service}_unstable_share"] = float(grows_without_bound(census[:, CENSUS_COLUMNS.index(f"{service}_queue")], asked))
        held = time_in_horizon(st["reserved"][on], st["released"][on], horizon)
        out[f"{service}_utilisation_pct"] = 100 * held / (capacity[service] * horizon) if capacity[service] < math.inf else math.nan
        got = on & cohort & (st["reserved"] >= 0) & (st["reserved"] < horizon)
        out[f"{service}_mean_wait_days"] = _mean((st["reserved"] - st["requested"])[got])
        used = time_in_horizon(st["started"][on & cohort], st["released"][on & cohort], horizon)
        out[f"cost_{service}_per_year"] = used * cost_per_day[service] * per_year

    reablement = st["service"] == "reablement"
    finished = reablement & cohort & (st["released"] >= 0) & (st["released"] < horizon)
    independent = (finished & (st["outcome"] == "independent")).sum()
    completers = independent + (finished & (st["outcome"] == "home_care")).sum()
    out["reablement_independent_share"] = independent / completers if completers else math.nan
    out["bridging_days_per_year"] = time_in_horizon(st["care_end"][reablement], st["released"][reablement], horizon) * per_year

    out["unstable_share"] = float(any(out[f"{service}_unstable_share"] for service in SERVICES))
    out["cost_acute_per_year"] = occupied_days * costs.acute_bed_day * per_year
    out["cost_total_per_year"] = sum(out[f"cost_{setting}_per_year"] for setting in ("acute", *SERVICES))
    out["cost_programme_per_year"] = costs.programme_per_year
    out["cost_net_per_year"] = out["cost_total_per_year"] + costs.programme_per_year
    return out
