"""The scenario format: one pydantic class per YAML section.

Every field says its unit and what it means; both appear in the JSON Schema
(`python -m sim schema`), so an analyst's editor can show them. Models are
frozen and refuse unknown keys: a typo in a scenario is an error, never a
silently ignored value. Durations are in days, rates per day, shares 0-1.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

PATHWAYS = ("p0", "p1", "p2", "p3")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PROBABILITY_SUM_TOLERANCE = 1e-6
# Names that become folder names: scenarios, batches, sensitivity runs, calibrations.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.=+-]*$"
NAME_RULE = "letters, digits and . _ = + - only (no spaces), starting with a letter or digit"


def param(unit: str, description: str, **kwargs: Any) -> Any:
    """A field whose unit is shown both in its description and as `unit`."""
    return Field(
        description=f"{description} [{unit}]",
        json_schema_extra={"unit": unit},
        **kwargs,
    )


class Section(BaseModel):
    """Base of every scenario section: frozen, strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --- distributions of durations ------------------------------------------------


class MeanAndSd(Section):
    """A duration given by its mean and standard deviation."""

    mean: float = param("days", "Mean duration", gt=0)
    sd: float = param("days", "Standard deviation of the duration", gt=0)


class Lognormal(MeanAndSd):
    """Right-skewed duration given by its mean and standard deviation."""

    distribution: Literal["lognormal"]


class Exponential(Section):
    """Memoryless duration given by its mean (M/M/c validation uses it)."""

    distribution: Literal["exponential"]
    mean: float = param("days", "Mean duration", gt=0)


class Gamma(MeanAndSd):
    """Gamma-distributed duration given by its mean and standard deviation."""

    distribution: Literal["gamma"]


class Fixed(Section):
    """The same duration for everyone (zero switches a step off)."""

    distribution: Literal["fixed"]
    value: float = param("days", "Duration", ge=0)


class Empirical(Section):
    """A table of durations and their probabilities, e.g. from local data."""

    distribution: Literal["empirical"]
    values: list[float] = param("days", "Durations observed", min_length=1)
    probabilities: list[float] = param(
        "share 0-1", "Probability of each duration, in the same order; sums to 1", min_length=1
    )

    @model_validator(mode="after")
    def _table_is_consistent(self) -> Empirical:
        if len(self.values) != len(self.probabilities):
            raise ValueError(
                f"values has {len(self.values)} entries but probabilities has "
                f"{len(self.probabilities)}; expected the same number"
            )
        if any(v < 0 for v in self.values):
            raise ValueError("values must be durations of 0 days or more")
        if any(not 0 <= p <= 1 for p in self.probabilities):
            raise ValueError("probabilities must each be between 0 and 1")
        total = sum(self.probabilities)
        if abs(total - 1) > PROBABILITY_SUM_TOLERANCE:
            raise ValueError(f"probabilities sum to {total:g}; expected 1")
        return self


Distribution = Annotated[
    Lognormal | Exponential | Gamma | Fixed | Empirical,
    Field(discriminator="distribution"),
]
DISTRIBUTION_KINDS = ("lognormal", "exponential", "gamma", "fixed", "empirical")


class ByPathway(Section):
    """One duration distribution per discharge pathway."""

    p0: Distribution = Field(description="Pathway 0: home, no new support")
    p1: Distribution = Field(description="Pathway 1: home with support (reablement)")
    p2: Distribution = Field(description="Pathway 2: bed-based intermediate care")
    p3: Distribution = Field(description="Pathway 3: care home placement")

    def of(self, pathway: str) -> Distribution:
        return getattr(self, pathway)


ZERO_DAYS = {"distribution": "fixed", "value": 0.0}


class Split(Section):
    """Probabilities of mutually exclusive outcomes, one field each: each 0-1, summing to 1."""

    @model_validator(mode="after")
    def _sums_to_one(self) -> Split:
        total = sum(self.as_list())
        if abs(total - 1) > PROBABILITY_SUM_TOLERANCE:
            raise ValueError(f"{'+'.join(type(self).model_fields)} = {total:g}; expected 1")
        return self

    def as_list(self) -> list[float]:
        return [getattr(self, name) for name in type(self).model_fields]


