"""Global sensitivity: which uncertain parameters the indicators hang on (SALib: Morris or Sobol).

The sample points are scenarios like any other: each is the configured
scenario with the sampled values set, run on the batch machinery (same
workers, dask option and resumable task store) with the same seed and
replication numbers (common random numbers, so differences between points
come from the parameters, not from noise). The indicator of a point is its
mean over replications.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.batch.plan import Plan
from sim.errors import InputError
from sim.executors import executor
from sim.indicators import INDICATORS
from sim.files import write_atomically, write_tables
from sim.runner import run_missing_tasks
from sim.scenario import Scenario, load_scenario
from sim.scenario.load import MISSING, Override, file_error, read_yaml_mapping, split_assignment, value_at
from sim.scenario.schema import NAME_PATTERN
from sim.store import TaskStore

SENSITIVITY_COLUMNS = ["parameter", "indicator", "method", "index", "value", "ci_low", "ci_high"]


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    key: str = Field(description="Dotted key path in the scenario, e.g. acute.beds")
    low: float = Field(description="Lowest value tried")
    high: float = Field(description="Highest value tried")
    integer: bool = Field(default=False, description="Round sampled values to whole numbers (capacities)")
    balance: str | None = Field(
        default=None,
        description="Key path that moves the other way to keep a sum (e.g. the home care share of reablement outcomes)",
    )

    @model_validator(mode="after")
    def _range(self) -> Parameter:
        if not self.low < self.high:
            raise ValueError(f"low {self.low:g} is not below high {self.high:g}; expected low < high")
        return self


class SensitivityConfig(BaseModel):
    """What to vary, within which ranges, and what to look at."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(pattern=NAME_PATTERN)
    scenario: str = Field(description="Scenario file, relative to this file")
    parameters: list[Parameter] = Field(min_length=2)
    indicators: list[str] = Field(min_length=1)
    method: Literal["morris", "sobol"] = "morris"
    samples: int = Field(ge=2, description="Morris: trajectories; Sobol: base sample size N (a power of 2)")
    replications: int = Field(ge=1, description="Replications per sample point")
    seed: int = Field(ge=0)
    num_levels: int = Field(default=4, ge=2, description="Morris grid levels")
    set: dict[str, Any] = Field(default={}, description="Values changed in the scenario before sampling, by key path")

    @field_validator("indicators")
    @classmethod
    def _known(cls, indicators: list[str]) -> list[str]:
        for name in indicators:
            if name not in INDICATORS:
                raise ValueError(f"unknown indicator {name!r}; expected names from the indicator table (README)")
        return indicators


def load_config(
    path: str | Path, method: str | None = None, samples: int | None = None, replications: int | None = None,
    seed: int | None = None, overrides: list[str] | None = None,
) -> tuple[SensitivityConfig, Path]:
    """Read and check a sensitivity config; the command line's options replace (or, --set, add to) its values."""
    path = Path(path)
    data = read_yaml_mapping(path)
    for key, value in (("method", method), ("samples", samples), ("replications", replications), ("seed", seed)):
        if value is not None:
            data[key] = value
    if overrides:
        changes = data.get("set") if isinstance(data.get("set"), dict) else {}
        data["set"] = {**changes, **dict(split_assignment(o) for o in overrides)}
    try:
        return SensitivityConfig.model_validate(data), path
    except ValidationError as error:
        raise file_error(error, path, SensitivityConfig) from None


def problem_of(config: SensitivityConfig) -> dict:
    return {
        "num_vars": len(config.parameters),
        "names": [p.key for p in config.parameters],
        "bounds": [[p.low, p.high] for p in config.parameters],
    }


def sample_points(config: SensitivityConfig) -> np.ndarray:
    """The parameter values to run, one row per point; reproducible from the seed."""
    problem = problem_of(config)
    if config.method == "morris":
        return morris_sample.sample(problem, config.samples, num_levels=config.num_levels, seed=config.seed)
    return sobol_sample.sample(problem, config.samples, calc_second_order=False, seed=config.seed)


