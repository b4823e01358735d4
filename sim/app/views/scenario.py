"""Scenario page: pick a shipped scenario or upload one, change its main levers, download it or keep it for runs.

The fields come from the scenario schema (sim.app.levers) with each one's
unit, description and source as help; every change is checked as the
command line checks `--set`, and its message is shown next to the field.
"""

from __future__ import annotations

import math
import re
from typing import Any

import streamlit as st

from sim.app import results_root, scenarios_root, ui
from sim.app.edits import default_name, edit_yaml, errors_by_field, relative_extends, split_edit
from sim.app.levers import Lever, levers
from sim.app.safety import EDITS, MAX_UPLOAD_BYTES, accept_upload, inside, safe_name
from sim.app.sources import source_of
from sim.errors import InputError
from sim.files import write_atomically
from sim.scenario.load import value_at
from sim.scenario.summary import describe

OPEN_AT_FIRST = ("Scenario", "Acute beds", "Discharge")


def markdown_safe(text: str) -> str:
    return re.sub(r"([*_\[\]`#<>|])", r"\\\1", text)


def help_of(lever: Lever, where: dict[str, str]) -> str:
    """A field's help: its description and unit from the schema, its source from the scenario's comments."""
    parts = [markdown_safe(lever.description) + (f" (unit: {markdown_safe(lever.unit)})" if lever.unit else "")]
    source = source_of(where, lever.key_path)
    parts.append(f"Source: {markdown_safe(source)}" if source else "Source: not stated in the scenario's files.")
    parts.append(f"Key path: `{lever.key_path}` (as `--set {lever.key_path}=...` on the command line).")
    return "\n\n".join(parts)


def number_format(value: Any) -> str:
    return "%.0f" if isinstance(value, float) and abs(value) >= 1e5 else "%g"


def float_step(value: float | None) -> float:
    """A tenth of the value's leading digit (5.3 -> 0.1, 0.025 -> 0.001, 395 -> 10), at least 0.0001; 1 for 0."""
    if not value:
        return 1.0
    return max(10.0 ** (math.floor(math.log10(abs(value))) - 1), 1e-4)


def field(lever: Lever, key: str, start: Any, where: dict[str, str]) -> Any:
    """The widget of one lever, showing `start` at first; returns its value."""
    help_text = help_of(lever, where)
    label = f"{lever.label} ({lever.unit})" if lever.unit and lever.kind in ("int", "float") else lever.label
    if lever.kind == "int":
        return st.number_input(label, value=start, step=1, format="%d", key=key, help=help_text)
    if lever.kind == "float":
        value = None if start is None else float(start)
        return st.number_input(label, value=value, step=float_step(value), format=number_format(value), key=key,
                               help=help_text)
    if lever.kind == "choice":
        return st.selectbox(label, lever.options, index=lever.options.index(start), key=key, help=help_text)
    if lever.kind == "choices":
        return st.multiselect(label, lever.options, default=start, key=key, help=help_text)
    if lever.key_path == "description":
        return st.text_area(label, value=start, key=key, help=help_text, height=80)
    return st.text_input(label, value=start, key=key, help=help_text)


def take_upload() -> None:
    """Check and keep an uploaded scenario; choose it. Before the scenario list is drawn (it sets its choice)."""
    upload = st.file_uploader(
        "Scenario YAML file", type=["yaml", "yml"], key="upload",
        help=f"A scenario file of at most {MAX_UPLOAD_BYTES:,} bytes. It may `extends` a shipped scenario "
             "(e.g. `../baseline.yaml`) or an earlier upload.",
    )
    if upload is None or st.session_state.get("uploaded") == upload.file_id:
        return
    try:
        path = accept_upload(upload.name, upload.getvalue(), scenarios_root(), results_root())
    except InputError as error:
        for line in str(error).splitlines():
            st.error(f"error: {line}")
        return
    st.session_state.uploaded = upload.file_id
    st.session_state.base = f"upload: {path.stem}"
    st.success(f"Uploaded as {path.stem!r}: chosen below.")