# --- sections --------------------------------------------------------------------


class Run(Section):
    """How long to simulate and with which seed."""

    start_year: int = param("year", "Calendar year whose 1 January (a Monday by convention) opens the horizon", ge=1900, le=2200)
    warmup_days: float = param("days", "Simulated before the horizon to fill the system; results discarded", ge=0)
    horizon_days: float = param("days", "Simulated time whose results are kept", gt=0)
    replications: int = param("count", "Independent replications (overridden by --replications)", ge=1)
    seed: int = param("integer", "Master seed; every random stream derives from it", ge=0)


class Demand(Section):
    """Non-elective admissions of the 65+ cohort: a non-homogeneous Poisson process."""

    arrivals_per_day: dict[str, float] = param(
        "admissions/day", "Base rate of emergency admission requests per age band (factor 1 days)"
    )
    day_of_week_factors: list[float] = param(
        "multiplier", "Rate multiplier Monday..Sunday", min_length=7, max_length=7, default=[1.0] * 7
    )
    month_factors: list[float] = param(
        "multiplier", "Rate multiplier January..December", min_length=12, max_length=12, default=[1.0] * 12
    )
    growth_per_year: float = param(
        "fraction/year", "Compound demand growth g: rate x (1+g)^(t/365), t from 1 January of start_year", gt=-1, default=0.0
    )
    admission_avoidance_share: float = param(
        "share 0-1", "Share of admission requests avoided by community services", ge=0, lt=1, default=0.0
    )

    @field_validator("arrivals_per_day")
    @classmethod
    def _rates_not_negative(cls, rates: dict[str, float]) -> dict[str, float]:
        for band, rate in rates.items():
            if rate < 0 or not math.isfinite(rate):
                raise ValueError(f"rate for age band {band!r} is {rate}; expected a number of 0 or more")
        return rates

    @field_validator("day_of_week_factors", "month_factors")
    @classmethod
    def _factors_not_negative(cls, factors: list[float]) -> list[float]:
        if any(f < 0 for f in factors):
            raise ValueError("factors must be 0 or more")
        return factors


class Escalation(Section):
    """Extra (or, if negative, closed) beds in some calendar months, e.g. winter."""

    months: list[int] = param("month 1-12", "Months in which the change applies", min_length=1)
    extra_beds: int = param("beds", "Beds added (negative: removed) in those months")

    @field_validator("months")
    @classmethod
    def _months_valid(cls, months: list[int]) -> list[int]:
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError("months must be between 1 and 12")
        return months


class Acute(Section):
    """The acute bed pool the cohort uses (beds taken by others are left out)."""

    beds: int = param("beds", "Acute beds available to the cohort", gt=0)
    escalation: list[Escalation] = Field(default=[], description="Calendar changes to the bed count")
    when_full: Literal["wait", "divert"] = Field(
        default="wait",
        description="When no bed is free: 'wait' (FIFO boarding) or 'divert' elsewhere (a loss system)",
    )

    def beds_in_month(self, month: int) -> int:
        return self.beds + sum(e.extra_beds for e in self.escalation if month in e.months)

    @model_validator(mode="after")
    def _always_a_bed(self) -> Acute:
        for month in range(1, 13):
            if self.beds_in_month(month) < 1:
                raise ValueError(
                    f"escalation leaves {self.beds_in_month(month)} beds in month {month}; expected at least 1"
                )
        return self


class ClinicalStay(Section):
    """Time from admission to medically optimised for discharge."""

    by_pathway: ByPathway = Field(description="Distribution of the clinical stay for each pathway")
    age_band_factor: dict[str, float] = param(
        "multiplier", "Stays of each age band are scaled by this factor (missing band: 1)", default={}
    )

    @field_validator("age_band_factor")
    @classmethod
    def _factors_positive(cls, factors: dict[str, float]) -> dict[str, float]:
        for band, factor in factors.items():
            if factor <= 0:
                raise ValueError(f"factor for age band {band!r} is {factor}; expected more than 0")
        return factors


