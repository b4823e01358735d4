"""fit-inputs: reading an extract (the model's listing, or a trust's with its own column names and dates),
refusing bad rows clearly or dropping them on request, and the laws' likelihood terms."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from inputs_helpers import spells_of, write_small
from sim.cli import main
from sim.errors import InputError
from sim.inputs import fit_inputs, read_extract
from sim.inputs.laws import FAMILIES, Stays, log_probability
from sim.inputs.outcomes import fit_shares
from sim.inputs.write import write_files
from sim.inputs.stays import observations
from sim.scenario import load_scenario

MONDAY = pd.Timestamp("2024-01-01")  # a Monday, like the model's day 0
APC_COLUMNS = [
    "patient=PSEUDO_ID", "age=STARTAGE", "admitted=ADMIDATE", "medically_optimised=RFD_DATE", "left_bed=DISDATE",
    "pathway=DISCH_PATHWAY", "died=DIED",
]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A 240-day listing of the small hospital (no warm-up: every first spell is a patient's first)."""
    folder = tmp_path_factory.mktemp("extract")
    path = write_small(folder, run={"warmup_days": 0, "horizon_days": 240})
    scenario = load_scenario(path, ["run.seed=5"])
    spells = spells_of(scenario)
    spells.to_csv(folder / "spells.csv", index=False)
    return folder, path, scenario, spells


def as_apc(spells: pd.DataFrame, dates_only: bool = False) -> pd.DataFrame:
    """The listing as a trust's admitted patient care extract: its own column names, dates, ages, Y/N."""
    admitted = spells[spells.admitted.notna()]
    fmt = "%Y-%m-%d" if dates_only else "%Y-%m-%d %H:%M:%S"

    def stamp(days: pd.Series) -> pd.Series:
        return (MONDAY + pd.to_timedelta(days, unit="D")).dt.strftime(fmt).fillna("")

    return pd.DataFrame({
        "PSEUDO_ID": "P" + admitted.patient.astype(str),
        "STARTAGE": admitted.age_band.map({"65-74": 70, "75-84": 80, "85+": 91}),
        "ADMIDATE": stamp(admitted.admitted),
        "RFD_DATE": stamp(admitted.medically_optimised),
        "DISDATE": stamp(admitted.left_bed),
        "DISCH_PATHWAY": admitted.pathway.fillna("").str.replace("p", "Pathway ", regex=False),
        "DIED": np.where(admitted.outcome == "died_in_hospital", "Y", "N"),
    })


def fit_folder(args: list[str]) -> int:
    return main(["fit-inputs", *args, "--quiet"])


# --- the model's listing and a trust's extract ---------------------------------------------------------


def test_a_trusts_extract_with_its_own_names_and_dates_gives_the_listings_fit(source, tmp_path):
    folder, template, scenario, spells = source
    apc = tmp_path / "apc.csv"
    as_apc(spells).to_csv(apc, index=False)
    fit = fit_inputs(read_extract(apc, scenario.age_bands, scenario.run.start_year, APC_COLUMNS), scenario, template)
    estimates = {e.parameter: e.value for e in fit.fitted.estimates}
    listing = read_extract(folder / "spells.csv", scenario.age_bands, scenario.run.start_year)
    shares, _, _ = fit_shares(listing)
    for estimate in shares.estimates:  # the same spells: the same shares and mortality, to the digit
        if estimate.parameter != "pathways.p1_home_care_share":  # (needs the listing's service column)
            assert estimates[estimate.parameter] == pytest.approx(estimate.value, abs=1e-12)
    write_files(fit, tmp_path / "fitted", "test", drop_bad_rows=False)
    fitted = load_scenario(tmp_path / "fitted" / "scenario.yaml")
    assert fitted.run.start_year == 2024  # the year of the dates, not the template's
    assert any(note.startswith("demand.month_factors: as in the template") for note in fit.fitted.notes)  # under a year
    assert fitted.demand.month_factors == scenario.demand.month_factors


