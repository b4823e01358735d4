"""The census file: who is where when a run starts, one person a row.

Columns: place, age_band, pathway, days, delayed_days (see CensusEntry in the
schema). Empty pathway means "draw it"; empty delayed_days means 0. A planner
exports this from today's bed state and community caseloads; `python -m sim
census` writes one from the end of a simulated run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from sim.errors import InputError, shown
from sim.scenario.schema import CensusEntry

CENSUS_FIELDS = ("place", "age_band", "pathway", "days", "delayed_days")
NUMBERS = ("days", "delayed_days")


MAX_CENSUS_BYTES = 64 * 2**20  # a borough's census is a few hundred kB
MAX_FIELD_CHARACTERS = 1_000  # no census value is longer; csv's own limit (128 KB) would be an exit 1


def read_census(path: Path) -> list[dict]:
    """Rows of a census CSV as plain values; InputError naming the file, row, column and value if one is wrong."""
    from sim.scenario.load import read_text_file  # here: load reads this module

    text = read_text_file(path, "a census CSV", MAX_CENSUS_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or []
        missing = [c for c in ("place", "age_band", "days") if c not in fieldnames]
        if missing:
            raise InputError(
                f"{path}: columns {shown(fieldnames, 200)}: missing {missing}; expected columns {list(CENSUS_FIELDS)}"
            )
        unknown = [c for c in fieldnames if c not in CENSUS_FIELDS]
        if unknown:
            raise InputError(f"{path}: unknown columns {shown(unknown, 200)}; expected columns {list(CENSUS_FIELDS)}")
        twice = sorted({c for c in fieldnames if fieldnames.count(c) > 1})
        if twice:
            raise InputError(f"{path}: column {twice[0]!r} appears twice in the header; expected each column once")
        return [_row(path, reader.line_num, raw) for raw in reader]
    except csv.Error as error:
        raise InputError(f"{path}: row {reader.line_num + 1}: not a CSV row ({error}); expected a census CSV") from None


def _row(path: Path, number: int, raw: dict) -> dict:
    if None in raw:  # DictReader puts values beyond the header's columns under None
        raise InputError(
            f"{path}: row {number}: {len(raw) - 1 + len(raw[None])} values; expected {len(raw) - 1} (one per column of the header)"
        )
    if any(value is None for value in raw.values()):
        raise InputError(f"{path}: row {number}: fewer values than the header's {len(raw)} columns; expected one per column")
    if any(len(value) > MAX_FIELD_CHARACTERS for value in raw.values()):
        raise InputError(f"{path}: row {number}: a value longer than {MAX_FIELD_CHARACTERS} characters; expected a census value")
    row: dict = {"place": raw["place"], "age_band": raw["age_band"], "pathway": raw.get("pathway") or ""}
    for column in NUMBERS:
        text = (raw.get(column) or "").strip()
        if column == "delayed_days" and not text:
            text = "0"
        try:
            row[column] = float(text)
        except ValueError:
            raise InputError(f"{path}: row {number}, column {column}: value {text[:40]!r}: expected a number of days") from None
    try:
        CensusEntry.model_validate(row)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        column = ".".join(str(part) for part in first["loc"]) or "row"
        value = row.get(column, "")
        raise InputError(f"{path}: row {number}, column {column}: value {value!r}: {first['msg']}") from None
    return row


def write_census(path: Path, entries: Iterable[CensusEntry]) -> None:
    """Write entries as a census CSV (rows in the order given)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CENSUS_FIELDS)
        for entry in entries:
            writer.writerow([entry.place, entry.age_band, entry.pathway, f"{entry.days:.4f}", f"{entry.delayed_days:.4f}"])