class InHospitalDeath(Section):
    """Deaths during the clinical stay."""

    probability: dict[str, float] = param("share 0-1", "Probability of dying in hospital, per age band")
    stay_before_death: Distribution = Field(description="Time from admission to death for those who die [days]")

    @field_validator("probability")
    @classmethod
    def _are_probabilities(cls, probabilities: dict[str, float]) -> dict[str, float]:
        for band, p in probabilities.items():
            if not 0 <= p <= 1:
                raise ValueError(f"probability for age band {band!r} is {p}; expected between 0 and 1")
        return probabilities


class PathwaySplit(Split):
    """Probabilities of the four discharge pathways; they sum to 1."""

    p0: float = param("share 0-1", "Home, no new support", ge=0, le=1)
    p1: float = param("share 0-1", "Home with support (reablement)", ge=0, le=1)
    p2: float = param("share 0-1", "Bed-based intermediate care", ge=0, le=1)
    p3: float = param("share 0-1", "Care home placement", ge=0, le=1)


class Pathways(Section):
    """Which pathway a surviving patient leaves by."""

    probabilities: dict[str, PathwaySplit] = Field(description="Pathway split for each age band")
    p1_home_care_share: float = param(
        "share 0-1", "Share of pathway-1 discharges planned for a long-term home care package, not reablement",
        ge=0, le=1, default=0.0,
    )


class Discharge(Section):
    """What stands between medically optimised and leaving the bed."""

    assessment: ByPathway = Field(
        default=ByPathway(p0=ZERO_DAYS, p1=ZERO_DAYS, p2=ZERO_DAYS, p3=ZERO_DAYS),
        description="Assessment time after medically optimised, before a place is sought [days]",
    )
    days: list[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]] = param(
        "weekday", "Days on which discharges happen", min_length=1, default=list(WEEKDAYS)
    )
    start_hour: float = param("hour 0-24", "Discharges happen from this hour", ge=0, lt=24, default=0.0)
    end_hour: float = param("hour 0-24", "...until this hour", gt=0, le=24, default=24.0)

    @model_validator(mode="after")
    def _window_valid(self) -> Discharge:
        if self.start_hour >= self.end_hour:
            raise ValueError(
                f"start_hour {self.start_hour:g} is not before end_hour {self.end_hour:g}; expected start_hour < end_hour"
            )
        if len(set(self.days)) != len(self.days):
            raise ValueError("days lists a weekday twice")
        return self


class ReablementOutcomes(Split):
    """What happens at the end of reablement; probabilities summing to 1."""

    independent: float = param("share 0-1", "No ongoing care needed", ge=0, le=1)
    home_care: float = param("share 0-1", "Needs a long-term home care package", ge=0, le=1)
    readmitted: float = param("share 0-1", "Readmitted to hospital as an emergency", ge=0, le=1)
    died: float = param("share 0-1", "Died", ge=0, le=1)


class IntermediateCareOutcomes(Split):
    """Where people go from an intermediate care bed; probabilities summing to 1."""

    home: float = param("share 0-1", "Home, no ongoing care", ge=0, le=1)
    home_care: float = param("share 0-1", "Home with a long-term home care package", ge=0, le=1)
    care_home: float = param("share 0-1", "Into a care home", ge=0, le=1)
    readmitted: float = param("share 0-1", "Readmitted to hospital as an emergency", ge=0, le=1)
    died: float = param("share 0-1", "Died", ge=0, le=1)