def test_without_the_columns_mapping_the_missing_fields_are_named(source, tmp_path, capsys):
    _, template, _, spells = source
    apc = tmp_path / "apc.csv"
    as_apc(spells).to_csv(apc, index=False)
    assert fit_folder([str(apc), "--template", str(template), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "missing columns patient, admitted, left_bed, pathway, age_band (or age), died (or outcome)" in err
    assert "--columns NAME=COLUMN" in err
    assert not (tmp_path / "out").exists()


def test_dates_without_times_give_stays_known_to_the_day(source, tmp_path):
    _, _, scenario, spells = source
    apc = tmp_path / "apc.csv"
    as_apc(spells, dates_only=True).to_csv(apc, index=False)
    extract = read_extract(apc, scenario.age_bands, 2025, APC_COLUMNS)
    assert extract.day_resolution
    obs = observations(extract)
    exact = np.isfinite(obs.high)
    assert np.all(obs.high[exact] - obs.low[exact] <= 1.0) and np.all(obs.high[exact] - obs.low[exact] > 0)
    assert np.all(np.isclose(obs.low[exact] + 0.5, np.round(obs.low[exact] + 0.5)) | (obs.low[exact] == 0))


def test_a_listing_of_several_replications_needs_one_chosen(source, tmp_path):
    _, _, scenario, spells = source
    two = pd.concat([spells, spells.assign(replication=1)])
    path = tmp_path / "two.csv"
    two.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"column replication: 2 replications \(0, 1\); expected one: choose it with --replication R"):
        read_extract(path, scenario.age_bands, 2025)
    assert len(read_extract(path, scenario.age_bands, 2025, replication=1).spells) == len(spells)


def test_without_medically_optimised_times_the_clinical_stay_stays_as_in_the_template(source, tmp_path):
    folder, template, scenario, spells = source
    path = tmp_path / "no_ready.csv"
    spells.drop(columns=["medically_optimised"]).to_csv(path, index=False)
    fit = fit_inputs(read_extract(path, scenario.age_bands, 2025), scenario, template)
    keys = {s.key for s in fit.fitted.settings}
    assert not any(key.startswith("clinical_stay") for key in keys)
    assert "in_hospital_death.stay_before_death" in keys  # a death's stay needs no ready date
    assert any(note.startswith("clinical_stay: as in the template") for note in fit.fitted.notes)
    indicators = {t.indicator for t in fit.targets}
    assert "mean_los_days_p1" in indicators and "mean_delay_days" not in indicators


# --- bad rows --------------------------------------------------------------------------------------


def corrupt(table: pd.DataFrame, index: int, **values) -> pd.DataFrame:
    table = table.copy().astype({c: object for c in values})
    for column, value in values.items():
        table.iloc[index, table.columns.get_loc(column)] = value
    return table


def second_spell(spells: pd.DataFrame) -> int:
    """Position, among the admitted spells (the rows of as_apc), of a discharged one."""
    return int(np.flatnonzero((spells[spells.admitted.notna()].outcome == "discharged").to_numpy())[10])


BAD = {
    "unparseable date": ("ADMIDATE", "2025-02-31 10:00:00", "cannot be read; expected a date"),
    "discharge before admission": ("DISDATE", "2023-12-25 09:00:00", "discharge before admission"),
    "age under the cohort's": ("STARTAGE", "52", "under the cohort's youngest band (65-74); expected an age of 65 or more"),
    "unknown pathway code": ("DISCH_PATHWAY", "Pathway 7", "unknown pathway code; expected one of p0, p1, p2, p3"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_row_stops_with_its_row_column_and_value(source, tmp_path, capsys, case):
    _, template, _, spells = source
    column, value, reason = BAD[case]
    index = second_spell(spells)
    apc = as_apc(spells)
    bad = corrupt(apc, index, **{column: value})
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    out = tmp_path / "out"
    status = fit_folder([str(path), "--template", str(template), "--out", str(out)] + [x for c in APC_COLUMNS for x in ("--columns", c)])
    err = capsys.readouterr().err.strip()
    assert status == 2
    field = {v: k for k, v in (c.split("=") for c in APC_COLUMNS)}[column]
    assert err.startswith(f"error: {path}: row {index + 2}, column {column} ({field}): value {value!r}: {reason}"), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # nothing written


def test_a_duplicate_spell_is_named_with_the_row_it_repeats(source, tmp_path):
    _, _, scenario, spells = source
    index = second_spell(spells)
    doubled = pd.concat([spells, spells.iloc[[index]]], ignore_index=True)
    path = tmp_path / "doubled.csv"
    doubled.to_csv(path, index=False)
    with pytest.raises(InputError, match=rf"row {len(spells) + 2}, column admitted: value '[0-9.]+': duplicate spell: "
                                         rf"the same patient and admission as row {index + 2}"):
        read_extract(path, scenario.age_bands, 2025)


def test_with_drop_bad_rows_every_dropped_row_is_listed_with_its_reason(source, tmp_path, capsys):
    _, template, _, spells = source
    apc = as_apc(spells)
    rows = np.flatnonzero((spells[spells.admitted.notna()].outcome == "discharged").to_numpy())[[20, 40, 60, 80]]
    for index, case in zip(rows, sorted(BAD), strict=True):
        column, value, _ = BAD[case]
        apc = corrupt(apc, int(index), **{column: value})
    apc = pd.concat([apc, apc.iloc[[5]]], ignore_index=True)  # and a duplicate of row 7
    path = tmp_path / "bad.csv"
    apc.to_csv(path, index=False)
    out = tmp_path / "out"
    columns = [x for c in APC_COLUMNS for x in ("--columns", c)]
    assert fit_folder([str(path), "--template", str(template), "--out", str(out), "--drop-bad-rows"] + columns) == 0
    quality = pd.read_csv(out / "data_quality.csv")
    assert list(quality.columns) == ["row", "column", "value", "reason"]
    assert sorted(quality.row) == sorted([int(i) + 2 for i in rows] + [len(apc) + 1])
    reasons = " | ".join(quality.reason)
    for case in BAD:
        assert BAD[case][2].split(";")[0] in reasons
    assert "duplicate spell: the same patient and admission as row 7" in reasons
    err = capsys.readouterr().err
    assert f"dropped 5 of {len(apc):,} rows" in err
    assert (out / "scenario.yaml").exists()


def test_without_drop_bad_rows_the_message_counts_the_other_bad_rows(source, tmp_path):
    _, _, scenario, spells = source
    bad = corrupt(corrupt(spells, 3, pathway="pathway x"), 9, admitted="soon")
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 5, column pathway: value 'pathway x': unknown pathway code.*\(and 1 more bad row;"):
        read_extract(path, scenario.age_bands, 2025)


# --- the laws' likelihood terms ---------------------------------------------------------------------

SCIPY = {
    "lognormal": lambda shape, scale: stats.lognorm(shape, scale=scale),
    "gamma": lambda shape, scale: stats.gamma(shape, scale=scale),
    "weibull": lambda shape, scale: stats.weibull_min(shape, scale=scale),
    "exponential": lambda shape, scale: stats.expon(scale=scale),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_laws_likelihood_terms_are_scipys(name):
    family = FAMILIES[name]
    shape, scale = 1.7, 6.0
    theta = np.array([math.log(scale)]) if family.parameters == 1 else np.array([math.log(shape), math.log(scale)])
    if name == "lognormal":
        theta = np.array([math.log(0.8), math.log(scale)])  # sigma and mu = log(scale)
        shape = 0.8
    law = SCIPY[name](shape, scale)
    x = np.array([0.05, 0.7, 3.0, 11.0, 60.0])
    lx = np.log(x)
    assert family.logpdf(lx, theta) == pytest.approx(law.logpdf(x), rel=1e-10)
    assert family.logsf(lx, theta) == pytest.approx(law.logsf(x), rel=1e-10)
    assert family.logcdf(lx, theta) == pytest.approx(law.logcdf(x), rel=1e-10)
    stays = Stays(np.array([2.0, 4.0, 0.0]), np.array([2.0, np.inf, 0.5]))  # exact, censored, between
    expected = [law.logpdf(1.0) - math.log(2.0), law.logsf(2.0), math.log(law.cdf(0.25))]  # stays are 2 x a draw
    assert log_probability(family, theta, stays, math.log(2.0)) == pytest.approx(expected, rel=1e-10)
    mean, sd = family.mean_and_sd(theta)
    assert (float(mean), float(sd)) == pytest.approx((law.mean(), law.std()), rel=1e-10)



def test_a_synthetic_extract_holds_only_what_a_hospitals_extract_holds_and_reads_as_one(source, tmp_path):
    _, template, scenario, spells = source
    assert main(["synthetic-extract", str(template), "--seed", "5", "--years", "0.6", "--out", str(tmp_path)]) == 0
    written = pd.read_csv(tmp_path / "spells_extract.csv", dtype=str, keep_default_na=False)
    assert list(written.columns) == ["patient", "age_band", "arrival", "admitted", "medically_optimised", "left_bed", "pathway", "died"]
    assert written.admitted.str.fullmatch(r"2024-\d\d-\d\d \d\d:\d\d").all()  # day 0 is written as Monday 1 January 2024
    admitted = spells[spells.admitted >= 240 - 0.6 * 365]
    assert len(written) == len(admitted)  # the same replication: its spells admitted in the last 0.6 years
    extract = read_extract(tmp_path / "spells_extract.csv", scenario.age_bands, 2025)
    assert extract.origin is not None and extract.has == {"arrival", "medically_optimised"}
    assert extract.spells.died.sum() == (admitted.outcome == "died_in_hospital").sum()


@pytest.mark.parametrize("assignment, message", [
    ("admission=ADMIDATE", "'admission' is not a field of the extract; expected one of: patient, age_band, age"),
    ("admitted=ADMISSION_DATE", "no column 'ADMISSION_DATE'; the file has columns ['PSEUDO_ID'"),
    ("admitted", "expected NAME=COLUMN, e.g. admitted=ADMIDATE"),
])
def test_a_wrong_columns_mapping_is_named(source, tmp_path, assignment, message):
    _, _, scenario, spells = source
    path = tmp_path / "apc.csv"
    as_apc(spells.head(50)).to_csv(path, index=False)
    with pytest.raises(InputError, match=re.escape(message)):
        read_extract(path, scenario.age_bands, 2025, [*APC_COLUMNS, assignment])
