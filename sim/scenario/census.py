"""The census file: who is where when a run starts, one person a row.

Columns: place, age_band, pathway, days, delayed_days (see CensusEntry in the
schema). Empty pathway means "draw it"; empty delayed_days means 0. A planner
exports this from today's bed state and community caseloads; `python -m sim
census` writes one from the end of a simulated run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from sim.errors import InputError
from sim.scenario.schema import CensusEntry

CENSUS_FIELDS = ("place", "age_band", "pathway", "days", "delayed_days")
NUMBERS = ("days", "delayed_days")


def read_census(path: Path) -> list[dict]:
    """Rows of a census CSV as plain values; InputError naming the file, row, column and value if one is wrong."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = [c for c in ("place", "age_band", "days") if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(
                    f"{path}: columns {reader.fieldnames}: missing {missing}; expected columns {list(CENSUS_FIELDS)}"
                )
            unknown = [c for c in reader.fieldnames or [] if c not in CENSUS_FIELDS]
            if unknown:
                raise InputError(f"{path}: unknown columns {unknown}; expected columns {list(CENSUS_FIELDS)}")
            return [_row(path, number, raw) for number, raw in enumerate(reader, start=2)]
    except FileNotFoundError:
        raise InputError(f"{path}: census file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}); expected a census CSV") from None


def _row(path: Path, number: int, raw: dict) -> dict:
    row: dict = {"place": raw["place"], "age_band": raw["age_band"], "pathway": raw.get("pathway") or ""}
    for column in NUMBERS:
        text = (raw.get(column) or "").strip()
        if column == "delayed_days" and not text:
            text = "0"
        try:
            row[column] = float(text)
        except ValueError:
            raise InputError(f"{path}: row {number}, column {column}: value {text!r}: expected a number of days") from None
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
