"""Back-test: start from a census, simulate the weeks after, and see whether what happened lies in the band.

The observed series is a CSV with a `day` column (0 = the census day) and one
column per daily measure of the model's midnight census (e.g. beds_occupied,
delayed_patients). For each day and measure the replications give a median
and a 90 % band (5th to 95th centile); a model that forecasts well has about
90 % of observed days inside it, and far fewer means it is biased or too sure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.model import CENSUS_COLUMNS
from sim.files import write_atomically, write_tables
from sim.runner import ReplicationResult

BAND = (0.05, 0.95)
DAILY_COLUMNS = ["day", "measure", "observed", "simulated_median", "simulated_low", "simulated_high", "inside"]


def read_observed(path: Path) -> pd.DataFrame:
    """The observed daily series; InputError naming the file and column if it does not fit."""
    try:
        observed = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(f"{path}: observed series not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path}: not a readable CSV ({error}); expected columns day, beds_occupied, ...") from None
    if "day" not in observed.columns:
        raise InputError(f"{path}: columns {list(observed.columns)}: no 'day'; expected day and census measures")
    measures = [c for c in observed.columns if c != "day"]
    unknown = [c for c in measures if c not in CENSUS_COLUMNS]
    if not measures or unknown:
        raise InputError(
            f"{path}: columns {unknown or measures}: expected measures of the daily census, e.g. beds_occupied, "
            "delayed_patients (see daily.csv)"
        )
    for column in observed.columns:
        if not pd.api.types.is_numeric_dtype(observed[column]) or observed[column].isna().any():
            raise InputError(f"{path}: column {column}: expected numbers on every row")
    return observed


def backtest_table(observed: pd.DataFrame, results: list[ReplicationResult]) -> pd.DataFrame:
    """Per day and measure: the observed value, the simulated median and 90 % band, and whether it is inside."""
    days = observed["day"].to_numpy()
    day_index = CENSUS_COLUMNS.index("day")
    rows_of_days = []  # per replication, its census rows on the observed days
    for result in results:
        row_of_day = {day: row for row, day in enumerate(result.census[:, day_index].tolist())}
        missing = [day for day in days.tolist() if day not in row_of_day]
        if missing:
            raise InputError(f"observed day {missing[0]:g} is outside the simulated horizon; expected days the run covers")
        rows_of_days.append(result.census[[row_of_day[day] for day in days.tolist()]])
    simulated = np.stack(rows_of_days)  # replication x observed day x census column
    rows = []
    for measure in [c for c in observed.columns if c != "day"]:
        values = simulated[:, :, CENSUS_COLUMNS.index(measure)]
        low, median, high = np.quantile(values, [BAND[0], 0.5, BAND[1]], axis=0)
        for i, (day, value) in enumerate(zip(days, observed[measure], strict=True)):
            rows.append((day, measure, value, median[i], low[i], high[i], bool(low[i] <= value <= high[i])))
    return pd.DataFrame(rows, columns=DAILY_COLUMNS)


def coverage_table(daily: pd.DataFrame) -> pd.DataFrame:
    """Per measure: days compared, share of observed days inside the band, mean error of the median."""
    rows = []
    for measure, group in daily.groupby("measure", sort=False):
        error = group.simulated_median - group.observed
        rows.append((measure, len(group), group.inside.mean(), error.mean(), error.abs().mean()))
    return pd.DataFrame(rows, columns=["measure", "days", "inside_share", "mean_error", "mean_absolute_error"])


def write_backtest_plot(daily: pd.DataFrame, path: Path) -> None:
    """One panel per measure: the simulated 90 % band and median, and the observed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measures = list(dict.fromkeys(daily.measure))
    from sim.report.figures import MIN_FONT_PT, PAGE_WIDTH

    figure, panels = plt.subplots(len(measures), 1, figsize=(PAGE_WIDTH, 2.8 * len(measures)), sharex=True,
                                  squeeze=False)
    for axes, measure in zip(panels[:, 0], measures, strict=True):
        rows = daily[daily.measure == measure]
        axes.fill_between(rows.day, rows.simulated_low, rows.simulated_high, color="tab:blue", alpha=0.25,
                          label="simulated 90 % band")
        axes.plot(rows.day, rows.simulated_median, color="tab:blue", linewidth=1, label="simulated median")
        axes.plot(rows.day, rows.observed, color="black", linewidth=1.5, label="observed")
        axes.set_ylabel(measure.replace("_", " "))
        axes.set_title(f"{measure.replace('_', ' ')}: {rows.inside.mean():.0%} of observed days inside the band",
                       fontsize=10)
    panels[0, 0].legend(loc="upper right", fontsize=MIN_FONT_PT)
    panels[-1, 0].set_xlabel("days after the census")
    figure.tight_layout()
    write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    plt.close(figure)


def write_backtest(
    out_dir: Path, observed: pd.DataFrame, results: list[ReplicationResult], parquet: bool = False
) -> pd.DataFrame:
    """backtest.csv (day by day), coverage.csv (per measure) and backtest.png; returns the coverage table."""
    daily = backtest_table(observed, results)
    coverage = coverage_table(daily)
    write_tables(out_dir, {"backtest.csv": daily, "coverage.csv": coverage}, parquet)
    write_backtest_plot(daily, out_dir / "backtest.png")
    return coverage