class Reablement(Section):
    """Pathway 1: short-term, goal-directed support at home (up to about six weeks)."""

    places: int | None = param("places", "People served at once; or give care_hours_per_week instead", gt=0, default=None)
    care_hours_per_week: float | None = param(
        "hours/week", "Capacity as care hours a week (places = hours / hours_per_person_per_week)", gt=0, default=None
    )
    hours_per_person_per_week: float | None = param(
        "hours/week/person", "Care hours one person receives a week", gt=0, default=None
    )
    duration: Distribution = Field(description="Length of the reablement episode [days]")
    outcomes: dict[str, ReablementOutcomes] = Field(
        default={}, description="Outcome probabilities per age band (a band not given: all independent)"
    )
    when_full: Literal["wait", "home_care"] = Field(
        default="wait", description="No place free: 'wait' for one, or take a free home care package instead"
    )

    @model_validator(mode="after")
    def _one_capacity(self) -> Reablement:
        by_hours = self.care_hours_per_week is not None or self.hours_per_person_per_week is not None
        if self.places is not None and by_hours:
            raise ValueError("give places, or care_hours_per_week with hours_per_person_per_week; expected not both")
        if self.places is None and (self.care_hours_per_week is None or self.hours_per_person_per_week is None):
            raise ValueError("no capacity: expected places, or care_hours_per_week with hours_per_person_per_week")
        if self.place_count() < 1:
            raise ValueError("care_hours_per_week / hours_per_person_per_week is below 1 place; expected at least 1")
        return self

    def place_count(self) -> int:
        if self.places is not None:
            return self.places
        return math.floor(self.care_hours_per_week / self.hours_per_person_per_week + 1e-9)


class HomeCareEnds(Section):
    """How long-term home care packages end, as yearly rates (competing risks)."""

    died: float = param("per year", "Death rate of people with a package", ge=0, default=0.0)
    care_home: float = param("per year", "Rate of moving into a care home", ge=0, default=0.0)
    readmitted: float = param("per year", "Rate of emergency readmission", ge=0, default=0.0)


class HomeCare(Section):
    """Long-term home care packages (domiciliary care)."""

    packages: int = param("packages", "Packages that can run at once for this cohort", gt=0)
    hours_per_week: float = param("hours/week", "Care hours in one package (for costs)", gt=0, default=10.0)
    end_rates_per_year: HomeCareEnds = Field(default=HomeCareEnds(), description="How packages end")
    clients_at_start: int = param(
        "packages",
        "Packages already in use when the warm-up starts (people outside the model; they end at the total end rate)",
        ge=0,
        default=0,
    )
    when_full: Literal["wait", "reablement"] = Field(
        default="wait", description="No package free for a pathway-1 patient: 'wait', or take a free reablement place"
    )

    @field_validator("clients_at_start")
    @classmethod
    def _clients_fit(cls, clients: int, info: ValidationInfo) -> int:
        packages = info.data.get("packages")
        if packages is not None and clients > packages:
            raise ValueError(f"{clients} clients but {packages} packages; expected at most packages")
        return clients


class IntermediateCare(Section):
    """Pathway 2: bed-based intermediate care / rehabilitation."""

    places: int = param("beds", "Intermediate care beds", gt=0)
    duration: Distribution = Field(description="Length of stay in the intermediate care bed [days]")
    outcomes: dict[str, IntermediateCareOutcomes] = Field(
        default={}, description="Where people go next, per age band (a band not given: all home)"
    )


class CareHomeEnds(Section):
    """How long-term care home stays end, as yearly rates (competing risks)."""

    died: float = param("per year", "Death rate of residents", ge=0, default=0.0)
    readmitted: float = param("per year", "Rate of emergency readmission of residents", ge=0, default=0.0)


class CareHome(Section):
    """Pathway 3 and moves from home care or intermediate care: long-term care home placement."""

    places: int | None = param("places", "Care home places for this cohort (none: no limit)", gt=0, default=None)
    placement_wait: Distribution = Field(
        default=Fixed(distribution="fixed", value=0.0),
        description="Time to arrange a placement, on top of any wait for a place [days]",
    )
    end_rates_per_year: CareHomeEnds = Field(default=CareHomeEnds(), description="How stays end")
    residents_at_start: int = param(
        "places", "Places already taken when the warm-up starts (people outside the model)", ge=0, default=0
    )

    @field_validator("residents_at_start")
    @classmethod
    def _residents_fit(cls, residents: int, info: ValidationInfo) -> int:
        places = info.data.get("places")
        if places is not None and residents > places:
            raise ValueError(f"{residents} residents but {places} places; expected at most places")
        return residents