st.title("Scenario")
st.write("Start from a shipped scenario or your own file, change the main levers, then download the scenario "
         "or keep it to run and compare with others. Hover over a field's question mark for what it means, "
         "its unit and where its value comes from.")
with st.expander("Upload your own scenario (YAML)"):
    take_upload()

choices = ui.scenario_choices()
names = list(choices)
if st.session_state.get("base") not in names:
    st.session_state.pop("base", None)
chosen = st.selectbox("Start from", names, index=names.index("baseline") if "baseline" in names else 0, key="base",
                      help="Shipped scenarios, then your uploads and the edits you kept for runs.")
path = choices[chosen]
is_edit = path.parent == results_root() / EDITS
base_path, earlier = split_edit(path) if is_edit else (path, {})

base, base_errors = ui.checked(base_path)
start, start_errors = ui.checked(base_path, earlier)
if base is None or start is None:
    for line in base_errors or start_errors:
        st.error(line)
    st.stop()
if start.description:
    st.caption(start.description)

where = ui.sources(base_path)
base_values = base.model_dump(mode="json")
sections = levers(start)
keys = {lever.key_path: f"lever|{chosen}|{lever.key_path}" for fields in sections.values() for lever in fields}
first_name = default_name(start, is_edit)


def start_value(lever: Lever) -> Any:
    return first_name if lever.key_path == "name" else lever.value


# What the fields hold now (their widgets' state from the last interaction), checked before they are drawn,
# so that each message can be shown under its own field.
now = {lever.key_path: st.session_state.get(keys[lever.key_path], start_value(lever))
       for fields in sections.values() for lever in fields}
edits = {k: v for k, v in earlier.items() if k not in now}
edits |= {k: v for k, v in now.items() if v != value_at(base_values, k)}
edited, error_lines = ui.checked(base_path, edits)
placed, loose = errors_by_field(error_lines, list(now), list(edits))

for line in loose:
    st.error(line)
columns_per_row = 3
for section, fields in sections.items():
    with st.expander(section, expanded=section in OPEN_AT_FIRST or any(f.key_path in placed for f in fields)):
        columns = st.columns(columns_per_row)
        for index, lever in enumerate(fields):
            with columns[index % columns_per_row]:
                field(lever, keys[lever.key_path], start_value(lever), where)
                for line in placed.get(lever.key_path, []):
                    st.error(line)

name = str(now.get("name") or "scenario")
if edited is None:
    st.warning("Mend the values marked above to download the scenario or keep it for runs.")
    st.stop()

st.success(f"OK: {describe(edited)}")
shipped = scenarios_root()
portable = (f"../{base_path.resolve().relative_to(shipped).as_posix()}"
            if shipped in base_path.resolve().parents else base_path.name)
note = (f"Made in the sim web app from {chosen!r}: only the values changed from it are here.\n"
        f"`extends` assumes this file sits in a folder of scenarios/ (as interventions/ does); "
        f"change it if you keep the file elsewhere.\nCheck it with: python -m sim check FILE")
text = edit_yaml(portable, edits, note)
st.session_state.scenario_yaml = text  # exactly what the download gives (read by the tests)
left, right = st.columns(2)
left.download_button("Download the scenario (YAML)", data=text, file_name=f"{safe_name(name)}.yaml",
                     mime="application/x-yaml", key="download_yaml")
if right.button("Keep it for runs", key="keep", help="Saved in the results folder's scenarios/ folder; "
                "choose it on the Run and compare page as 'edit: NAME'."):
    target = inside(results_root(), results_root() / EDITS / f"{safe_name(name)}.yaml")
    kept = edit_yaml(relative_extends(base_path, target.parent), edits,
                     f"Made in the sim web app from {chosen!r}; `extends` is relative to this file.")
    write_atomically(target, lambda tmp: tmp.write_text(kept, encoding="utf-8"))
    st.success(f"Kept as 'edit: {target.stem}': choose it on the Run and compare page.")
changed = [k for k in edits if k != "name"]
st.caption(f"{len(changed)} value{'s' if len(changed) != 1 else ''} changed from {chosen!r}"
           + (f": {', '.join(changed)}." if changed else "."))
with st.expander("The scenario file"):
    st.code(text, language="yaml")