def point_scenarios(config: SensitivityConfig, config_path: Path, points: np.ndarray) -> dict[str, Scenario]:
    """One scenario per sample point, with the sampled values set."""
    scenario_file = config_path.parent / config.scenario
    if not scenario_file.is_file():
        raise InputError(f"{config_path}: scenario: file {config.scenario!r} not found (looked for {scenario_file})")
    common = [f"run.replications={config.replications}", f"run.seed={config.seed}",
              *(Override(f"{k}={json.dumps(v)}", "set", config_path.parent) for k, v in config.set.items())]
    try:
        base = load_scenario(scenario_file, common).model_dump(mode="json")
    except InputError as error:
        raise InputError(f"{config_path}: {error}") from None
    scenarios = {}
    for index, row in enumerate(points):
        values = []
        for parameter, value in zip(config.parameters, row, strict=True):
            value = round(value) if parameter.integer else float(value)
            values.append(f"{parameter.key}={json.dumps(value)}")
            if parameter.balance:  # keep the sum: what one gains, the other loses
                shift = value - _value_at(base, parameter.key, config_path)
                values.append(f"{parameter.balance}={json.dumps(_value_at(base, parameter.balance, config_path) - shift)}")
        name = f"point-{index:05d}"
        try:
            scenarios[name] = load_scenario(scenario_file, [*common, *values, f"name={name}"])
        except InputError as error:
            raise InputError(f"{config_path}: parameters: a sampled point is not a valid scenario: {error}") from None
    return scenarios


def _value_at(tree: dict, key_path: str, config_path: Path) -> float:
    value = value_at(tree, key_path)
    if value is MISSING:
        raise InputError(f"{config_path}: parameters: key path {key_path!r} is not in the scenario")
    return value


def analyse(config: SensitivityConfig, points: np.ndarray, outputs: pd.DataFrame) -> pd.DataFrame:
    """SALib's indices per parameter and indicator, with their confidence intervals."""
    problem = problem_of(config)
    rows = []
    for indicator in config.indicators:
        y = outputs[indicator].to_numpy()
        if config.method == "morris":
            result = morris_analyze.analyze(problem, points, y, num_levels=config.num_levels, seed=config.seed)
            for i, key in enumerate(problem["names"]):
                mu_star, conf = float(result["mu_star"][i]), float(result["mu_star_conf"][i])
                rows.append((key, indicator, "morris", "mu_star", mu_star, mu_star - conf, mu_star + conf))
                rows.append((key, indicator, "morris", "sigma", float(result["sigma"][i]), np.nan, np.nan))
        else:
            result = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=config.seed)
            for i, key in enumerate(problem["names"]):
                for index in ("S1", "ST"):
                    value, conf = float(result[index][i]), float(result[f"{index}_conf"][i])
                    rows.append((key, indicator, "sobol", index, value, value - conf, value + conf))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def run_sensitivity(
    config: SensitivityConfig, config_path: Path, out_dir: Path, workers: int = 1,
    scheduler: str | None = None, progress: bool = True, parquet: bool = False,
) -> pd.DataFrame:
    """Sample, run every point (resumably), analyse; write sensitivity.csv, points.csv and a chart per indicator."""
    points = sample_points(config)
    plan = Plan(f"{config.name}-{config.method}", point_scenarios(config, config_path, points),
                config.replications, config.seed, [])
    store = TaskStore(out_dir, plan.name, plan.fingerprint())
    with executor(workers, scheduler) as pool:
        run_missing_tasks(plan.tasks(), store, pool, progress, plan.name)
    outputs = pd.DataFrame(
        [
            {name: np.mean([store.load(scenario, r).indicators[name] for r in range(plan.replications)]) for name in config.indicators}
            for scenario in plan.scenarios
        ]
    )
    table = analyse(config, points, outputs)
    sampled = pd.DataFrame(points, columns=[p.key for p in config.parameters]).join(outputs)
    write_tables(out_dir, {"sensitivity.csv": table, "points.csv": sampled}, parquet)
    for indicator in config.indicators:
        write_chart(table[table.indicator == indicator], out_dir / f"sensitivity_{indicator}.png")
    return table


def write_chart(rows: pd.DataFrame, path: Path) -> None:
    """A tornado-style bar chart: parameters by importance, with the index's interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    main_index = "mu_star" if (rows["index"] == "mu_star").any() else "ST"
    shown = rows[rows["index"] == main_index].sort_values("value")
    from sim.report.figures import PAGE_WIDTH

    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 0.5 * len(shown) + 1.5))
    errors = [shown.value - shown.ci_low, shown.ci_high - shown.value]
    axes.barh(shown.parameter, shown.value, xerr=errors, color="0.45", ecolor="black", capsize=3)
    indicator = rows.indicator.iloc[0]
    label = "Morris mu* (mean |effect| of a step across the range)" if main_index == "mu_star" else "Sobol total index ST"
    axes.set_xlabel(f"{label}, in units of {INDICATORS[indicator][0]}" if main_index == "mu_star" else label)
    axes.set_title(f"What drives {indicator.replace('_', ' ')}")
    figure.tight_layout()
    write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    plt.close(figure)