class Services(Section):
    """Community services that people are discharged into."""

    reablement: Reablement = Field(description="Pathway 1: home-based reablement")
    home_care: HomeCare = Field(description="Long-term home care packages (pathway 1 and after reablement)")
    intermediate_care: IntermediateCare = Field(description="Pathway 2: intermediate care / rehabilitation beds")
    care_home: CareHome = Field(description="Pathway 3: care home placement")


SERVICE_OF_PATHWAY = {"p1": "reablement", "p2": "intermediate_care", "p3": "care_home"}
SERVICES = ("reablement", "home_care", "intermediate_care", "care_home")


class ProbabilityByPathway(Section):
    """A probability for each discharge pathway."""

    p0: float = param("share 0-1", "Pathway 0", ge=0, le=1, default=0.0)
    p1: float = param("share 0-1", "Pathway 1", ge=0, le=1, default=0.0)
    p2: float = param("share 0-1", "Pathway 2", ge=0, le=1, default=0.0)
    p3: float = param("share 0-1", "Pathway 3", ge=0, le=1, default=0.0)

    def as_list(self) -> list[float]:
        return [self.p0, self.p1, self.p2, self.p3]


class Readmission(Section):
    """Emergency readmission after a live discharge: a time-to-event process."""

    within_30_days: ProbabilityByPathway = Field(
        default=ProbabilityByPathway(), description="Probability of an emergency readmission within 30 days of discharge"
    )
    delay_effect_per_day: float = param(
        "fraction/day",
        "Deconditioning [ASSUMPTION]: the 30-day probability is raised by this fraction of itself per day of "
        "discharge delay (0 switches it off)",
        ge=0,
        default=0.0,
    )
    time_to_readmission: Distribution = Field(
        default=Exponential(distribution="exponential", mean=10.0),
        description="Days from discharge to readmission, for those readmitted (cut at 30 days) [days]",
    )

    @field_validator("time_to_readmission")
    @classmethod
    def _can_fall_within_30_days(cls, dist: Distribution) -> Distribution:
        from sim.distributions import cdf_of  # here, as sim.distributions reads this module

        if cdf_of(dist, 30.0) <= 0:
            raise ValueError("no chance of a time of 30 days or less; expected a distribution with mass within 30 days")
        return dist


class AfterDischarge(Section):
    """Deaths of people at home after discharge (other settings have their own rates)."""

    death_rate_per_year_at_home: float = param(
        "per year", "Death rate of people discharged home without a package", ge=0, default=0.0
    )


class Costs(Section):
    """Unit costs, to price the care the cohort uses (GBP)."""

    acute_bed_day: float = param("GBP/bed day", "One occupied acute bed day", ge=0, default=0.0)
    reablement_place_day: float = param(
        "GBP/place day", "One day of a person in reablement (from arrival to leaving, bridging included)", ge=0, default=0.0
    )
    home_care_hour: float = param("GBP/hour", "One hour of home care", ge=0, default=0.0)
    intermediate_care_bed_day: float = param("GBP/bed day", "One intermediate care bed day", ge=0, default=0.0)
    care_home_week: float = param("GBP/week", "One care home place for a week", ge=0, default=0.0)
    programme_per_year: float = param(
        "GBP/year",
        "What running the scenario's changes costs a year beyond the care used: staff, contracts, places paid for "
        "whether used or not (0 for a baseline that changes nothing)",
        ge=0, default=0.0,
    )
    bed_day_value: float | None = param(
        "GBP/bed day",
        "What a freed acute bed day is worth, for an option's net monetary benefit against this baseline "
        "(read from the baseline of a comparison; empty: acute_bed_day)",
        ge=0, default=None,
    )


CENSUS_PLACES = ("waiting_for_bed", "acute_bed", *SERVICES, "home")


