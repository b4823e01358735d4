"""Reading scenario files: YAML, `extends` chains, `--set` overrides, one clear error.

A scenario file may name another with `extends: other.yaml` (relative to
itself); its values are deep-merged over that file's (mappings merge, every
other value replaces). Each value remembers the file that set it last, so an
error names the file an analyst has to open.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputError, cut, shown
from sim.files import kind_of
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
    return with_overrides(data, provenance, overrides or [], str(path))


def scenario_from_data(data: dict, overrides: list[str | Override] | None = None, source: str = "record") -> Scenario:
    """A scenario from a resolved scenario's data (as recorded in a results folder's run.json), with overrides.

    What a rerun starts from, and what sensitivity points and calibration
    evaluations are built on, so that none of them has to read the files again.
    """
    return with_overrides(copy.deepcopy(data), {}, overrides or [], source)


def with_overrides(data: dict, provenance: dict[tuple, str], overrides: list[str | Override], file: str) -> Scenario:
    """Apply the overrides to merged data, read a census it names, and validate."""
    folders = {SET_SOURCE: Path.cwd()}
    for override in overrides:
        override = Override(override) if isinstance(override, str) else override
        folders[override.source] = override.folder or Path.cwd()
        apply_override(data, provenance, override.assignment, override.source)
    if isinstance(data.get("census"), str):  # a file name: read it, relative to the file that named it
        source = provenance.get(("census",), file)
        folder = folders.get(source) or Path(source).parent
        data["census"] = read_census(folder / data["census"])
    return validate_scenario(data, provenance, file)


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


MAX_FILE_BYTES = 8 * 2**20  # a scenario, batch or settings file is a few kB; more is not one
MAX_VALUES = 200_000  # values in a file once aliases (*name) are expanded: a YAML "alias bomb" is refused
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_EXTENDS = 16  # files in an extends chain
MAX_ERROR_LINES = 20  # problems listed one by one; then a count


FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML was built with it


class UniqueKeyLoader(FAST_SAFE_LOADER):  # type: ignore[misc, valid-type]
    """Safe loading that refuses a key given twice in one mapping (YAML would keep the last silently).

    The parser is libyaml's where available (a 40,000-key file is parsed in
    a second, not a minute). It also reads numbers as people type them: `1e12` is a float (YAML 1.1
    wants `1.0e+12` and would read `1e12` as text); and it allows merge keys
    (`<<: *defaults`), whose keys the mapping's own keys override.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, yaml.ScalarNode):  # `? [a, b]`: YAML allows it, a scenario has no use for it
                kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key is a {kind}; expected a plain name", key_node.start_mark
                )
            key = (key_node.tag, key_node.value)  # as written: no need to build every key twice
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {shown(key_node.value)} appears twice; expected each key once", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def parse_yaml(text: str) -> Any:
    """YAML text -> Python values, with UniqueKeyLoader (yaml.YAMLError or RecursionError if it cannot)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def read_text_file(path: Path, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most `limit` bytes; InputError naming it otherwise.

    A FIFO would block for ever and /dev/zero never ends: only regular files are read.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: is {kind_of(mode)}; expected {what}")
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected {what}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror}); expected {what}") from None
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit // 2**20} MiB; expected {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}); expected {what}") from None


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Safe-load one YAML file that must hold a mapping."""
    return parse_yaml_mapping(read_text_file(path, "a YAML file"), str(path))


def parse_yaml_mapping(text: str, source: str) -> dict[str, Any]:
    """Safe-load YAML text that must hold a mapping; `source` names it in errors (a file, or an upload in the app)."""
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or " ".join(str(error).split())  # a reader's error has two lines
        kind = "YAML" if isinstance(error, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise InputError(f"{source}: {kind}{where}: {cut(problem)}") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to read; expected at most {MAX_DEPTH} levels") from None
    if data is None:
        raise InputError(f"{source}: the file is empty; expected a YAML mapping of scenario keys")
    if not isinstance(data, dict):
        raise InputError(f"{source}: top level is a {type(data).__name__}; expected a YAML mapping of scenario keys")
    check_size(data, source)
    return data


def check_size(data: Any, path: Path | str) -> None:
    """Refuse data that expands (through YAML aliases) to more than MAX_VALUES values, nests too deep or refers to itself."""
    sizes: dict[int, int] = {}  # id of a mapping or list -> its size with aliases expanded
    inside: set[int] = set()

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, dict | list):
            return 1
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in inside:
            raise InputError(f"{path}: a value contains itself (through a YAML alias); expected plain values")
        if depth > MAX_DEPTH:
            raise InputError(f"{path}: nested more than {MAX_DEPTH} levels deep; expected a scenario's few levels")
        inside.add(id(node))
        total = 1
        for child in node.values() if isinstance(node, dict) else node:
            total += size(child, depth + 1)
            if total > MAX_VALUES:
                raise InputError(
                    f"{path}: more than {MAX_VALUES:,} values once its YAML aliases (*name) are expanded; "
                    "expected a scenario's few hundred"
                )
        inside.discard(id(node))
        sizes[id(node)] = total
        return total

    size(data, 0)


