"""Build the report page from the files of a `run`, `batch`, `sensitivity`, `calibrate` or `backtest` results folder."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.errors import InputError
from sim.report import figures
from sim.files import write_atomically

HEADLINE = [
    "admissions_per_year", "readmissions_per_year", "mean_los_days", "median_los_days", "mean_occupancy_pct",
    "days_over_92pct_share", "delayed_bed_days_per_year", "delayed_patients_mean", "mean_bed_wait_hours",
    "readmission_30d_rate", "at_home_91d_rate", "reablement_independent_share", "cost_total_per_year",
]
STYLE = """
body { font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #111; line-height: 1.4; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #999; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 2em 0; } img { max-width: 100%; } figcaption { font-size: 0.9em; color: #333; }
"""


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write report.html (and figure PNGs beside it) for a results folder; return the page's path."""
    folder = Path(folder)
    if not (folder / "run.json").is_file() and not (folder / "sensitivity.csv").is_file():
        raise InputError(f"{folder}: not a results folder (no run.json or sensitivity.csv); expected the --out of run, batch, sensitivity, calibrate or backtest")
    page = Path(out) if out else folder / "report.html"
    sections: list[str] = []
    pictures: list[tuple[str, Figure, str, str]] = []  # file name, figure, title, alt text
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8")) if (folder / "run.json").is_file() else {}
    sections.append(_what_was_run(meta))

    if (folder / "comparison.csv").is_file():
        comparison = pd.read_csv(folder / "comparison.csv")
        # a package's derived "only"/"without" runs are shown in its contributions figure, not as options
        comparison = comparison[~comparison.scenario.str.contains("__only_|__without_")]
        summary = pd.read_csv(folder / "summary.csv")
        sections.append(_comparison_table(comparison))
        sections.append(_headline_table(summary[summary.scenario == "baseline"], "The baseline"))
        pictures.append(("forest.png", figures.forest(comparison), "Differences from the baseline",
                         "Forest plot: for each option, the paired difference from the baseline and its 95 % interval, "
                         "for length of stay, delayed bed days, occupancy, readmissions, 91-day at home and cost."))
        pictures.append(("cost_plane.png", figures.cost_plane(comparison), "Cost against delayed bed days",
                         "Scatter of each option's change in cost of care against its change in delayed bed days."))
        if (folder / "contributions.csv").is_file():
            table = pd.read_csv(folder / "contributions.csv")
            for package in table.package.unique():
                pictures.append((f"contributions_{package}.png", figures.contributions(table[table.package == package]),
                                 f"What each part of {package} does",
                                 "Bars: each component's effect on mean length of stay alone and added to the rest."))
    elif (folder / "summary.csv").is_file():
        summary = pd.read_csv(folder / "summary.csv")
        sections.append(_headline_table(summary, "Headline indicators"))
        indexed = summary.set_index("indicator")
        pictures.append(("los_delay.png", figures.los_and_delay(indexed), "Length of stay and delay by pathway",
                         "Bars of mean length of stay and mean discharge delay for pathways 0 to 3, with 95 % intervals."))
        if (folder / "los_histogram.csv").is_file():
            los = pd.read_csv(folder / "los_histogram.csv")
            pictures.append(("los_distribution.png", figures.los_distribution(
                                 los, indexed.loc["mean_los_days", "mean"], indexed.loc["median_los_days", "mean"]),
                             "Length of stay distribution",
                             "Histogram of length of stay in whole days for spells ended in the horizon, with the "
                             "median and mean marked and the 7- and 21-day thresholds."))
        if (folder / "daily.csv").is_file():
            daily = pd.read_csv(folder / "daily.csv")
            pictures.append(("occupancy.png", figures.occupancy_fan(daily), "Acute bed occupancy",
                             "Fan chart of occupied beds each midnight: median line, 50 % and 90 % bands across "
                             "replications, beds available dashed and 92 % of beds dotted."))
            pictures.append(("services.png", figures.service_use(daily), "Community services",
                             "Lines of places in use and people waiting for each community service over the horizon."))
    if (folder / "fit.csv").is_file():  # a calibration
        sections.append(_fit_tables(pd.read_csv(folder / "fit.csv"), pd.read_csv(folder / "parameters.csv")))
        sections.append(_image((folder / "fit.png").read_bytes(), "Targets against the simulation",
                               "Each target as a percentage difference from its observed value: grey band the observed "
                               "95 % interval, open circle the start scenario, filled circle the calibrated one with its "
                               "95 % interval."))
    if (folder / "coverage.csv").is_file():  # a back-test
        sections.append(_coverage_table(pd.read_csv(folder / "coverage.csv")))
        sections.append(_image((folder / "backtest.png").read_bytes(), "Forecast from the census against what happened",
                               "For each daily measure: the simulated 90 % band and median from the census day on, and "
                               "the observed line."))
    for chart in sorted(folder.glob("sensitivity_*.png")):
        indicator = chart.stem.removeprefix("sensitivity_")
        sections.append(_image(chart.read_bytes(), f"What drives {indicator.replace('_', ' ')}",
                               f"Bar chart ranking the parameters by their influence on {indicator.replace('_', ' ')}."))

    for name, figure, title, alt in pictures:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        plt.close(figure)
        png = buffer.getvalue()
        write_atomically(page.parent / name, lambda tmp, png=png: tmp.write_bytes(png))
        sections.append(_image(png, title, alt))
    title = f"Simulation report: {meta.get('scenario') or meta.get('batch') or meta.get('calibration') or folder.name}"
    text = (
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n" + "\n".join(sections) + "\n</body></html>\n"
    )
    write_atomically(page, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return page


def _what_was_run(meta: dict) -> str:
    keys = [("scenario", "Scenario"), ("batch", "Batch"), ("calibration", "Calibration"), ("config_file", "Fit settings"),
            ("scenario_file", "File"), ("batch_file", "File"), ("evaluations", "Evaluations"),
            ("stopped_because", "Search stopped"),
            ("replications", "Replications"), ("seed", "Seed"), ("package_version", "Model version"),
            ("created", "Run on"), ("scenario_hash", "Scenario hash")]
    rows = "".join(f"<tr><td>{label}</td><td>{html.escape(str(meta[k]))}</td></tr>" for k, label in keys if k in meta)
    return f"<h2>What was run</h2><table>{rows}</table>" if rows else ""


def _number(value: float) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _headline_table(summary: pd.DataFrame, heading: str) -> str:
    rows = summary.set_index("indicator")
    body = "".join(
        f"<tr><td>{html.escape(figures.plain(name))}</td><td>{_number(rows.loc[name, 'mean'])}</td>"
        f"<td>{_number(rows.loc[name, 'ci_low'])} to {_number(rows.loc[name, 'ci_high'])}</td></tr>"
        for name in HEADLINE if name in rows.index
    )
    return f"<h2>{html.escape(heading)}</h2><table><tr><th>indicator</th><th>mean</th><th>95 % interval</th></tr>{body}</table>"


def _comparison_table(comparison: pd.DataFrame) -> str:
    shown = ["mean_los_days", "delayed_bed_days_per_year", "mean_occupancy_pct", "readmission_30d_rate", "cost_total_per_year"]
    header = "".join(f"<th>{html.escape(figures.plain(i))}</th>" for i in shown)
    body = ""
    for scenario in dict.fromkeys(comparison.scenario):
        cells = ""
        for indicator in shown:
            row = comparison[(comparison.scenario == scenario) & (comparison.indicator == indicator)]
            if row.empty:
                cells += "<td>-</td>"
                continue
            r = row.iloc[0]
            cells += f"<td>{_number(r['diff'])} ({_number(r.diff_ci_low)} to {_number(r.diff_ci_high)})</td>"
        body += f"<tr><td>{html.escape(scenario)}</td>{cells}</tr>"
    return ("<h2>Options against the baseline</h2><p>Paired difference from the baseline (95 % interval).</p>"
            f"<table><tr><th>option</th>{header}</tr>{body}</table>")


def _fit_tables(fit: pd.DataFrame, parameters: pd.DataFrame) -> str:
    matched = int(fit.within_95.sum())
    body = "".join(
        f"<tr><td>{html.escape(figures.plain(r.target))}</td><td>{_number(r.observed)} ({_number(r.observed_low)} to "
        f"{_number(r.observed_high)})</td><td>{_number(r.simulated)} ({_number(r.simulated_low)} to "
        f"{_number(r.simulated_high)})</td><td>{r.z:+.2f}</td><td>{html.escape(r.status)}</td></tr>"
        for r in fit.itertuples()
    )
    fitted = "".join(
        f"<tr><td>{html.escape(r.parameter)}</td><td>{_number(r.start)}</td><td>{_number(r.fitted)}</td>"
        f"<td>{_number(r.sd)}</td><td>{_number(r.low)} to {_number(r.high)}</td></tr>"
        for r in parameters.itertuples()
    )
    return (f"<h2>Calibration fit</h2><p>{matched} of {len(fit)} targets within their 95 % interval.</p>"
            "<table><tr><th>target</th><th>observed (95 % interval)</th><th>simulated (95 % interval)</th><th>z</th>"
            f"<th>status</th></tr>{body}</table><h2>Fitted parameters</h2><table><tr><th>parameter</th><th>start</th>"
            f"<th>fitted</th><th>sd</th><th>bounds</th></tr>{fitted}</table>")


def _coverage_table(coverage: pd.DataFrame) -> str:
    body = "".join(
        f"<tr><td>{html.escape(r.measure.replace('_', ' '))}</td><td>{r.days}</td><td>{r.inside_share:.0%}</td>"
        f"<td>{r.mean_error:+.1f}</td></tr>"
        for r in coverage.itertuples()
    )
    return ("<h2>Back-test</h2><p>Share of observed days inside the simulated 90 % band (about 90 % expected "
            "of a good forecast), and the mean error of the simulated median.</p><table><tr><th>measure</th>"
            f"<th>days</th><th>inside the band</th><th>median minus observed</th></tr>{body}</table>")


def _image(png: bytes, title: str, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure><h2>{html.escape(title)}</h2><img src=\"data:image/png;base64,{data}\" alt=\"{html.escape(alt)}\">"
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")
