"""Reading scenario files: YAML, `extends` chains, `--set` overrides, one clear error.

A scenario file may name another with `extends: other.yaml` (relative to
itself); its values are deep-merged over that file's (mappings merge, every
other value replaces). Each value remembers the file that set it last, so an
error names the file an analyst has to open.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputError
from sim.scenario.census import read_census
from sim.scenario.schema import DISTRIBUTION_KINDS, NAME_PATTERN, NAME_RULE, Scenario

SET_SOURCE = "--set"


class Override(NamedTuple):
    """One `KEY.PATH=VALUE`, and where it came from: `source` names it in errors; a file it names is found from `folder`."""

    assignment: str
    source: str = SET_SOURCE
    folder: Path | None = None  # None: the working directory


def load_scenario(path: str | Path, overrides: list[str | Override] | None = None) -> Scenario:
    """Load, merge, override and validate a scenario file; raise InputError if anything is wrong.

    A plain string override comes from the command line (`--set`); batch and
    other settings files pass an Override naming themselves.
    """
    data, provenance = read_merged(Path(path))
    folders = {SET_SOURCE: Path.cwd()}
    for override in overrides or []:
        override = Override(override) if isinstance(override, str) else override
        folders[override.source] = override.folder or Path.cwd()
        apply_override(data, provenance, override.assignment, override.source)
    if isinstance(data.get("census"), str):  # a file name: read it, relative to the file that named it
        source = provenance.get(("census",), str(path))
        folder = folders.get(source) or Path(source).parent
        data["census"] = read_census(folder / data["census"])
    return validate_scenario(data, provenance, str(path))


def scenario_hash(scenario: Scenario) -> str:
    """A stable digest of the fully resolved scenario: what was actually run."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def scenario_key(scenario: Scenario) -> str:
    """What each replication's result depends on: the scenario but for its number of replications.

    Replication r of two scenarios with the same key is the same run, so
    finished replications can be kept when more are asked for.
    """
    return scenario_hash(scenario.model_copy(update={"run": scenario.run.model_copy(update={"replications": 1})}))


# Patterns that fields are checked against, in words (a regular expression means little to most users).
PATTERN_WORDS = {NAME_PATTERN: f"expected {NAME_RULE}", r"^[A-Za-z0-9_]+$": "expected letters, digits and _ only"}

MISSING = object()  # what value_at returns for a key path that is not there


def value_at(tree: dict, key_path: str) -> Any:
    """The value at a dotted key path of a nested mapping (a dumped scenario), or MISSING."""
    node: Any = tree
    for part in key_path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


class UniqueKeyLoader(yaml.SafeLoader):
    """Safe loading that refuses a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice; expected each key once", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Safe-load one YAML file that must hold a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}); expected a YAML scenario file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        data = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InputError(f"{path}: YAML syntax error{where}: {problem}") from None
    if data is None:
        raise InputError(f"{path}: the file is empty; expected a YAML mapping of scenario keys")
    if not isinstance(data, dict):
        raise InputError(f"{path}: top level is a {type(data).__name__}; expected a YAML mapping of scenario keys")
    return data


def read_merged(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[tuple, str]]:
    """Resolve a file's `extends` chain; return merged data and key path -> file that set it."""
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise InputError(f"{path}: extends: cyclic chain {cycle}; expected each file at most once")
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        base, provenance = {}, {}
    else:
        if not isinstance(parent, str):
            raise InputError(f"{path}: extends: value {parent!r}; expected a file path (string)")
        parent_path = path.parent / parent
        if not parent_path.is_file():
            raise InputError(
                f"{path}: extends: value {parent!r}: no such file (looked for {parent_path.resolve()}); "
                "expected an existing scenario file, relative to this one"
            )
        base, provenance = read_merged(parent_path, (*chain, resolved))
    deep_merge(base, data, provenance, str(path), ())
    return base, provenance


def deep_merge(base: dict, override: dict, provenance: dict[tuple, str], source: str, prefix: tuple) -> None:
    """Merge `override` into `base` in place, noting `source` for each value it sets.

    A mapping that names a `distribution` replaces the one below it whole: a
    child that swaps a lognormal for an exponential must not inherit its `sd`.
    """
    for key, value in override.items():
        here = (*prefix, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict) and "distribution" not in value:
            deep_merge(base[key], value, provenance, source, here)
        else:
            base[key] = value
            for stale in [p for p in provenance if p[: len(here)] == here]:
                del provenance[stale]
        provenance[here] = source


