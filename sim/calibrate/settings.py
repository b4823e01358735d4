"""Fit settings: the scenario to start from, the free parameters, the targets and the budget.

A free parameter is one number the optimiser moves between bounds. It either
sets every key path it names to that value (`mode: value`, e.g. acute.beds) or
multiplies each key path's value in the start scenario by it (`mode: scale`,
e.g. all three age bands' arrival rates at once, keeping their proportions).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.calibrate.targets import Target, load_targets
from sim.errors import InputError
from sim.scenario import Scenario, load_scenario, scenario_hash
from sim.scenario.load import MISSING, file_error, read_yaml_mapping, value_at
from sim.scenario.schema import NAME_PATTERN


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FreeParameter(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_]+$", description="Short name, used in tables")
    keys: list[str] = Field(min_length=1, description="Dotted key paths in the scenario this parameter sets")
    mode: Literal["value", "scale"] = Field(
        default="value", description="value: set each key to the parameter; scale: multiply each key's start value by it"
    )
    low: float = Field(description="Lowest value the optimiser may try")
    high: float = Field(description="Highest value the optimiser may try")
    start: float | None = Field(
        default=None, description="Starting value (default: the start scenario's value of the first key, or 1 for a scale)"
    )
    integer: bool = Field(default=False, description="Round to a whole number when set (capacities such as beds)")

    @model_validator(mode="after")
    def _bounds(self) -> FreeParameter:
        if not self.low < self.high:
            raise ValueError(f"low {self.low:g} is not below high {self.high:g}; expected low < high")
        if self.start is not None and not self.low <= self.start <= self.high:
            raise ValueError(f"start {self.start:g} is outside [{self.low:g}, {self.high:g}]; expected a value within the bounds")
        if self.integer and self.mode == "scale":
            raise ValueError("integer applies to mode: value only; expected integer: false for a scale")
        return self


class Optimiser(Strict):
    method: Literal["least_squares"] = Field(
        default="least_squares",
        description="scipy.optimize.least_squares (trust region reflective, bounded) on the targets' z-scores",
    )
    max_evaluations: int = Field(default=60, ge=2, description="Budget: distinct parameter points simulated")
    step: float = Field(
        default=0.05, gt=0, le=0.25,
        description="Finite-difference step, as a share of each parameter's range (large: the objective is a simulation)",
    )
    tolerance: float = Field(default=1e-3, gt=0, description="Stop when a step moves parameters less than this share of their range")


class CalibrationSettings(Strict):
    name: str = Field(pattern=NAME_PATTERN, description="Names the results folder")
    scenario: str = Field(description="Start scenario file, relative to this file")
    targets: str = Field(description="Targets file, relative to this file")
    parameters: list[FreeParameter] = Field(min_length=1)
    weights: dict[str, float] = Field(
        default_factory=dict, description="Weight of a target's squared z-score, by indicator (default 1; 0 leaves it out)"
    )
    replications: int = Field(ge=2, description="Replications per evaluation (the same ones every time: common random numbers)")
    seed: int | None = Field(default=None, ge=0, description="Master seed (default: the scenario's)")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Run settings for the evaluations only, by key path (e.g. run.warmup_days); not written to the calibrated scenario",
    )
    optimiser: Optimiser = Field(default_factory=Optimiser)

    @field_validator("weights")
    @classmethod
    def _non_negative(cls, weights: dict[str, float]) -> dict[str, float]:
        for indicator, weight in weights.items():
            if weight < 0:
                raise ValueError(f"weight of {indicator!r} is {weight:g}; expected 0 or more")
        return weights

    @model_validator(mode="after")
    def _unique_names(self) -> CalibrationSettings:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names {names} repeat; expected unique names")
        return self


class Calibration:
    """Settings resolved against their files: the start scenario, the targets, each parameter's start values."""

    def __init__(
        self, settings: CalibrationSettings, path: Path, targets: list[Target], start: Scenario, changes: list[str]
    ) -> None:
        self.settings = settings
        self.changes = changes  # --set: values changed in the start scenario
        self.path = path
        self.targets = [t for t in targets if settings.weights.get(t.indicator, 1.0) > 0]
        self.weights = [settings.weights.get(t.indicator, 1.0) for t in self.targets]
        self.start = start  # with the evaluation run settings, seed and replications applied
        self.scenario_file = path.parent / settings.scenario
        self.parameters = settings.parameters
        tree = start.model_dump(mode="json")
        self.key_values = {key: value_at(tree, key) for p in self.parameters for key in p.keys}
        self.start_values = {p.name: self._start_value(p) for p in settings.parameters}

    def _start_value(self, parameter: FreeParameter) -> float:
        if parameter.start is not None:
            return parameter.start
        if parameter.mode == "scale":
            return 1.0
        return min(max(float(self.key_values[parameter.keys[0]]), parameter.low), parameter.high)

    def overrides(self, values: dict[str, float]) -> list[str]:
        """`--set` assignments putting the parameter values into the scenario."""
        assignments = []
        for parameter in self.parameters:
            value = values[parameter.name]
            for key in parameter.keys:
                if parameter.mode == "scale":
                    setting: float | int = self.key_values[key] * value
                else:
                    setting = round(value) if parameter.integer else value
                assignments.append(f"{key}={json.dumps(setting)}")
        return assignments

    def scenario_at(self, values: dict[str, float]) -> Scenario:
        """The start scenario (with evaluation settings) at these parameter values."""
        try:
            return load_scenario(
                self.scenario_file, [*self.changes, *evaluation_assignments(self.settings), *self.overrides(values)]
            )
        except InputError as error:
            raise InputError(f"{self.path}: parameters: values {values} make an invalid scenario: {error}") from None

    def fingerprint(self) -> str:
        """What evaluation results depend on: the start scenario with the run settings (not bounds or budget)."""
        return hashlib.sha256(scenario_hash(self.start).encode()).hexdigest()


