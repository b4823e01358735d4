"""First-admission rates: a Poisson regression of daily counts (statsmodels GLM), as the model draws them.

The model's requests of age band b on day t arrive at rate
base_b x weekday factor x month factor x (1 + g)^(t / 365), one set of
factors for every band. So the daily counts of first admissions are fitted as
log E[count] = log base_b + weekday + month + t/365 x log(1 + g), with
Monday, January as the reference; the factors are then rescaled to average 1
(the scenario's convention) and the base rates carry the rest. Intervals come
from the GLM's covariance (scaled up by the Pearson dispersion when the counts
vary more than Poisson), through 4,000 draws of the coefficients.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM

from sim.calendar import YEAR_DAYS
from sim.inputs.estimates import Estimate, Fitted, Setting, count, draws_of, percentiles
from sim.inputs.extract import Extract
from sim.scenario.schema import WEEKDAYS, Scenario

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LOOKBACK_DAYS = 365  # without a readmission flag, this much of the extract (at most half) only recognises returning patients
GROWTH_DAYS = 2 * YEAR_DAYS  # counted days needed to fit growth alongside month factors


def fit_arrivals(extract: Extract, template: Scenario) -> Fitted:
    """Base rates per band, weekday and month factors and yearly growth, with their intervals."""
    first_day, days = counting_days(extract)
    daily = daily_counts(extract, first_day, days)
    fit_months = daily.month.nunique() == 12  # else the template's month factors stand
    fit_growth = fit_months and days >= GROWTH_DAYS  # within a year or so, a trend and the seasons cannot be told apart
    design = design_matrix(daily, extract.bands, fit_months, fit_growth)
    offset = np.zeros(len(daily))
    if not fit_months:
        offset += np.log(np.asarray(template.demand.month_factors))[daily.month.to_numpy() - 1]
    if not fit_growth:
        offset += daily.years.to_numpy() * math.log1p(template.demand.growth_per_year)
    model = GLM(daily["count"].to_numpy(), design, family=Poisson(), offset=offset)
    result = model.fit()
    dispersion = result.pearson_chi2 / result.df_resid
    if dispersion > 1:  # quasi-Poisson: never narrower than Poisson
        result = model.fit(scale=dispersion)
    draws = draws_of(result.params.to_numpy(), result.cov_params().to_numpy())
    names = list(design.columns)
    period = f"{extract.label(first_day)} to {extract.label(first_day + days - 1)}"
    method = (
        "Poisson regression of daily first-admission counts (statsmodels GLM): band + weekday"
        + (" + month" if fit_months else "") + (" + yearly growth" if fit_growth else "")
        + f"; factors rescaled to average 1; dispersion {max(dispersion, 1.0):.2f}"
    )
    n_first = int(daily["count"].sum())
    fitted = Fitted()
    avoided = template.demand.admission_avoidance_share

    point = {key: float(v[0]) for key, v in transform(result.params.to_numpy()[None, :], names, extract.bands).items()}
    drawn = transform(draws, names, extract.bands)
    rates = {}
    for band in extract.bands:
        low, high = percentiles(drawn[f"base:{band}"])
        n_band = int(daily.loc[daily.band == band, "count"].sum())
        fitted.estimates.append(Estimate(
            f"demand.arrivals_per_day.{band}", point[f"base:{band}"], low, high, "admissions/day", n_band,
            "first admissions", period, method,
        ))
        rates[band] = round(point[f"base:{band}"] / (1 - avoided), 4)
    note = f"; divided by 1 - admission_avoidance_share {avoided:g} of the template" if avoided else ""
    fitted.settings.append(Setting(
        "demand.arrivals_per_day", rates,
        f"first-admission requests a day on 1 January {extract.start_year} (factor-1 days){note}; "
        f"{count(n_first, 'first admissions')}, {period}; {method}",
        [f"95 % CI {e.low:.3f}-{e.high:.3f}; {count(e.n, 'first admissions')}"
         for e in fitted.estimates if e.parameter.startswith("demand.arrivals_per_day.")],
    ))
    factors = [("day_of_week_factors", WEEKDAYS)] + ([("month_factors", MONTHS)] if fit_months else [])
    for key, labels in factors:
        comments, values = [], []
        for label in labels:
            low, high = percentiles(drawn[label])
            fitted.estimates.append(Estimate(
                f"demand.{key}.{label}", point[label], low, high, "multiplier", n_first, "first admissions", period, method,
            ))
            values.append(round(point[label], 4))
            comments.append(f"{label}: 95 % CI {low:.3f}-{high:.3f}")
        fitted.settings.append(Setting(
            f"demand.{key}", values, f"average 1; {count(n_first, 'first admissions')}, {period}; Poisson regression",
            comments,
        ))
    if not fit_months:
        fitted.notes.append(f"demand.month_factors: as in the template (the counted days, {period}, do not reach every month)")
    if fit_growth:
        low, high = percentiles(drawn["growth"])
        fitted.estimates.append(Estimate(
            "demand.growth_per_year", point["growth"], low, high, "fraction/year", n_first, "first admissions", period, method,
        ))
        fitted.settings.append(Setting(
            "demand.growth_per_year", round(point["growth"], 5),
            f"95 % CI {low:.4f}-{high:.4f}; {count(n_first, 'first admissions')}, {period}; Poisson regression",
        ))
    else:
        fitted.notes.append(
            f"demand.growth_per_year: as in the template (the counted days, {period}, are fewer than {GROWTH_DAYS}: "
            "a trend cannot be told from the seasons)"
        )
    fitted.figure["arrivals"] = observed_and_fitted(daily, result.fittedvalues.to_numpy())
    return fitted


def counting_days(extract: Extract) -> tuple[float, int]:
    """The whole days whose first admissions are counted: all of the extract, less a lookback without a flag."""
    first = extract.start
    if "readmission" not in extract.has:
        first += min(LOOKBACK_DAYS, math.floor((extract.end - extract.start) / 2))
    return first, int(extract.end - first)


def daily_counts(extract: Extract, first_day: float, days: int) -> pd.DataFrame:
    """One row per band and day: first-admission requests, weekday, month, and years since 1 January of start_year."""
    first = extract.spells[~extract.spells["readmission"]]
    day_of = np.floor(first["request"].to_numpy()) - first_day
    on = (day_of >= 0) & (day_of < days)
    counts = np.zeros((len(extract.bands), days), dtype=int)
    np.add.at(counts, (first["band"].to_numpy()[on], day_of[on].astype(int)), 1)
    day = first_day + np.arange(days)
    weekday, month = extract.calendar(day)
    frames = [
        pd.DataFrame({
            "band": band, "day": day, "count": counts[b], "weekday": weekday, "month": month,
            "years": (day + 0.5 - extract.shift) / YEAR_DAYS,
        })
        for b, band in enumerate(extract.bands)
    ]
    return pd.concat(frames, ignore_index=True)


def design_matrix(daily: pd.DataFrame, bands: tuple[str, ...], months: bool, growth: bool) -> pd.DataFrame:
    """A column per band (its log rate), weekday and month contrasts against Monday and January, and years."""
    columns = {f"band:{band}": (daily.band == band).astype(float) for band in bands}
    columns |= {label: (daily.weekday == i).astype(float) for i, label in enumerate(WEEKDAYS) if i > 0}
    if months:
        columns |= {label: (daily.month == i + 1).astype(float) for i, label in enumerate(MONTHS) if i > 0}
    if growth:
        columns["years"] = daily.years.astype(float)
    return pd.DataFrame(columns)


def transform(params: np.ndarray, names: list[str], bands: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Coefficients (one row per draw) -> factors averaging 1, base rates at t = 0, and growth."""
    column = {name: params[:, i] for i, name in enumerate(names)}
    zero = np.zeros(len(params))
    weekday = np.exp(np.column_stack([column.get(label, zero) for label in WEEKDAYS]))
    month = np.exp(np.column_stack([column.get(label, zero) for label in MONTHS]))
    weekday_mean = weekday.mean(axis=1)
    month_mean = month.mean(axis=1) if "Feb" in column else 1.0  # else the template's factors stand as they are
    out = {label: weekday[:, i] / weekday_mean for i, label in enumerate(WEEKDAYS)}
    out |= {label: month[:, i] / month_mean for i, label in enumerate(MONTHS)}
    for band in bands:
        out[f"base:{band}"] = np.exp(column[f"band:{band}"]) * weekday_mean * month_mean
    out["growth"] = np.expm1(column.get("years", zero))
    return out


def observed_and_fitted(daily: pd.DataFrame, expected: np.ndarray) -> dict[str, pd.DataFrame]:
    """First admissions (all bands), observed and fitted, for the figure: a day's mean by weekday and by month, and each week's total."""
    frame = daily.assign(expected=expected).groupby(["day", "weekday", "month"], as_index=False)[["count", "expected"]].sum()
    frame["week"] = (frame.day - frame.day.min()) // 7
    weeks = frame.groupby("week").agg(day=("day", "min"), days=("day", "size"), count=("count", "sum"), expected=("expected", "sum"))
    return {
        "weekday": frame.groupby("weekday")[["count", "expected"]].mean().reindex(range(7)),
        "month": frame.groupby("month")[["count", "expected"]].mean().reindex(range(1, 13)),
        "week": weeks[weeks.days == 7],
    }
