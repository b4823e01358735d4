"""Result tables and files: replications -> tidy tables -> CSV + run.json, written atomically.

A results folder is self-describing: `run.json` records the resolved scenario,
its hash, the seed, the number of replications, the package version and the
time taken, so a table can be traced to what produced it years later.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim import __version__
from sim.files import write_atomically, write_tables
from sim.indicators import INDICATORS, JUDGEMENTS, range_of, unit_of
from sim.model import CENSUS_COLUMNS
from sim.precision import Precision
from sim.runner import ReplicationResult
from sim.scenario import Scenario, scenario_hash
from sim.stats import bounded_interval
from sim.trust import precision_warnings, replication_warnings, saturation_warnings, warmup_checks, warmup_warnings

SUMMARY_COLUMNS = ["scenario", "indicator", "unit", "mean", "ci_low", "ci_high", "replications"]
REPLICATION_COLUMNS = ["scenario", "replication", "indicator", "unit", "value"]


def replications_table(rows: Iterable[tuple[str, int, dict[str, float]]]) -> pd.DataFrame:
    """One row per scenario, replication and indicator, from (scenario name, replication, indicators)."""
    table = [
        (scenario, replication, name, unit_of(name), indicators[name])
        for scenario, replication, indicators in rows
        for name in INDICATORS
    ]
    return pd.DataFrame(table, columns=REPLICATION_COLUMNS)


def summary_table(replications: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval over replications, per scenario and indicator, inside the indicator's range (sim.stats)."""
    rows = []
    for (scenario, indicator), group in replications.groupby(["scenario", "indicator"], sort=False):
        mean, low, high = bounded_interval(group["value"].to_numpy(), *range_of(indicator), indicator in JUDGEMENTS)
        rows.append((scenario, indicator, unit_of(indicator), mean, low, high, len(group)))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def daily_table(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame:
    """The midnight census of every replication, one row per replication and day."""
    frames = []
    for result in results:
        frame = pd.DataFrame(result.census, columns=list(CENSUS_COLUMNS))
        frame.insert(0, "replication", result.replication)
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True)
    daily.insert(0, "scenario", scenario.name)
    integer_columns = list(CENSUS_COLUMNS)  # midnights are whole days
    daily[integer_columns] = daily[integer_columns].astype("int64")
    return daily


def los_table(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame:
    """Spells ended in the horizon by whole days of stay, per replication (the last bin: LOS_BINS - 1 days or more)."""
    frames = [
        pd.DataFrame({"replication": result.replication, "days": np.arange(len(result.los_counts)),
                      "spells": result.los_counts})
        for result in results
    ]
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "scenario", scenario.name)
    return table


def spells_table(scenario: Scenario, results: list[ReplicationResult]) -> pd.DataFrame:
    """The per-spell listings of every replication, one row per replication and spell."""
    frames = [result.spells.assign(replication=result.replication) for result in results]
    spells = pd.concat(frames, ignore_index=True)
    spells.insert(0, "scenario", scenario.name)
    return spells[["scenario", "replication", *[c for c in spells.columns if c not in ("scenario", "replication")]]]


def write_run(
    out_dir: Path,
    scenario: Scenario,
    scenario_file: str,
    results: list[ReplicationResult],
    seconds: float,
    workers: int,
    overrides: list[str],
    precision: Precision | None = None,
    parquet: bool = False,
) -> list[dict[str, str]]:
    """Write summary.csv, replications.csv, daily.csv, los_histogram.csv (and spells.csv if listed) and run.json.

    Returns the warnings about how far the results can be trusted (sim.trust), also recorded in run.json
    with what --precision found. parquet: also write each table as .parquet.
    """
    replications = replications_table((scenario.name, r.replication, r.indicators) for r in results)
    summary = summary_table(replications)
    checks = warmup_checks(scenario, summary, [r.census for r in results])
    warnings = [
        *saturation_warnings(summary), *warmup_warnings(scenario, checks), *replication_warnings(summary),
        *precision_warnings(scenario.name, precision),
    ]
    tables = {
        "replications.csv": replications,
        "summary.csv": summary,
        "daily.csv": daily_table(scenario, results),
        "los_histogram.csv": los_table(scenario, results),
    }
    if results and results[0].spells is not None:
        tables["spells.csv"] = spells_table(scenario, results)
    write_tables(out_dir, tables, parquet)
    metadata = {
        "scenario": scenario.name,
        "scenario_file": scenario_file,
        "overrides": overrides,
        "scenario_hash": scenario_hash(scenario),
        "seed": scenario.run.seed,
        "replications": len(results),
        "package": "sim",
        "package_version": __version__,
        "seconds": round(seconds, 3),
        "workers": workers,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "precision": precision.record() if precision else None,
        "warmup_check": [c.record() for c in checks],
        "warnings": warnings,
        "resolved_scenario": scenario.model_dump(mode="json"),
    }
    text = json.dumps(metadata, indent=2) + "\n"
    write_atomically(out_dir / "run.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return warnings
