"""A spell-level extract: read it, map a trust's column names, check every row, put times on the model's calendar.

One row per hospital spell (see FIELDS, and README's "From a hospital's own
data"). Times are either numbers of days (the model's own `run --spells`
listing: day 0 = 1 January of the run's start year, warm-up negative) or
dates and times (ISO 8601, or day/month/year as in UK extracts). A row that
cannot be read is never skipped silently: it is an InputError naming the file,
row, column and value, or, when the caller allows it, a line of the data
quality table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calendar import YEAR_DAYS, month, weekday
from sim.errors import InputError
from sim.scenario.schema import PATHWAYS

# canonical field -> what it holds; the model's spells.csv uses these names
FIELDS: dict[str, str] = {
    "patient": "pseudonymised patient id (any text)",
    "age_band": "age band, one of the template's bands (or give age)",
    "age": "age in years at admission (instead of age_band)",
    "arrival": "optional: the admission request, e.g. arrival in ED (default: admitted)",
    "admitted": "admission: a date, date and time, or day number",
    "medically_optimised": "optional: medically optimised / ready for discharge (the discharge-ready date)",
    "left_bed": "discharge (or death) date and time; empty: still in hospital when the extract ends",
    "pathway": "discharge pathway of a live discharge: p0-p3 (also 0-3, P1, 'pathway 2')",
    "died": "optional: died in hospital (yes/no, true/false, 1/0); or give outcome",
    "outcome": "optional: died_in_hospital, discharged, in_hospital (the model's listing); diverted or waiting_for_bed rows are requests never admitted",
    "readmission": "optional: the spell is an emergency readmission (default: any later spell of a patient)",
    "service": "optional: community service discharged into (reablement, home_care, intermediate_care, care_home)",
    "replication": "optional: the model listing's replication (one is used)",
}
TIME_FIELDS = ("arrival", "admitted", "medically_optimised", "left_bed")
NOT_ADMITTED = frozenset({"diverted", "waiting_for_bed"})  # the model listing's requests that never took a bed
TRUE, FALSE = frozenset({"true", "yes", "y", "1", "t"}), frozenset({"false", "no", "n", "0", "f", ""})
PATHWAY_CODE = re.compile(r"^\s*(?:p|pathway\s*)?([0-3])\s*$", re.IGNORECASE)
UK_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
LEAD_IN_DAYS = 90  # targets start this long after the extract does: spells admitted before it hold beds we cannot see
SHORTEST_PERIOD_DAYS = 28


@dataclass(frozen=True)
class BadRow:
    row: int  # line of the file (the header is line 1)
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class Extract:
    """Checked spells with times in days (the extract's own day 0), and what the extract holds.

    `spells` columns: row, patient, band (index into bands), request, admitted,
    optimised, left, died, pathway (0-3, -1 none), readmission, service,
    next_request (the same patient's next request; NaN: none). Rows never
    admitted (requests the model diverted or left waiting) have NaN admitted.
    """

    path: Path
    spells: pd.DataFrame
    bands: tuple[str, ...]
    start: float  # first day of the extract
    end: float  # the extract ends here: spells without left are still in hospital
    period: tuple[float, float]  # the year (or less) the calibration targets describe
    shift: float  # days from the extract's day 0 to the fitted scenario's (1 January of start_year)
    start_year: int
    origin: pd.Timestamp | None  # the extract's day 0 when times are dates; None: model days
    day_resolution: bool  # dates without times: stays are known to the day only
    has: frozenset[str]  # optional fields present: medically_optimised, arrival, readmission, service
    rows_read: int
    dropped: tuple[BadRow, ...]

    def calendar(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weekday (0 = Monday) and month (1-12) of whole days of the extract."""
        days = np.asarray(days, dtype=float)
        if self.origin is None:
            return weekday(days), month(days)
        stamps = self.origin + pd.to_timedelta(np.floor(days), unit="D")
        return np.asarray(stamps.day_of_week), np.asarray(stamps.month)

    def label(self, day: float) -> str:
        """A day of the extract as a reader knows it: a date, or a model day."""
        if self.origin is None:
            return f"day {day:g}"
        return (self.origin + pd.Timedelta(days=math.floor(day))).strftime("%Y-%m-%d")

    def period_label(self) -> str:
        low, high = self.period
        if self.origin is None:
            return f"days {low:g} to {high:g} (model days)"
        return f"{self.label(low)} to {self.label(high - 1)}"


def read_extract(
    path: Path,
    bands: list[str],
    start_year: int,
    columns: list[str] | None = None,
    replication: int | None = None,
    drop_bad_rows: bool = False,
) -> Extract:
    """Read, map and check an extract; InputError on the first bad row unless bad rows may be dropped."""
    raw = read_table(path)
    raw, mapped = rename_columns(path, raw, columns or [])
    require_fields(path, raw)
    raw = one_replication(path, raw, replication)
    rows_read = len(raw)
    numeric = times_are_numbers(raw)
    table, bad = parse_rows(raw, bands, numeric)
    bad += same_patient_problems(table.drop(index=[b.row for b in bad], errors="ignore"))
    bad = [replace(b, column=f"{mapped[b.column]} ({b.column})") if b.column in mapped else b for b in bad]
    if bad and not drop_bad_rows:
        first = min(bad, key=lambda b: b.row)
        more = len({b.row for b in bad}) - 1
        tail = f" (and {more} more bad row{'s' * (more != 1)}; --drop-bad-rows drops them and lists them in data_quality.csv)" if more else ""
        raise InputError(f"{path}: row {first.row}, column {first.column}: value {first.value!r}: {first.reason}{tail}")
    dropped = tuple(sorted(bad, key=lambda b: b.row))
    table = table.drop(index=sorted({b.row for b in bad}))
    if table["admitted"].notna().sum() == 0:
        raise InputError(f"{path}: no spell left to fit; expected rows with an admission")
    return build_extract(path, table, tuple(bands), start_year, numeric, raw, rows_read, dropped)


def read_table(path: Path) -> pd.DataFrame:
    """Every cell as text, indexed by the file's line numbers (header = 1)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}); expected a CSV extract") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path}: not a readable CSV ({str(error).strip()}); expected one row per spell with a header") from None
    raw.index = raw.index + 2
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def rename_columns(path: Path, raw: pd.DataFrame, assignments: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """--columns NAME=COLUMN: the trust's COLUMN holds the field NAME. Also field -> the file's column, for messages."""
    mapping: dict[str, str] = {}
    for assignment in assignments:
        name, sep, column = (part.strip() for part in assignment.partition("="))
        if not sep or not name or not column:
            raise InputError(f"--columns {assignment!r}: expected NAME=COLUMN, e.g. admitted=ADMIDATE")
        if name not in FIELDS:
            raise InputError(f"--columns {assignment!r}: {name!r} is not a field of the extract; expected one of: {', '.join(FIELDS)}")
        if column not in raw.columns:
            raise InputError(f"{path}: --columns {assignment!r}: no column {column!r}; the file has columns {list(raw.columns)}")
        mapping[column] = name
    kept = [c for c in raw.columns if c not in mapping.values() or c in mapping]  # a mapped name replaces a same-named column
    return raw[kept].rename(columns=mapping), {name: column for column, name in mapping.items()}


def require_fields(path: Path, raw: pd.DataFrame) -> None:
    needed = [f for f in ("patient", "admitted", "left_bed", "pathway") if f not in raw.columns]
    if "age_band" not in raw.columns and "age" not in raw.columns:
        needed.append("age_band (or age)")
    if "died" not in raw.columns and "outcome" not in raw.columns:
        needed.append("died (or outcome)")
    if needed:
        raise InputError(
            f"{path}: missing column{'s' * (len(needed) > 1)} {', '.join(needed)}; the file has {list(raw.columns)} "
            "(give your own names with --columns NAME=COLUMN, see README)"
        )


def one_replication(path: Path, raw: pd.DataFrame, replication: int | None) -> pd.DataFrame:
    """The model's listing may hold several replications: each is its own hospital, so one is taken."""
    if "replication" not in raw.columns:
        if replication is not None:
            raise InputError(f"{path}: --replication {replication}: the file has no replication column")
        return raw
    present = sorted(set(raw["replication"]))
    if replication is None:
        if len(present) == 1:
            return raw
        raise InputError(
            f"{path}: column replication: {len(present)} replications ({', '.join(present[:5])}{', ...' * (len(present) > 5)}); "
            "expected one: choose it with --replication R"
        )
    chosen = raw[raw["replication"] == str(replication)]
    if chosen.empty:
        raise InputError(f"{path}: --replication {replication}: not in the file; expected one of {', '.join(present[:10])}")
    return chosen


def times_are_numbers(raw: pd.DataFrame) -> bool:
    """Day numbers (the model's listing) if most admissions read as numbers; otherwise dates."""
    admitted = raw["admitted"][raw["admitted"].str.strip() != ""]
    return bool(len(admitted)) and bool(pd.to_numeric(admitted, errors="coerce").notna().mean() >= 0.5)


def parse_times(text: pd.Series, numeric: bool) -> pd.Series:
    """Numbers of days, or timestamps; NaN / NaT where empty or unreadable."""
    text = text.str.strip()
    if numeric:
        return pd.to_numeric(text, errors="coerce").where(text != "")
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    for fmt in UK_DATE_FORMATS:
        missing = stamps.isna() & (text != "")
        if not missing.any():
            break
        stamps[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return stamps.where(text != "")


def parse_rows(raw: pd.DataFrame, bands: list[str], numeric: bool) -> tuple[pd.DataFrame, list[BadRow]]:
    """Each row's fields as values; the first problem of each bad row."""
    bad: dict[int, BadRow] = {}

    def flag(mask: pd.Series, column: str, values: pd.Series, reason: str | Callable[[int], str]) -> None:
        """Note the problem for each row in `mask` that has none yet (a row's first problem is the one shown)."""
        for row in mask[mask].index:
            if row not in bad:
                bad[row] = BadRow(int(row), column, str(values[row]), reason(row) if callable(reason) else reason)

    text = {name: raw[name].astype(str).str.strip() for name in raw.columns}
    flag(text["patient"] == "", "patient", text["patient"], "missing; expected a patient id")
    band = band_of(raw, text, bands, flag)

    times = {}
    for name in TIME_FIELDS:
        if name not in raw.columns:
            continue
        times[name] = parse_times(text[name], numeric)
        expected = "a number of days" if numeric else "a date (YYYY-MM-DD or DD/MM/YYYY, optionally with HH:MM)"
        flag(times[name].isna() & (text[name] != ""), name, text[name], f"cannot be read; expected {expected}")
    outcome = text.get("outcome", pd.Series("", index=raw.index))
    # the model's listing also holds requests that never took a bed: kept as requests, not as spells
    never_admitted = outcome.isin(NOT_ADMITTED) & (times["arrival"].notna() if "arrival" in times else False)
    flag((text["admitted"] == "") & ~never_admitted, "admitted", text["admitted"], "missing; expected the admission")

    died = yes_no(text, "died", flag) if "died" in raw.columns else outcome == "died_in_hospital"
    pathway = pathway_of(text["pathway"], flag)
    readmission = yes_no(text, "readmission", flag) if "readmission" in raw.columns else None
    order_checks(times, text, flag)
    live = times["left_bed"].notna() & ~died
    flag(live & (pathway < 0) & (text["pathway"] == ""), "pathway", text["pathway"], "missing for a live discharge; expected p0-p3")
    flag(died & times["left_bed"].isna() & times["admitted"].notna(), "left_bed", text["left_bed"],
         "missing for a death in hospital; expected the date of death")

    table = pd.DataFrame({
        "row": raw.index.to_numpy(),
        "patient": text["patient"],
        "band": band,
        "died": died.astype(bool),
        "pathway": pathway,
        "service": text.get("service", pd.Series("", index=raw.index)),
    }, index=raw.index)
    for name, values in times.items():
        table[name] = values
    if readmission is not None:
        table["readmission"] = readmission.astype(bool)
    return table, list(bad.values())


def band_of(raw: pd.DataFrame, text: dict[str, pd.Series], bands: list[str], flag) -> np.ndarray:
    """Index of each row's age band (from age_band, or from age through the bands' names); -1 when bad."""
    if "age_band" in raw.columns:
        index = pd.Series({b: i for i, b in enumerate(bands)})
        found = text["age_band"].map(index)
        flag(found.isna(), "age_band", text["age_band"], f"unknown age band; expected one of {', '.join(bands)}")
        return found.fillna(-1).astype(int).to_numpy()
    limits = band_limits(bands)
    age = pd.to_numeric(text["age"], errors="coerce")
    flag(age.isna(), "age", text["age"], "cannot be read; expected an age in years")
    first = min(range(len(bands)), key=lambda i: limits[i][0])
    youngest = limits[first][0]
    flag(age < youngest, "age", text["age"], f"under the cohort's youngest band ({bands[first]}); expected an age of {youngest:g} or more")
    found = np.full(len(age), -1)
    for i, (low, high) in enumerate(limits):
        found[((age >= low) & (age < high)).to_numpy()] = i
    flag(pd.Series((found < 0) & age.notna().to_numpy() & (age >= youngest).to_numpy(), index=age.index),
         "age", text["age"], f"in no age band; expected an age inside one of {', '.join(bands)}")
    return found


def band_limits(bands: list[str]) -> list[tuple[float, float]]:
    """[low, high) ages of bands named like 65-74 or 85+."""
    limits = []
    for band in bands:
        closed = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", band)
        open_ended = re.fullmatch(r"\s*(\d+)\s*\+\s*", band)
        if closed:
            limits.append((float(closed[1]), float(closed[2]) + 1))
        elif open_ended:
            limits.append((float(open_ended[1]), math.inf))
        else:
            raise InputError(f"age band {band!r} cannot be read as ages (like 65-74 or 85+); give the column age_band instead of age")
    return limits


def yes_no(text: dict[str, pd.Series], column: str, flag) -> pd.Series:
    lowered = text[column].str.lower()
    flag(~lowered.isin(TRUE | FALSE), column, text[column], "expected yes or no (true/false, 1/0)")
    return lowered.isin(TRUE)


def pathway_of(text: pd.Series, flag) -> np.ndarray:
    """0-3 from a pathway code; -1 where empty or unknown (unknown codes are flagged)."""
    codes = text.str.extract(PATHWAY_CODE, expand=False)
    flag(codes.isna() & (text != ""), "pathway", text, f"unknown pathway code; expected one of {', '.join(PATHWAYS)} (or 0-3)")
    return pd.to_numeric(codes, errors="coerce").fillna(-1).astype(int).to_numpy()


def order_checks(times: dict[str, pd.Series], text: dict[str, pd.Series], flag) -> None:
    """Each step of a spell comes after the one before it: request, admission, medically optimised, discharge."""
    steps = [
        ("arrival", "admitted", "admission before the request"),
        ("admitted", "left_bed", "discharge before admission"),
        ("admitted", "medically_optimised", "medically optimised before admission"),
        ("medically_optimised", "left_bed", "discharge before medically optimised"),
    ]
    for earlier, later, what in steps:
        if earlier in times and later in times:
            before = text[earlier]
            flag(times[later] < times[earlier], later, text[later],
                 lambda row, what=what, earlier=earlier, later=later, before=before:
                 f"{what} ({earlier} {before[row]}); expected {later} on or after {earlier}")


def same_patient_problems(table: pd.DataFrame) -> list[BadRow]:
    """Duplicate spells (same patient, same admission) and spells that begin before the patient's last one ended."""
    admitted = table[table["admitted"].notna()].sort_values(["patient", "admitted", "row"])
    bad = []
    previous_row, previous = admitted["row"].shift(), admitted.shift()
    same = admitted["patient"] == previous["patient"]
    for index in admitted.index[same & (admitted["admitted"] == previous["admitted"])]:
        bad.append(BadRow(int(admitted.at[index, "row"]), "admitted", str(admitted.at[index, "admitted"]),
                          f"duplicate spell: the same patient and admission as row {int(previous_row[index])}"))
    duplicate = {b.row for b in bad}
    open_or_later = previous["left_bed"].isna() | (admitted["admitted"] < previous["left_bed"])
    for index in admitted.index[same & open_or_later & (admitted["admitted"] != previous["admitted"])]:
        if int(admitted.at[index, "row"]) in duplicate:
            continue
        bad.append(BadRow(int(admitted.at[index, "row"]), "admitted", str(admitted.at[index, "admitted"]),
                          f"overlaps row {int(previous_row[index])}: the same patient was still in hospital; expected one spell at a time"))
    return bad


def build_extract(
    path: Path, table: pd.DataFrame, bands: tuple[str, ...], start_year: int, numeric: bool,
    raw: pd.DataFrame, rows_read: int, dropped: tuple[BadRow, ...],
) -> Extract:
    """Times in days from the extract's day 0; the period the targets describe; the fitted scenario's year."""
    origin = None
    if not numeric:
        first = min(table[name].min() for name in TIME_FIELDS if name in table.columns)
        origin = pd.Timestamp(year=first.year, month=1, day=1)
    stamps = [table[name] for name in TIME_FIELDS if name in table.columns]
    day_resolution = not numeric and all(((s.dropna() - s.dropna().dt.normalize()) == pd.Timedelta(0)).all() for s in stamps)
    days = {name: as_days(table[name], origin) for name in TIME_FIELDS if name in table.columns}
    request = days.get("arrival", days["admitted"]).fillna(days["admitted"])
    spells = pd.DataFrame({
        "row": table["row"].to_numpy(),
        "patient": table["patient"].to_numpy(),
        "band": table["band"].to_numpy(),
        "request": request.to_numpy(),
        "admitted": days["admitted"].to_numpy(),
        "optimised": days.get("medically_optimised", pd.Series(np.nan, index=table.index)).to_numpy(),
        "left": days["left_bed"].to_numpy(),
        "died": table["died"].to_numpy(),
        "pathway": table["pathway"].to_numpy(),
        "service": table["service"].to_numpy(),
    })
    spells = spells.sort_values(["request", "row"], kind="stable").reset_index(drop=True)
    by_patient = spells.groupby("patient", sort=False)["request"]
    spells["readmission"] = (
        table.set_index("row").loc[spells["row"], "readmission"].to_numpy() if "readmission" in table.columns
        else by_patient.cumcount().to_numpy() > 0
    )
    spells["next_request"] = by_patient.shift(-1).to_numpy()
    present = [f for f in ("medically_optimised", "arrival", "readmission", "service") if f in raw.columns]
    if "service" in present and not (spells["service"] != "").any():
        present.remove("service")
    times = np.concatenate([spells[c].to_numpy() for c in ("request", "admitted", "optimised", "left")])
    start, end = math.floor(np.nanmin(times)), math.floor(np.nanmax(times)) + 1
    period = target_period(path, start, end)
    middle = (period[0] + period[1]) / 2
    if origin is None:
        shift = YEAR_DAYS * math.floor(middle / YEAR_DAYS)
        year = start_year + int(shift // YEAR_DAYS)
    else:
        year = (origin + pd.Timedelta(days=middle)).year
        shift = float((pd.Timestamp(year=year, month=1, day=1) - origin).days)
    return Extract(
        path=path, spells=spells, bands=bands, start=float(start), end=float(end), period=period, shift=shift,
        start_year=year, origin=origin, day_resolution=day_resolution, has=frozenset(present),
        rows_read=rows_read, dropped=dropped,
    )


def as_days(values: pd.Series, origin: pd.Timestamp | None) -> pd.Series:
    if origin is None:
        return values.astype(float)
    return (values - origin) / pd.Timedelta(days=1)


def target_period(path: Path, start: float, end: float) -> tuple[float, float]:
    """The last year of the extract, leaving its first LEAD_IN_DAYS out (their beds hold spells admitted before)."""
    first = max(end - YEAR_DAYS, start + LEAD_IN_DAYS)
    if end - first < SHORTEST_PERIOD_DAYS:
        raise InputError(
            f"{path}: the extract spans {end - start:g} days; expected at least {LEAD_IN_DAYS + SHORTEST_PERIOD_DAYS} "
            f"({LEAD_IN_DAYS} days before the targets' period and {SHORTEST_PERIOD_DAYS} days of it)"
        )
    return float(first), float(end)
