"""What fit-inputs writes: scenario.yaml, targets.yaml, inputs.csv, calibration.yaml, data_quality.csv, inputs.png.

scenario.yaml extends the template and sets only what was fitted, each value
under a comment with its n, period, method and interval, so a reader sees
where every number came from. Every file is written atomically, and the
scenario and targets are read back through their own loaders before they are
put in place: a file that would not load is a bug, never a result.
"""

from __future__ import annotations

import json
import math
import os
import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim import __version__
from sim.calibrate.settings import load_calibration
from sim.calibrate.targets import load_targets
from sim.inputs import InputsFit
from sim.inputs.estimates import Setting
from sim.files import write_atomically
from sim.scenario import load_scenario
from sim.scenario.load import MISSING, value_at
from sim.scenario.schema import PATHWAYS

WIDTH = 110
PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INPUT_COLUMNS = [
    "parameter", "estimate", "ci_low", "ci_high", "unit", "template", "n", "n_of", "period", "method",
    "goodness_of_fit", "written",
]
QUALITY_COLUMNS = ["row", "column", "value", "reason"]


def write_outputs(fit: InputsFit, out_dir: Path, command: str, drop_bad_rows: bool) -> list[str]:
    """Write every output into out_dir; return the names written."""
    from sim.inputs.figure import write_figure  # matplotlib only when drawing

    written = write_files(fit, out_dir, command, drop_bad_rows)
    write_atomically(out_dir / "inputs.png", lambda tmp: write_figure(fit, tmp))
    return [*written, "inputs.png"]


