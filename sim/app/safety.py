"""Safe on a shared team machine: the app reads only the scenarios and results folders and writes only in results.

- Names typed or uploaded become one path component of letters, digits and
  `_ . = + -` (`../../etc/x` -> `etc_x`), and every path the app writes is
  checked to lie inside the results folder.
- An upload is size-limited, must be UTF-8 YAML holding a mapping (the
  loader's own safe parser, so no Python objects), may `extends` only a
  shipped scenario or an earlier upload, and may not name a census file
  (which would be read from wherever it points); it is then checked by the
  loader like any scenario before it is kept.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath

import yaml

from sim.errors import InputError
from sim.files import write_atomically
from sim.scenario import load_scenario
from sim.scenario.load import parse_yaml_mapping

MAX_UPLOAD_BYTES = 200_000  # the shipped baseline is about 11 kB; a scenario with an inline census, well under this
SHIPPED_GROUPS = ("", "interventions", "validation")  # the folders of scenarios/ that hold scenarios (not batches)
UPLOADS, EDITS = "uploads", "scenarios"  # folders of the results folder for uploaded and edited scenarios
RESERVED = (UPLOADS, EDITS)


def safe_name(text: str, fallback: str = "scenario", limit: int = 80) -> str:
    """One harmless path component: ASCII letters, digits and _ . = + -, starting with a letter or digit."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_.=+-]+", "_", ascii_text)
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)[:limit].rstrip("._-")
    return cleaned or fallback


def inside(root: Path, path: Path) -> Path:
    """`path`, resolved, if it lies inside `root`; InputError otherwise (nothing is written outside the results)."""
    resolved, top = path.resolve(), root.resolve()
    if resolved != top and top not in resolved.parents:
        raise InputError(f"{path}: outside the results folder {top}; expected a name, not a path")
    return resolved


def shipped_scenarios(scenarios_root: Path) -> dict[str, Path]:
    """The shipped scenarios by name as the app lists them: baseline, interventions/..., validation/..."""
    found = {}
    for group in SHIPPED_GROUPS:
        for path in sorted((scenarios_root / group).glob("*.yaml")):
            found[f"{group}/{path.stem}" if group else path.stem] = path
    return found


def uploaded_scenarios(results_root: Path) -> dict[str, Path]:
    return {f"upload: {p.stem}": p for p in sorted((results_root / UPLOADS).glob("*.yaml"))}


def edited_scenarios(results_root: Path) -> dict[str, Path]:
    return {f"edit: {p.stem}": p for p in sorted((results_root / EDITS).glob("*.yaml"))}


def resolve_extends(value: object, source: str, scenarios_root: Path, results_root: Path) -> Path:
    """The file an upload's `extends` may name: a shipped scenario (`../baseline.yaml`, `interventions/x.yaml`)
    or an earlier upload (by its file name)."""
    if not isinstance(value, str):
        raise InputError(f"{source}: extends: value {value!r}; expected a file path (string)")
    parts = [p for p in PurePosixPath(value.replace("\\", "/")).parts if p not in ("..", ".")]
    wanted = "/".join(parts).removesuffix(".yaml").removesuffix(".yml")
    shipped = shipped_scenarios(scenarios_root)
    if wanted in shipped:
        return shipped[wanted]
    uploads = uploaded_scenarios(results_root)
    if f"upload: {wanted}" in uploads:
        return uploads[f"upload: {wanted}"]
    raise InputError(
        f"{source}: extends: value {value!r}: not a shipped scenario or an earlier upload; expected one of "
        f"{', '.join(f'../{name}.yaml' for name in shipped)} or the file name of an upload"
    )


def accept_upload(file_name: str, data: bytes, scenarios_root: Path, results_root: Path) -> Path:
    """Check an uploaded scenario and keep it as results/uploads/<safe name>.yaml; InputError saying what is wrong."""
    source = f"upload {safe_name(file_name, 'file')!r}"
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"{source}: {len(data):,} bytes; expected a scenario file of at most {MAX_UPLOAD_BYTES:,} bytes")
    if not file_name.lower().endswith((".yaml", ".yml")):
        raise InputError(f"{source}: not a .yaml or .yml file; expected a YAML scenario file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: not UTF-8 text (byte {error.start}); expected a YAML scenario file") from None
    mapping = parse_yaml_mapping(text, source)
    if isinstance(mapping.get("census"), str):
        raise InputError(f"{source}: census: value {mapping['census']!r}: a census file cannot be uploaded with a "
                         "scenario; expected none here (a shipped scenario it extends may name one)")
    target = inside(results_root, results_root / UPLOADS / f"{safe_name(Path(file_name).stem)}.yaml")
    if "extends" in mapping:
        base = resolve_extends(mapping["extends"], source, scenarios_root, results_root)
        if base.resolve() == target:
            raise InputError(f"{source}: extends: value {mapping['extends']!r}: the upload itself; expected another file")
        mapping["extends"] = str(base.resolve())
    stored = "".join(f"# {line}\n" for line in [f"Uploaded to the app as {file_name!r}; `extends` points at the file it names."])
    stored += yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=100)
    checking = target.with_name(f".{target.stem}.checking.yaml")
    write_atomically(checking, lambda tmp: tmp.write_text(stored, encoding="utf-8"))
    try:
        load_scenario(checking)
    except InputError as error:
        raise InputError(str(error).replace(str(checking), source)) from None
    finally:
        checking.unlink(missing_ok=True)
    write_atomically(target, lambda tmp: tmp.write_text(stored, encoding="utf-8"))
    return target

