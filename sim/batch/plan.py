"""A batch file, and what it expands to: named scenarios, each run for the same replications and seed.

Every scenario of a batch is run with the batch's seed and replication
numbers, so replication r of every scenario sees the same patients (common
random numbers) and differences against the baseline are paired.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario, scenario_key
from sim.scenario.schema import NAME_PATTERN
from sim.scenario.load import MISSING, Override, file_error, read_yaml_mapping, value_at

BASELINE = "baseline"


class BatchSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ScenarioEntry(BatchSection):
    """One scenario of the batch: a file, or the baseline with some values changed."""

    file: str | None = Field(default=None, description="Scenario file, relative to the batch file")
    name: str | None = Field(default=None, pattern=NAME_PATTERN, description="Name (default: the scenario's own)")
    set: dict[str, Any] = Field(default={}, description="Values to change, by dotted key path")

    @model_validator(mode="after")
    def _named(self) -> ScenarioEntry:
        if self.file is None and self.name is None:
            raise ValueError("an inline scenario (no file) needs a name")
        if self.file is None and not self.set:
            raise ValueError("give a file, or values to `set` on the baseline")
        return self


class Grid(BatchSection):
    """Every combination of some values: one scenario each, named after its values."""

    name: str = Field(pattern=NAME_PATTERN, description="Prefix of the scenarios' names")
    base: str | None = Field(default=None, description="Scenario file the grid starts from (default: the baseline)")
    parameters: dict[str, list[Any]] = Field(min_length=1, description="Key path -> the values to try")

    @model_validator(mode="after")
    def _values_given(self) -> Grid:
        for key, values in self.parameters.items():
            if not values:
                raise ValueError(f"parameters.{key}: no values; expected a list of at least one")
        return self


class Package(BatchSection):
    """A scenario that combines interventions, to split into what each component does.

    Each component names the key paths it changes in the package. The batch
    then also runs, per component, the baseline with only those values taken
    from the package ("only") and the package with those values put back to
    the baseline's ("without").
    """

    scenario: str = Field(description="Name of the package scenario in this batch")
    components: dict[str, list[str]] = Field(
        min_length=2, description="Component name -> the key paths (e.g. discharge.days) it changes"
    )


@dataclass(frozen=True)
class Component:
    """One component of a package, and the names of its two derived scenarios."""

    package: str
    name: str
    only: str
    without: str


class BatchFile(BatchSection):
    """What to run: a baseline, the options to compare with it, how many replications, which seed."""

    name: str = Field(pattern=NAME_PATTERN, description="Name of the batch (default output folder)")
    description: str = ""
    baseline: str = Field(description="Baseline scenario file, relative to the batch file")
    replications: int = Field(ge=1, description="Replications of every scenario")
    seed: int = Field(ge=0, description="Seed shared by every scenario (common random numbers)")
    scenarios: list[ScenarioEntry] = Field(default=[], description="Scenarios compared with the baseline")
    grids: list[Grid] = Field(default=[], description="Grids of values, one scenario per combination")
    packages: list[Package] = Field(default=[], description="Packages to split into their components' contributions")


@dataclass(frozen=True)
class Plan:
    """The expanded batch: scenarios by name (the baseline first), and the packages to split."""

    name: str
    scenarios: dict[str, Scenario]
    replications: int
    seed: int
    components: list[Component]

    def tasks(self) -> list[tuple[Scenario, int]]:
        """Every unit of work: (scenario, replication), scenario by scenario."""
        return [(s, r) for s in self.scenarios.values() for r in range(self.replications)]

    def fingerprint(self) -> str:
        """Changes when anything that would change a replication's results changes (not the number of them)."""
        content = {name: scenario_key(s) for name, s in self.scenarios.items()}
        text = json.dumps({"scenarios": content, "seed": self.seed}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def load_batch(
    path: str | Path, replications: int | None = None, seed: int | None = None, overrides: list[str] | None = None
) -> Plan:
    """Read, validate and expand a batch file; InputError naming the file and key if anything is wrong.

    `replications` and `seed` replace the file's; `overrides` (--set) change
    every scenario of the batch before its own changes apply.
    """
    path = Path(path)
    try:
        batch = BatchFile.model_validate(read_yaml_mapping(path))
    except ValidationError as error:
        raise file_error(error, path, BatchFile) from None
    count = replications or batch.replications
    seed = batch.seed if seed is None else seed
    common = [f"run.replications={count}", f"run.seed={seed}", *(overrides or [])]
    here = path.parent

    def scenario(file: str, key: str, changes: dict[str, Any], source: str, name: str | None) -> Scenario:
        scenario_file = here / file
        if not scenario_file.is_file():
            raise InputError(f"{path}: {key}: file {file!r} not found (looked for {scenario_file.resolve()})")
        named = [f"name={name}"] if name else []
        own = [Override(f"{k}={json.dumps(v)}", source, here) for k, v in changes.items()]
        try:
            return load_scenario(scenario_file, [*common, *own, *named])
        except InputError as error:
            raise InputError(f"{path}: {key}: {error}") from None

    scenarios = {BASELINE: scenario(batch.baseline, "baseline", {}, "set", BASELINE)}
    for index, entry in enumerate(batch.scenarios):
        built = scenario(entry.file or batch.baseline, f"scenarios.{index}", entry.set, "set", entry.name)
        _add(scenarios, built, path, f"scenarios.{index}")
    for index, grid in enumerate(batch.grids):
        keys = list(grid.parameters)
        for values in itertools.product(*grid.parameters.values()):
            name = grid_name(grid.name, keys, values)
            changes = dict(zip(keys, values, strict=True))
            built = scenario(grid.base or batch.baseline, f"grids.{index}", changes, "parameters", name)
            _add(scenarios, built, path, f"grids.{index}")
    components = []
    for index, package in enumerate(batch.packages):
        components += _split_package(scenarios, package, path, f"packages.{index}")
    return Plan(batch.name, scenarios, count, seed, components)


def comparison_plan(
    baseline: str, options: list[str], replications: int | None = None, seed: int | None = None,
    overrides: list[str] | None = None,
) -> Plan:
    """`compare`: option files against a baseline file, as a batch without a batch file.

    Replications and seed default to the baseline's own; every scenario gets
    them (common random numbers), then `overrides` (--set). The plan is named
    compare-<first option>[-and-<N>-more], so rerunning the same command
    finds its own folder and resumes.
    """
    own = load_scenario(baseline, overrides)
    count = replications or own.run.replications
    seed = own.run.seed if seed is None else seed
    common = [f"run.replications={count}", f"run.seed={seed}", *(overrides or [])]
    scenarios = {BASELINE: load_scenario(baseline, [*common, f"name={BASELINE}"])}
    for option in options:
        scenario = load_scenario(option, common)
        for key in ("start_year", "warmup_days", "horizon_days"):  # the same calendar, or no paired comparison
            ours, theirs = getattr(scenario.run, key), getattr(scenarios[BASELINE].run, key)
            if ours != theirs:
                raise InputError(
                    f"{option}: run.{key}: value {ours:g}: expected the baseline's {theirs:g} (every option runs over "
                    f"the baseline's calendar; --set run.{key}=VALUE changes them all)"
                )
        _add(scenarios, scenario, Path(option), "name")
    first = next(name for name in scenarios if name != BASELINE)
    more = f"-and-{len(options) - 1}-more" if len(options) > 1 else ""
    return Plan(f"compare-{first}{more}", scenarios, count, seed, [])


def _split_package(scenarios: dict[str, Scenario], package: Package, path: Path, key: str) -> list[Component]:
    """Add each component's "only" and "without" scenarios; return the components."""
    if package.scenario not in scenarios:
        raise InputError(f"{path}: {key}.scenario: {package.scenario!r} is not in this batch; expected one of {list(scenarios)}")
    whole = scenarios[package.scenario].model_dump(mode="json")
    base = scenarios[BASELINE].model_dump(mode="json")
    found = []
    for name, key_paths in package.components.items():
        for key_path in key_paths:
            if value_at(whole, key_path) is MISSING:
                raise InputError(f"{path}: {key}.components.{name}: key path {key_path!r} is not in the scenario format")
        only, without = (f"{package.scenario}__only_{name}", f"{package.scenario}__without_{name}")
        _add(scenarios, _with_values(scenarios[BASELINE], whole, key_paths, only), path, f"{key}.components.{name}")
        _add(scenarios, _with_values(scenarios[package.scenario], base, key_paths, without), path, f"{key}.components.{name}")
        found.append(Component(package.scenario, name, only, without))
    return found


def _with_values(start: Scenario, source: dict, key_paths: list[str], name: str) -> Scenario:
    """`start` with the values at `key_paths` copied from `source` (a dumped scenario), renamed."""
    data = start.model_dump(mode="json")
    for key_path in key_paths:
        *parents, last = key_path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value_at(source, key_path)
    data["name"] = name
    return Scenario.model_validate(data)


def grid_name(prefix: str, keys: list[str], values: tuple) -> str:
    """`prefix__places=140__days=Mon-Tue`: the last part of each key path and its value, safe in a folder name."""
    parts = [f"{key.split('.')[-1]}={_short(value)}" for key, value in zip(keys, values, strict=True)]
    return "__".join([prefix, *parts])


def _short(value: Any) -> str:
    text = "-".join(map(str, value)) if isinstance(value, list) else str(value)
    return re.sub(r"[^A-Za-z0-9_.+-]", "-", text)


def _add(scenarios: dict[str, Scenario], scenario: Scenario, path: Path, key: str) -> None:
    if scenario.name in scenarios:
        raise InputError(f"{path}: {key}: a scenario named {scenario.name!r} is already in the batch; expected unique names")
    scenarios[scenario.name] = scenario