class CensusEntry(Section):
    """One person where a census found them when the simulation starts (the start of the warm-up; day 0 without one)."""

    place: Literal["waiting_for_bed", "acute_bed", "reablement", "home_care", "intermediate_care", "care_home", "home"] = Field(
        description=(
            "Where the person is: waiting for a bed, in an acute bed, in a community service, or home (discharged "
            "alive in the last 30 days without a service and not readmitted yet: their readmission risk goes on)"
        )
    )
    age_band: str = Field(description="One of the scenario's age bands")
    pathway: Literal["p0", "p1", "p2", "p3", ""] = Field(
        default="", description="acute_bed: the discharge pathway if known (empty: drawn from the split)"
    )
    days: float = param(
        "days",
        "Time in the place so far: waiting, since admission (acute_bed), since the service began, or since discharge (home)",
        ge=0,
    )
    delayed_days: float = param(
        "days", "acute_bed: time since medically optimised (0: still in treatment); at most `days`", ge=0, default=0.0
    )

    @model_validator(mode="after")
    def _delay_within_stay(self) -> CensusEntry:
        if self.delayed_days > self.days:
            raise ValueError(f"delayed_days {self.delayed_days:g} is more than days {self.days:g}; expected at most days")
        if self.delayed_days > 0 and self.place != "acute_bed":
            raise ValueError(f"delayed_days is for place acute_bed only; got place {self.place!r}")
        if self.place == "home" and self.days > 30:
            raise ValueError(f"days {self.days:g} at home: expected at most 30 (only a pending 30-day readmission matters)")
        return self


class Scenario(Section):
    """A whole scenario: everything one run needs, and nothing else."""

    name: str = Field(
        description="Short name, used for the results folder",
        pattern=NAME_PATTERN,
        max_length=80,
    )
    description: str = Field(default="", description="What this scenario represents")
    run: Run
    age_bands: list[str] = Field(min_length=1, description="Names of the age bands of the cohort, e.g. 65-74")
    demand: Demand
    acute: Acute
    clinical_stay: ClinicalStay
    in_hospital_death: InHospitalDeath
    pathways: Pathways
    discharge: Discharge = Field(default=Discharge())
    services: Services
    readmission: Readmission = Field(default=Readmission())
    after_discharge: AfterDischarge = Field(default=AfterDischarge())
    costs: Costs = Field(default=Costs())
    census: list[CensusEntry] | str | None = Field(
        default=None,
        description=(
            "Start from a census instead of an empty system: in YAML, the file name of a census CSV (relative to "
            "the scenario file; columns place, age_band, pathway, days, delayed_days), read when the scenario "
            "loads. The census replaces clients_at_start and residents_at_start. People are placed when the "
            "simulation starts: with a warm-up, at its start."
        ),
    )

    @field_validator("census")
    @classmethod
    def _census_read(cls, census: list[CensusEntry] | str | None) -> list[CensusEntry] | None:
        if isinstance(census, str):  # sim.scenario.load reads the file named in YAML before validation
            raise ValueError("a census file name is read when a scenario file loads; expected the census itself here")
        return census

    @model_validator(mode="after")
    def _census_bands(self) -> Scenario:
        for index, entry in enumerate(self.census or []):
            if entry.age_band not in self.age_bands:
                raise ValueError(
                    f"census row {index + 2}: age band {entry.age_band!r} is not in age_bands; expected one of {self.age_bands}"
                )
        return self

    @model_validator(mode="after")
    def _age_bands_match(self) -> Scenario:
        if len(set(self.age_bands)) != len(self.age_bands):
            raise ValueError("age_bands: a band is listed twice")
        bands = set(self.age_bands)
        keyed = {
            "demand.arrivals_per_day": (self.demand.arrivals_per_day, True),
            "in_hospital_death.probability": (self.in_hospital_death.probability, True),
            "pathways.probabilities": (self.pathways.probabilities, True),
            "clinical_stay.age_band_factor": (self.clinical_stay.age_band_factor, False),
            "services.reablement.outcomes": (self.services.reablement.outcomes, False),
            "services.intermediate_care.outcomes": (self.services.intermediate_care.outcomes, False),
        }
        for path, (mapping, every_band_needed) in keyed.items():
            unknown = set(mapping) - bands
            if unknown:
                raise ValueError(
                    f"{path}: age band {sorted(unknown)[0]!r} is not in age_bands; expected one of {self.age_bands}"
                )
            missing = bands - set(mapping)
            if every_band_needed and missing:
                raise ValueError(f"{path}: age band {sorted(missing)[0]!r} has no value; expected one for every band")
        return self