def split_assignment(assignment: str, source: str = SET_SOURCE) -> tuple[str, Any]:
    """`KEY.PATH=VALUE` -> (key path, value); VALUE is read as YAML (so 320 is a number, [1,2] a list)."""
    key_path, sep, raw_value = assignment.partition("=")
    if not sep or not key_path.strip():
        raise InputError(f"{source} {assignment!r}: expected KEY.PATH=VALUE, e.g. acute.beds=320")
    try:
        return key_path.strip(), yaml.safe_load(raw_value)
    except yaml.YAMLError:
        raise InputError(f"{source} {assignment!r}: value {raw_value!r} is not valid YAML") from None


def apply_override(data: dict, provenance: dict[tuple, str], assignment: str, source: str = SET_SOURCE) -> None:
    """Apply one `KEY.PATH=VALUE` from `source` to merged scenario data."""
    key_path, value = split_assignment(assignment, source)
    keys = key_path.split(".")
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise InputError(f"{source} {assignment!r}: {where} holds a single value, not a section")
        node = child
    deep_merge(node, {keys[-1]: value}, provenance, source, tuple(keys[:-1]))
    for depth in range(1, len(keys)):  # a section-level error on an overridden value names its source
        provenance[tuple(keys[:depth])] = source


def validate_scenario(data: dict, provenance: dict[tuple, str], file: str) -> Scenario:
    """Build the Scenario; turn pydantic's errors into lines naming file, key path, value and expectation."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        lines = [describe_error(e, provenance, file) for e in error.errors(include_url=False)]
        raise InputError("\n".join(lines)) from None


def file_error(error: ValidationError, path: str | Path, model: type[BaseModel]) -> InputError:
    """One line per problem in a settings file (batch, sensitivity, calibration, targets) validated as `model`."""
    return InputError("\n".join(describe_error(e, {}, str(path), model) for e in error.errors(include_url=False)))


def describe_error(
    error: dict, provenance: dict[tuple, str], default_file: str, model: type[BaseModel] = Scenario
) -> str:
    loc = tuple(part for part in error["loc"] if part not in DISTRIBUTION_KINDS)
    key_path = ".".join(str(part) for part in loc) or "(top level)"
    source = default_file
    for length in range(len(loc), 0, -1):
        if loc[:length] in provenance:
            source = provenance[loc[:length]]
            break
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = _keys_allowed_at(loc[:-1], model)
        expected = f"expected one of: {', '.join(allowed)}" if allowed else "see `python -m sim schema`"
        return f"{source}: {key_path}: unknown key; {expected}"
    if kind == "union_tag_not_found":
        return f"{source}: {key_path}.distribution: missing; expected one of: {', '.join(DISTRIBUTION_KINDS)}"
    if kind == "union_tag_invalid":
        tag = error["ctx"]["tag"]
        return f"{source}: {key_path}.distribution: value {tag!r}: expected one of: {', '.join(DISTRIBUTION_KINDS)}"
    if kind == "missing":
        return f"{source}: {key_path}: missing; expected a value (see `python -m sim schema`)"
    if kind == "string_pattern_mismatch":
        message = PATTERN_WORDS.get(error.get("ctx", {}).get("pattern"), message)
    shown = _short(error.get("input"))
    if loc and isinstance(error.get("input"), dict):  # a whole section: its check names the key
        return f"{source}: {key_path}: {_expected(message)}"
    if loc:
        return f"{source}: {key_path}: value {shown}: {_expected(message)}"
    return f"{source}: {_expected(message)}"


def _keys_allowed_at(loc: tuple, root: type[BaseModel]) -> list[str]:
    """The keys a section accepts, found by walking the schema along `loc` (best effort)."""
    model: Any = root
    parts = list(loc)
    while parts:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(parts.pop(0)))
        if field is None:
            return []
        model = field.annotation
        while get_origin(model) in (dict, list) and parts:  # dict[str, X] or list[X]: skip the key, look at X
            model = get_args(model)[-1]
            parts.pop(0)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _expected(message: str) -> str:
    """Pydantic says 'Input should be X'; we say 'expected X'."""
    lowered = message[0].lower() + message[1:] if message else message
    for prefix in ("input should be ", "input should have "):
        if lowered.startswith(prefix):
            return "expected " + lowered.removeprefix("input should be ").removeprefix("input should have ")
    return lowered


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