def write_files(fit: InputsFit, out_dir: Path, command: str, drop_bad_rows: bool) -> list[str]:
    """scenario.yaml, targets.yaml, inputs.csv (and data_quality.csv); the names written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{fit.template.name}-fitted"[:80]
    scenario_text = scenario_yaml(fit, out_dir, name, command)
    write_atomically(out_dir / "scenario.yaml", lambda tmp: write_checked(tmp, scenario_text, load_scenario))
    targets_text = targets_yaml(fit, command)
    write_atomically(out_dir / "targets.yaml", lambda tmp: write_checked(tmp, targets_text, load_targets))
    table = inputs_table(fit)
    write_atomically(out_dir / "inputs.csv", lambda tmp: table.to_csv(tmp, index=False))
    calibration_text = calibration_yaml(fit, name, command)
    write_atomically(out_dir / "calibration.yaml", lambda tmp: write_checked(tmp, calibration_text, load_calibration))
    written = ["scenario.yaml", "targets.yaml", "inputs.csv", "calibration.yaml"]
    if drop_bad_rows:
        quality = pd.DataFrame([vars(b) for b in fit.extract.dropped], columns=QUALITY_COLUMNS)
        write_atomically(out_dir / "data_quality.csv", lambda tmp: quality.to_csv(tmp, index=False))
        written.append("data_quality.csv")
    return written


def write_checked(path: Path, text: str, load) -> None:
    path.write_text(text, encoding="utf-8")
    load(path)  # raises if the file would not load: a bug in what was written


def scenario_yaml(fit: InputsFit, out_dir: Path, name: str, command: str) -> str:
    """The fitted scenario: extends the template; every value set is commented with where it came from."""
    extract = fit.extract
    template = relative(fit.template_path, out_dir)
    lines = [
        f"# Fitted by `{command}`",
        f"# on {datetime.now(UTC).date().isoformat()} with sim {__version__}, from {extract.path.name}: "
        f"{extract.rows_read:,} rows, {len(extract.dropped):,} dropped as bad ({'see data_quality.csv' if extract.dropped else 'none'}).",
        f"# Extract: {extract.label(extract.start)} to {extract.label(extract.end - 1)}; "
        + ("times in model days (day 0 = 1 January of the template's start year)." if extract.origin is None else "times as dates."),
        "# Each value below says its n, the period it was fitted on, the method and its 95 % interval;",
        "# inputs.csv has every estimate, targets.yaml the calibration targets. Anything not set here is as in",
        "# the template, which the extract cannot tell:",
    ]
    lines += [f"#   {note}" for note in fit.fitted.notes]
    lines += ["", f"extends: {json.dumps(template)}", f"name: {name}",
              f"description: {json.dumps(f'{fit.template.name} with inputs fitted from {extract.path.name}')}", ""]
    lines += emit(tree_of(fit.fitted.settings), 0)
    return "\n".join(lines) + "\n"


def relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), folder.resolve())
    except ValueError:  # another drive
        return str(path.resolve())


def tree_of(settings: list[Setting]) -> dict:
    """Settings by key path -> nested dict whose leaves are the Settings."""
    tree: dict = {}
    for setting in settings:
        node = tree
        parts = setting.key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = setting
    return tree


def emit(tree: dict, depth: int) -> list[str]:
    lines: list[str] = []
    pad = "  " * depth
    for key, node in tree.items():
        if isinstance(node, Setting):
            lines += comment_lines(node.comment, pad)
            lines += emit_value(yaml_key(key), plain(node.value), node.item_comments, pad)
        else:
            lines.append(f"{pad}{yaml_key(key)}:")
            lines += emit(node, depth + 1)
        if depth == 0:
            lines.append("")
    return lines


def emit_value(key: str, value: Any, item_comments: list[str], pad: str) -> list[str]:
    if isinstance(value, dict) and "distribution" not in value and item_comments:
        lines = [f"{pad}{key}:"]
        for (item, item_value), note in zip(value.items(), item_comments, strict=True):
            lines.append(f"{pad}  {yaml_key(item)}: {flow(item_value)}  # {note}")
        return lines
    if isinstance(value, list) and item_comments:
        return [f"{pad}{key}:"] + [f"{pad}  - {flow(v)}  # {note}" for v, note in zip(value, item_comments, strict=True)]
    return [f"{pad}{key}: {flow(value)}"]


def comment_lines(text: str, pad: str) -> list[str]:
    return [f"{pad}# {line}" for line in textwrap.wrap(text, WIDTH - len(pad) - 2, break_on_hyphens=False)]


def yaml_key(key: str) -> str:
    return key if PLAIN_KEY.match(key) else json.dumps(key)


def flow(value: Any) -> str:
    """One value in YAML flow style (JSON is YAML, and keeps '85+' and '65-74' quoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_key(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return json.dumps(value)


def plain(value: Any) -> Any:
    """numpy numbers and containers as plain Python (for json and yaml)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def targets_yaml(fit: InputsFit, command: str) -> str:
    header = (
        f"# Calibration targets from {fit.extract.path.name} (written by `{command}`): the model's indicators on the\n"
        f"# last year of the extract ({fit.extract.period_label()}), each with a 95 % interval from batch means.\n"
        "# Ready for `python -m sim calibrate` (a calibration file names it as `targets:`).\n"
    )
    body = {"targets": [plain(t.model_dump(exclude_none=True)) for t in fit.targets]}
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=WIDTH)


def calibration_yaml(fit: InputsFit, name: str, command: str) -> str:
    """Fit settings for `sim calibrate`: what the extract could not tell, moved to match its targets."""
    template = fit.template
    parameters = []
    assessed = [f"discharge.assessment.{p}.mean" for p in PATHWAYS if hasattr(template.discharge.assessment.of(p), "mean")]
    if assessed:
        parameters.append({"name": "assessment_scale", "keys": assessed, "mode": "scale", "low": 0.2, "high": 3.0})
    capacities = [("intermediate_care_places", "services.intermediate_care.places", template.services.intermediate_care.places),
                  ("home_care_packages", "services.home_care.packages", template.services.home_care.packages)]
    if template.services.reablement.places is not None:
        capacities.insert(0, ("reablement_places", "services.reablement.places", template.services.reablement.places))
    if "mean_bed_wait_hours" in {t.indicator for t in fit.targets}:
        capacities.insert(0, ("beds", "acute.beds", template.acute.beds))
    for parameter, key, value in capacities:
        parameters.append({"name": parameter, "keys": [key], "low": max(1, round(0.5 * value)), "high": round(1.5 * value) + 1,
                           "integer": True})
    body = {
        "name": f"{name}-calibration", "scenario": "scenario.yaml", "targets": "targets.yaml", "parameters": parameters,
        "weights": {}, "replications": 8, "optimiser": {"max_evaluations": 40},
    }
    header = (
        f"# Fit settings written by `{command}`: the fitted scenario's inputs stay as fitted; what the extract\n"
        "# could not tell (assessment times, community capacities, and beds when arrival times show the waits for one)\n"
        "# moves within these bounds to match targets.yaml. Run: python -m sim calibrate <this file>\n"
    )
    return header + yaml.safe_dump(body, sort_keys=False, width=WIDTH)


def inputs_table(fit: InputsFit) -> pd.DataFrame:
    """Every estimate (with the template's value beside it), then what was left as in the template."""
    tree = fit.template.model_dump(mode="json")
    rows = []
    for e in fit.fitted.estimates:
        held = template_value(tree, e.parameter)
        rows.append([e.parameter, e.value, e.low, e.high, e.unit, held, e.n, e.n_of, e.period, e.method,
                     e.goodness_of_fit, "yes" if e.written else "no"])
    for note in fit.fitted.notes:
        key, _, why = note.partition(": ")
        rows.append([key, math.nan, math.nan, math.nan, "", math.nan, math.nan, "", "", why, "", "template"])
    return pd.DataFrame(rows, columns=INPUT_COLUMNS)


def template_value(tree: dict, key_path: str) -> float:
    """The template's number at a key path (distribution means and sds, list items by label); NaN if none."""
    from sim.inputs.arrivals import MONTHS
    from sim.scenario.schema import WEEKDAYS

    parent, _, last = key_path.rpartition(".")
    for labels in (WEEKDAYS, MONTHS):
        if last in labels:
            values = value_at(tree, parent)
            return float(values[labels.index(last)]) if isinstance(values, list) else math.nan
    value = value_at(tree, key_path)
    if value is MISSING and parent:  # a band key with dots in it, e.g. age bands are plain strings
        value = value_at(tree, parent)
        value = value.get(last, MISSING) if isinstance(value, dict) else MISSING
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