def read_merged(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[tuple, str]]:
    """Resolve a file's `extends` chain; return merged data and key path -> file that set it."""
    resolved = Path(os.path.realpath(path))  # never raises, even on a symlink loop (read_yaml_mapping names that)
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise InputError(f"{path}: extends: cyclic chain {cut(cycle)}; expected each file at most once")
    if len(chain) >= MAX_EXTENDS:
        raise InputError(f"{path}: extends: a chain of more than {MAX_EXTENDS} files; expected a shorter chain")
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        base, provenance = {}, {}
    else:
        if not isinstance(parent, str):
            raise InputError(f"{path}: extends: value {shown(parent)}; expected a file path (string)")
        parent_path = path.parent / parent
        if not parent_path.is_file():
            found = "no such file" if not parent_path.exists() else f"is {kind_of(parent_path.stat().st_mode)}"
            raise InputError(
                f"{path}: extends: value {shown(parent)}: {found} (looked for {parent_path.resolve()}); "
                "expected an existing scenario file, relative to this one"
            )
        base, provenance = read_merged(parent_path, (*chain, resolved))
    deep_merge(base, data, provenance, str(path), ())
    return base, provenance


def deep_merge(base: dict, override: dict, provenance: dict[tuple, str], source: str, prefix: tuple) -> None:
    """Merge `override` into `base` in place, noting `source` for each value it sets.

    A mapping that names a `distribution` replaces the one below it whole: a
    child that swaps a lognormal for an exponential must not inherit its `sd`.
    Time is linear in the keys merged and replaced (a replaced mapping's
    provenance is forgotten by walking that mapping, not every key).
    """
    for key, value in override.items():
        here = (*prefix, key)
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and "distribution" not in value:
            deep_merge(old, value, provenance, source, here)
        else:
            base[key] = value
            if isinstance(old, dict):
                _forget(provenance, here, old)
        provenance[here] = source


def _forget(provenance: dict[tuple, str], prefix: tuple, replaced: dict) -> None:
    """Drop the provenance of every key path inside a replaced mapping."""
    for key, value in replaced.items():
        here = (*prefix, key)
        provenance.pop(here, None)
        if isinstance(value, dict):
            _forget(provenance, here, value)


def split_assignment(assignment: str, source: str = SET_SOURCE) -> tuple[str, Any]:
    """`KEY.PATH=VALUE` -> (key path, value); VALUE is read as YAML (so 320 is a number, [1,2] a list)."""
    key_path, sep, raw_value = assignment.partition("=")
    if not sep or not key_path.strip():
        raise InputError(f"{source} {cut(assignment)!r}: expected KEY.PATH=VALUE, e.g. acute.beds=320")
    try:
        value = parse_yaml(raw_value)
    except (yaml.YAMLError, RecursionError):
        raise InputError(f"{source} {cut(assignment)!r}: value {cut(raw_value)!r} is not valid YAML") from None
    check_size(value, f"{source} {cut(assignment)!r}")
    return key_path.strip(), value


def apply_override(data: dict, provenance: dict[tuple, str], assignment: str, source: str = SET_SOURCE) -> None:
    """Apply one `KEY.PATH=VALUE` from `source` to merged scenario data."""
    key_path, value = split_assignment(assignment, source)
    keys = key_path.split(".")
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise InputError(f"{source} {cut(assignment)!r}: {where} holds a single value, not a section")
        node = child
    deep_merge(node, {keys[-1]: value}, provenance, source, tuple(keys[:-1]))
    for depth in range(1, len(keys)):  # a section-level error on an overridden value names its source
        provenance[tuple(keys[:depth])] = source


def validate_scenario(data: dict, provenance: dict[tuple, str], file: str) -> Scenario:
    """Build the Scenario; turn pydantic's errors into lines naming file, key path, value and expectation."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise InputError(error_lines(error.errors(include_url=False), lambda e: describe_error(e, provenance, file))) from None


def file_error(error: ValidationError, path: str | Path, model: type[BaseModel]) -> InputError:
    """One line per problem in a settings file (batch, sensitivity, calibration, targets) validated as `model`."""
    return InputError(error_lines(error.errors(include_url=False), lambda e: describe_error(e, {}, str(path), model)))


def error_lines(errors: list[dict], describe: Callable[[dict], str]) -> str:
    """One line per problem, at most MAX_ERROR_LINES of them (only those are described), then how many more."""
    lines = [describe(error) for error in errors[:MAX_ERROR_LINES]]
    if len(errors) > MAX_ERROR_LINES:
        lines.append(f"... and {len(errors) - MAX_ERROR_LINES} more problems")
    return "\n".join(lines)


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
    value = shown(error.get("input"))
    if loc and isinstance(error.get("input"), dict):  # a whole section: its check names the key
        return f"{source}: {key_path}: {_expected(message)}"
    if loc:
        return f"{source}: {key_path}: value {value}: {_expected(message)}"
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

