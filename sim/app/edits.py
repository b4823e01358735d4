"""A scenario edited in the app: its changed values as `--set` overrides, checked by the loader, saved as YAML.

An edit is a mapping of key path -> new value, holding only what differs
from the scenario it starts from (its base). The app checks it exactly as the
command line checks `--set`: `load_scenario(base, overrides)`, whose one-line
messages are shown next to the fields they name. Saved or downloaded, an edit
is a YAML file that `extends` its base and holds only the changed values.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario
from sim.scenario.load import read_yaml_mapping


def yaml_text(value: Any) -> str:
    """A value as YAML flow text that reads back as the same value (1e-05 as 1.0e-05, None as null)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def overrides_of(edits: dict[str, Any]) -> list[str]:
    """The edit as `--set` assignments, KEY.PATH=VALUE."""
    return [f"{key_path}={yaml_text(value)}" for key_path, value in edits.items()]


def check_overrides(base: Path, overrides: list[str]) -> tuple[Scenario | None, list[str]]:
    """An edit (as `--set` assignments, overrides_of) checked by the loader: (the edited scenario, []) or (None, the
    command line's error lines, each as it prints them)."""
    try:
        return load_scenario(base, overrides), []
    except InputError as error:
        return None, [f"error: {line}" for line in str(error).splitlines()]


def default_name(scenario: Scenario, is_edit: bool) -> str:
    """The name an edit starts with: an edit kept earlier keeps its own, any other scenario's gets `_edited`."""
    return scenario.name if is_edit else f"{scenario.name}_edited"


def error_key_path(line: str) -> str:
    """The key path an error line names ('error: --set: acute.beds: value -3: ...' -> 'acute.beds'), or ''."""
    parts = line.removeprefix("error: ").split(": ")
    return parts[1] if len(parts) > 2 and " " not in parts[1] else ""


def errors_by_field(lines: list[str], key_paths: list[str], edited: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each error line placed next to the field it names: (key path -> lines, lines that fit no field).

    A line about a whole section (discharge: start_hour ... is not before
    end_hour) goes next to the section's fields that were edited.
    """
    placed: dict[str, list[str]] = {}
    loose = []
    for line in lines:
        named = error_key_path(line)
        fields = [k for k in key_paths if named and (k == named or named.startswith(f"{k}."))]
        if not fields and named:
            fields = [k for k in edited if k.startswith(f"{named}.")]
        for key_path in fields:
            placed.setdefault(key_path, []).append(line)
        if not fields:
            loose.append(line)
    return placed, loose


def nested(edits: dict[str, Any]) -> dict[str, Any]:
    """{'acute.beds': 230} -> {'acute': {'beds': 230}}."""
    tree: dict[str, Any] = {}
    for key_path, value in edits.items():
        *sections, last = key_path.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})
        node[last] = value
    return tree


def edit_yaml(extends: str, edits: dict[str, Any], note: str = "") -> str:
    """The YAML of an edit: `extends` its base (a path relative to where the file will be), then the changed values."""
    head = "".join(f"# {line}\n" for line in note.splitlines())
    body = yaml.safe_dump({"extends": extends, **nested(edits)}, sort_keys=False, allow_unicode=True, width=100)
    return head + body


def relative_extends(base: Path, folder: Path) -> str:
    """The `extends` value that reaches `base` from a file in `folder` (forward slashes, as in the shipped files)."""
    return Path(os.path.relpath(base.resolve(), folder.resolve())).as_posix()


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'acute': {'beds': 230}} -> {'acute.beds': 230}: the inverse of `nested`."""
    found = {}
    for key, value in tree.items():
        here = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            found.update(flat(value, f"{here}."))
        else:
            found[here] = value
    return found


def split_edit(path: Path) -> tuple[Path, dict[str, Any]]:
    """An edit file (as the app saves them) -> (the file it extends, its changed values by key path)."""
    mapping = read_yaml_mapping(path)
    base = path.parent / str(mapping.pop("extends"))
    return base, flat(mapping)
