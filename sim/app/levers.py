"""The main levers of a scenario, as form fields generated from the scenario schema.

LEVERS names the key paths a planner changes most (demand, beds, discharge,
each community service's capacity and duration, readmissions, avoidance,
costs, and the run's calendar); `*` stands for every key found there in the
scenario (each age band, each pathway, each parameter of a duration). For
each, the schema (sim/scenario/schema.py) gives the kind of value, its unit and
its description, and the scenario's files give its source (sim.app.sources):
nothing about a field is written twice.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.load import MISSING, value_at
from sim.scenario.schema import Scenario

LEVERS: dict[str, list[str]] = {
    "Scenario": ["name", "description"],
    "Run": ["run.horizon_days", "run.warmup_days", "run.replications", "run.seed"],
    "Demand": ["demand.arrivals_per_day.*", "demand.growth_per_year", "demand.admission_avoidance_share"],
    "Acute beds": ["acute.beds", "acute.when_full"],
    "Discharge": ["discharge.days", "discharge.start_hour", "discharge.end_hour"],
    "Reablement": ["services.reablement.places", "services.reablement.care_hours_per_week",
                   "services.reablement.hours_per_person_per_week", "services.reablement.duration.*",
                   "services.reablement.when_full"],
    "Home care": ["services.home_care.packages", "services.home_care.hours_per_week", "services.home_care.when_full"],
    "Intermediate care": ["services.intermediate_care.places", "services.intermediate_care.duration.*"],
    "Care homes": ["services.care_home.places", "services.care_home.placement_wait.*"],
    "Readmission": ["readmission.within_30_days.*", "readmission.delay_effect_per_day",
                    "readmission.time_to_readmission.*"],
    "Costs": ["costs.*"],
}


@dataclass(frozen=True)
class Lever:
    """One form field: where it is in the scenario, what kind of value it takes, and what it means."""

    key_path: str
    label: str
    kind: Literal["int", "float", "text", "choice", "choices"]
    value: Any
    optional: bool  # None (empty) is a value: e.g. care home places without a limit
    unit: str
    description: str
    options: tuple[str, ...] = ()


def levers(scenario: Scenario) -> dict[str, list[Lever]]:
    """The scenario's levers by section, with their current values; key paths it does not have are left out."""
    data = scenario.model_dump(mode="json")
    found = {}
    for section, patterns in LEVERS.items():
        fields = [lever_at(data, key_path) for pattern in patterns for key_path in expand(data, pattern)]
        found[section] = [f for f in fields if f is not None]
    return found


def expand(data: dict, pattern: str) -> list[str]:
    """A key path, or for `section.*` each key of that section (but a duration's `distribution`, its kind)."""
    if not pattern.endswith(".*"):
        return [pattern]
    section = value_at(data, pattern[:-2])
    if not isinstance(section, dict):
        return []
    return [f"{pattern[:-2]}.{key}" for key in section if key != "distribution"]


def lever_at(data: dict, key_path: str) -> Lever | None:
    """The form field of one key path of a dumped scenario, from the schema's field there."""
    value = value_at(data, key_path)
    if value is MISSING:
        return None
    parts = key_path.split(".")
    infos = schema_fields(parts, data)
    if not infos:
        return None
    info, annotation = infos[-1]
    unit = (info.json_schema_extra or {}).get("unit", "") if isinstance(info.json_schema_extra, dict) else ""
    kind, options, optional = value_kind(annotation)
    if kind is None or (isinstance(value, (dict, list)) and kind != "choices"):
        return None
    parent = value_at(data, ".".join(parts[:-1])) if len(parts) > 1 else None
    law = parent.get("distribution", "") if isinstance(parent, dict) else ""
    return Lever(key_path, label_of(parts, infos, law), kind, value, optional, unit, description_of(infos, unit), options)


def schema_fields(parts: list[str], data: dict) -> list[tuple[FieldInfo, Any]]:
    """The schema's (field, annotation) met along a key path; a dict's keys (age bands) keep their dict's field."""
    model: Any = Scenario
    node: Any = data
    met: list[tuple[FieldInfo, Any]] = []
    for part in parts:
        model = concrete(model, node)
        node = node.get(part) if isinstance(node, dict) else None
        if isinstance(model, type) and issubclass(model, BaseModel):
            info = model.model_fields.get(part)
            if info is None:
                return []
            met.append((info, info.annotation))
            model = info.annotation
        elif get_origin(model) is dict:
            model = get_args(model)[1]
            met.append((met[-1][0], model))
        else:
            return []
    return met


def concrete(annotation: Any, value: Any) -> Any:
    """A union resolved to its member: a duration's by its `distribution` tag, an optional's by its non-None type."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        for member in members:
            if isinstance(member, type) and issubclass(member, BaseModel) and "distribution" in member.model_fields:
                tag = get_args(member.model_fields["distribution"].annotation)
                if isinstance(value, dict) and value.get("distribution") in tag:
                    return member
        return members[0] if len(members) == 1 else annotation
    return annotation


def value_kind(annotation: Any) -> tuple[str | None, tuple[str, ...], bool]:
    """(widget kind, choices, whether empty is allowed) of a leaf field's annotation."""
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if len(members) != 1:
            return None, (), optional
        annotation = members[0]
    if annotation is bool:
        return None, (), optional
    if annotation is int:
        return "int", (), optional
    if annotation is float:
        return "float", (), optional
    if annotation is str:
        return "text", (), optional
    if get_origin(annotation) is Literal:
        return "choice", tuple(get_args(annotation)), optional
    if get_origin(annotation) is list and get_origin(get_args(annotation)[0]) is Literal:
        return "choices", tuple(get_args(get_args(annotation)[0])), optional
    return None, (), optional


def label_of(parts: list[str], infos: list[tuple[FieldInfo, Any]], law: str = "") -> str:
    """'Places', 'Arrivals per day: 85+', 'Duration (lognormal): mean' - the last part or two of the key path in words.

    law: the kind of distribution whose parameter this is ('' for other fields).
    """
    words = [p.replace("_", " ") for p in parts]
    if len(parts) >= 2 and infos[-1][0] is infos[-2][0]:  # an entry of a dict: name the dict
        text = f"{words[-2]}: {parts[-1]}"
    elif law:
        text = f"{words[-2]} ({law}): {words[-1]}"
    elif len(parts) >= 2 and parts[-2] == "within_30_days":
        text = f"{words[-2]}: {words[-1]}"
    else:
        text = words[-1]
    return text[:1].upper() + text[1:]


def description_of(infos: list[tuple[FieldInfo, Any]], unit: str) -> str:
    """The schema's descriptions along the key path, from the section's field down to the value's own."""
    texts = []
    for info, _ in infos[1:] if len(infos) > 1 else infos:
        text = (info.description or "").removesuffix(f" [{unit}]").removesuffix(" [days]").strip()
        if text and text not in texts:
            texts.append(text)
    return ": ".join(texts)
