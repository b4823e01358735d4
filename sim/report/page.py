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
from sim.files import write_atomically
from sim.report import appraisal, figures

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
.headline { font-size: 1.15em; }
td small { display: block; color: #444; white-space: nowrap; }
td.unclear, td.unclear small { color: #888; }
th.group { text-align: left; background: #eee; }
table.ranking { font-size: 0.85em; }
table.ranking td, table.options td { white-space: nowrap; }
table.ranking td:nth-child(2), table.ranking th:nth-child(2) { text-align: left; white-space: normal; }
.note { font-size: 0.85em; color: #333; }
.option p { margin: 0.3em 0; } .option .description { color: #444; font-size: 0.9em; }
"""


def write_report(folder: str | Path, out: str | Path | None = None, rank_by: str | None = None) -> Path:
    """Write report.html (and figure PNGs beside it) for a results folder; return the page's path.

    rank_by: the indicator a batch's options are ranked by (default: delayed bed days).
    """
    folder = Path(folder)
    rank_by = appraisal.check_rank_by(rank_by or appraisal.DEFAULT_RANK_BY)
    if not (folder / "run.json").is_file() and not (folder / "sensitivity.csv").is_file():
        raise InputError(f"{folder}: not a results folder (no run.json or sensitivity.csv); expected the --out of run, batch, sensitivity, calibrate or backtest")
    page = Path(out) if out else folder / "report.html"
    sections: list[str] = []
    pictures: list[tuple[str, Figure, str, str]] = []  # file name, figure, title, alt text
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8")) if (folder / "run.json").is_file() else {}

    if (folder / "comparison.csv").is_file():
        comparison = appraisal.options_only(pd.read_csv(folder / "comparison.csv"))
        replications = pd.read_csv(folder / "replications.csv") if (folder / "replications.csv").is_file() else None
        summary = pd.read_csv(folder / "summary.csv")
        order = appraisal.ranking(comparison, rank_by).option.tolist()
        sections.append(_appraisal_summary(comparison, rank_by, replications, meta))
        sections.append(_what_was_run(meta))
        sections.append(_option_sentences(comparison, rank_by, meta.get("descriptions", {})))
        sections.append(_options_table(comparison, order))
        sections.append(_headline_table(summary[summary.scenario == "baseline"], "The baseline"))
        for indicator in figures.FOREST_INDICATORS:
            if (comparison.indicator == indicator).any():
                words = appraisal.label(indicator)
                pictures.append((f"forest_{indicator}.png", figures.forest(comparison, indicator, order),
                                 f"Differences from the baseline: {words}",
                                 f"Forest plot of {words}: for each option, best first, the paired difference from the "
                                 "baseline and its 95 % interval; an open marker's interval includes no change."))
        pictures.append(("cost_plane.png", figures.cost_plane(comparison, order=order), "Net cost against delayed bed days",
                         "Each option's change in net cost (running cost plus all care) against its change in "
                         "delayed bed days, with 95 % intervals; the four quadrants are named; the key names the "
                         "options by marker."))
        if (folder / "contributions.csv").is_file():
            table = pd.read_csv(folder / "contributions.csv")
            for package in table.package.unique():
                pictures.append((f"contributions_{package}.png", figures.contributions(table[table.package == package]),
                                 f"What each part of {package} does",
                                 "Bars: each component's effect on mean length of stay alone and added to the rest."))
    else:
        sections.append(_what_was_run(meta))
    if not (folder / "comparison.csv").is_file() and (folder / "summary.csv").is_file():
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
        figure.savefig(buffer, format="png", dpi=150)
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


def _cell(text: str, clear: bool = True) -> str:
    """A table cell: the value, and its interval on a line of its own; grey if the change is not clear."""
    value, _, interval = text.partition(" (")
    shown = html.escape(value) + (f"<small>({html.escape(interval)}</small>" if interval else "")
    return f"<td>{shown}</td>" if clear else f"<td class=\"unclear\">{shown}</td>"


def _appraisal_summary(comparison: pd.DataFrame, rank_by: str, replications: pd.DataFrame | None, meta: dict) -> str:
    """The first screen: which option does most, in words, and the options ranked in one table."""
    table = appraisal.ranking_table(comparison, rank_by)
    shown = [c for c in table.columns if not c.startswith("distinguishable_")]
    header = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = ""
    for _, row in table.iterrows():
        cells = "".join(
            f"<td>{html.escape(str(row[c]))}</td>" if c in ("rank", "option")
            else _cell(str(row[c]), row.get(f"distinguishable_{c}", True))
            for c in shown
        )
        body += f"<tr>{cells}</tr>"
    count = int(comparison.replications.max()) if len(comparison) else 0
    value = meta.get("bed_day_value")
    worth = f"GBP {value:,.0f}" if isinstance(value, (int, float)) else "the baseline's bed-day value"
    return (
        f"<h2>Summary</h2><p class=\"headline\">{html.escape(appraisal.headline(comparison, rank_by, replications))}</p>"
        f"<table class=\"ranking\"><tr>{header}</tr>{body}</table>"
        f"<p class=\"note\">Options best first by their change in {html.escape(appraisal.label(rank_by))}, against "
        f"the baseline, each with its 95 % interval from {count} paired replications (the same patients in every "
        "option); grey: the interval includes no change. Counts and days change in %, shares in percentage points "
        "(pp), money in GBP a year. Running cost: what the option costs to run. Net cost: running cost plus the "
        "change in all care used, acute bed days at the baseline's unit cost. Cost per bed day saved: running cost "
        "and change in community care for each acute bed day freed (negative: community care saved more than the "
        "option costs to run; undefined where no bed days are freed). Net "
        f"monetary benefit: acute bed days freed at {worth} each, less running cost and change in community care.</p>"
    )


def _option_sentences(comparison: pd.DataFrame, rank_by: str, descriptions: dict[str, str]) -> str:
    """Each option, best first: a sentence of what it does and costs, and its own description."""
    items = ""
    for option in appraisal.ranking(comparison, rank_by).option:
        description = descriptions.get(option, "")
        items += (f"<div class=\"option\"><h3>{html.escape(appraisal.option_title(option))}</h3>"
                  f"<p>{html.escape(appraisal.summary_sentence(comparison, option, rank_by))}</p>"
                  + (f"<p class=\"description\">{html.escape(description)}</p>" if description else "") + "</div>")
    return f"<h2>The options in words</h2>{items}"


def _options_table(comparison: pd.DataFrame, order: list[str]) -> str:
    """For each key indicator and option: baseline, option, difference and relative change with intervals."""
    table = appraisal.options_table(comparison)
    body = ""
    for indicator, rows in table.groupby("indicator", sort=False):
        unit = rows.unit.iloc[0]
        body += f"<tr><th class=\"group\" colspan=\"6\">{html.escape(rows.label.iloc[0])} ({html.escape(unit)})</th></tr>"
        for _, row in rows.set_index("option").reindex(order).dropna(how="all").iterrows():
            clear = bool(row.distinguishable)
            body += (f"<tr><td>{html.escape(appraisal.option_title(row.name))}</td><td>{html.escape(row.baseline_text)}</td>"
                     f"<td>{html.escape(row.value_text)}</td>{_cell(row.diff_text, clear)}{_cell(row.rel_text, clear)}"
                     f"<td>{'yes' if clear else 'no'}</td></tr>")
    return ("<h2>Options against the baseline</h2><p class=\"note\">Means over the replications; the difference is "
            "paired by replication, with its 95 % interval; shares in %, their differences in percentage points (pp). "
            "Distinguishable: the interval of the difference excludes zero. Economic measures have a difference only."
            "</p><table class=\"options\"><tr><th>option</th><th>baseline</th><th>option</th><th>difference</th><th>relative change</th>"
            f"<th>distinguishable from no change</th></tr>{body}</table>")


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