def load_calibration(
    path: str | Path, max_evaluations: int | None = None, replications: int | None = None,
    seed: int | None = None, changes: list[str] | None = None,
) -> Calibration:
    """Read and check the settings, the targets and the start scenario; InputError naming file and key if wrong.

    The command line's --max-evaluations, --replications and --seed replace the
    settings' values; its --set `changes` alter the start scenario itself (and
    so the calibrated scenario built on it).
    """
    path = Path(path)
    data = read_yaml_mapping(path)
    if max_evaluations is not None:
        data.setdefault("optimiser", {})
        if isinstance(data["optimiser"], dict):
            data["optimiser"]["max_evaluations"] = max_evaluations
    for key, value in (("replications", replications), ("seed", seed)):
        if value is not None:
            data[key] = value
    try:
        settings = CalibrationSettings.model_validate(data)
    except ValidationError as error:
        raise file_error(error, path, CalibrationSettings) from None
    for key, file in (("scenario", settings.scenario), ("targets", settings.targets)):
        if not (path.parent / file).is_file():
            raise InputError(f"{path}: {key}: file {file!r} not found (looked for {path.parent / file})")
    targets = load_targets(path.parent / settings.targets)
    known = {t.indicator for t in targets}
    for indicator in settings.weights:
        if indicator not in known:
            raise InputError(f"{path}: weights.{indicator}: not a target in {settings.targets}; expected one of {sorted(known)}")
    try:
        start = load_scenario(path.parent / settings.scenario, [*(changes or []), *evaluation_assignments(settings)])
    except InputError as error:
        raise InputError(f"{path}: set: {error}") from None
    tree = start.model_dump(mode="json")
    for index, parameter in enumerate(settings.parameters):
        for key in parameter.keys:
            value = value_at(tree, key)
            if value is MISSING:
                raise InputError(
                    f"{path}: parameters.{index}.keys: key path {key!r} is not in the scenario; "
                    "expected a dotted key path such as acute.beds (see `python -m sim schema`)"
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    f"{path}: parameters.{index}.keys: key path {key!r} holds {value!r} in {settings.scenario}; "
                    "expected the key path of a number in the scenario"
                )
    calibration = Calibration(settings, path, targets, start, changes or [])
    if not calibration.targets:
        raise InputError(f"{path}: weights: every target has weight 0; expected at least one to fit")
    calibration.scenario_at(calibration.start_values)  # the start point must be a valid scenario
    return calibration


def evaluation_assignments(settings: CalibrationSettings) -> list[str]:
    """`--set` assignments for the evaluations only: the settings' run overrides, replications and seed."""
    assignments = [f"{k}={json.dumps(v)}" for k, v in settings.set.items()]
    assignments.append(f"run.replications={settings.replications}")
    if settings.seed is not None:
        assignments.append(f"run.seed={settings.seed}")
    return assignments
