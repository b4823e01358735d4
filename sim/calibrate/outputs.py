"""What a calibration writes: the fit table, the parameters, the trace, the calibrated scenario and a plot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim import __version__
from sim.calibrate.fit import CalibrationResult, bound_side, unmatched_reasons
from sim.calibrate.settings import Calibration
from sim.calibrate.targets import Z95
from sim.files import write_atomically, write_tables
from sim.scenario import load_scenario, scenario_hash

CALIBRATED_SCENARIO = "calibrated.yaml"
START_SCENARIO = "start_scenario.yaml"


def fit_table(calibration: Calibration, result: CalibrationResult) -> pd.DataFrame:
    """Each target: observed and its interval, simulated at the fit and its interval, z, and at the start."""
    table = result.best.fit.copy()
    table.insert(8, "weight", calibration.weights)
    table.insert(9, "start_simulated", result.start.fit.simulated.to_numpy())
    table.insert(10, "start_z", result.start.fit.z.to_numpy())
    reasons = unmatched_reasons(calibration, result)
    matched = "matched" if result.converged else f"matched (search stopped: {result.stopped_because})"
    table.insert(11, "status", [f"unmatched: {reasons[t]}" if t in reasons else matched for t in table.target])
    return table


def parameters_table(calibration: Calibration, result: CalibrationResult) -> pd.DataFrame:
    side = bound_side(calibration, result.best.values)
    rows = []
    for j, p in enumerate(calibration.parameters):
        fitted, sd = result.best.values[p.name], result.parameter_sd[p.name]
        rows.append({
            "parameter": p.name,
            "keys": " ".join(p.keys),
            "mode": p.mode,
            "start": calibration.start_values[p.name],
            "fitted": fitted,
            "low": p.low,
            "high": p.high,
            "sd": sd,
            "ci_low": fitted - Z95 * sd,
            "ci_high": fitted + Z95 * sd,
            "at_bound": {-1: "low", 0: "no", 1: "high"}[int(side[j])],
        })
    return pd.DataFrame(rows)


def evaluations_table(calibration: Calibration, result: CalibrationResult) -> pd.DataFrame:
    """Every point simulated, in order: the search's trace."""
    rows = []
    for evaluation in result.evaluations:
        row = {"evaluation": evaluation.number, **evaluation.values, "objective": evaluation.objective}
        row.update({f"z_{t}": z for t, z in zip(evaluation.fit.target, evaluation.fit.z, strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def calibrated_values(calibration: Calibration, values: dict[str, float]) -> dict:
    """The fitted values as a nested mapping of the scenario's keys (what the calibrated scenario overrides)."""
    tree: dict = {}
    for assignment in calibration.overrides(values):
        key_path, _, raw = assignment.partition("=")
        *parents, last = key_path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = json.loads(raw)
    return tree


def start_scenario_text(calibration: Calibration, config_file: str) -> str:
    """The start scenario, fully resolved (its file, its extends chain and any --set): the calibrated one's base.

    Copied into the results folder so that calibrated.yaml still loads when the
    folder is moved or the original files change.
    """
    header = [
        f"# The start scenario of `python -m sim calibrate {config_file}`, fully resolved: {calibration.scenario_file}",
        *(f"# with --set {change}" for change in calibration.changes),
        "# Written so that calibrated.yaml, which extends it, loads wherever this folder goes.",
    ]
    start = load_scenario(calibration.scenario_file, calibration.changes)
    return "\n".join(header) + "\n" + yaml.safe_dump(start.model_dump(mode="json"), sort_keys=False, width=100)


def calibrated_scenario_text(calibration: Calibration, result: CalibrationResult, config_file: str) -> str:
    """A scenario that extends the (copied) start scenario with the fitted values, saying how they were obtained."""
    name = f"{calibration.start.name}_calibrated"
    header = [
        f"# Calibrated scenario, written by `python -m sim calibrate {config_file}` (sim {__version__})",
        f"# on {datetime.now(UTC).isoformat(timespec='seconds')}.",
        f"# Fitted to {len(calibration.targets)} targets in {calibration.settings.targets} with",
        (f"# scipy.optimize.least_squares over {len(result.evaluations)} evaluations of "
         f"{calibration.settings.replications} replications (seed {calibration.start.run.seed}),"),
        f"# weighted sum of squared z: {result.start.objective:.3f} at the start, {result.best.objective:.3f} fitted;",
        f"# {result.stopped_because}. Target by target: fit.csv; values and their sd: parameters.csv.",
        f"# It extends {START_SCENARIO}, a resolved copy of {calibration.scenario_file}.",
    ]
    body = {
        "name": name,
        "description": f"{calibration.start.description} Calibrated with {config_file}: see the comments above.",
        "extends": START_SCENARIO,
        **calibrated_values(calibration, result.best.values),
    }
    return "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False, width=100)


def write_calibration(
    calibration: Calibration, result: CalibrationResult, out_dir: Path, config_file: str, seconds: float, workers: int,
    parquet: bool = False,
) -> pd.DataFrame:
    """Write fit.csv, parameters.csv, evaluations.csv, calibrated.yaml, fit.png and run.json; return the fit table."""
    fit = fit_table(calibration, result)
    tables = {
        "fit.csv": fit,
        "parameters.csv": parameters_table(calibration, result),
        "evaluations.csv": evaluations_table(calibration, result),
    }
    write_tables(out_dir, tables, parquet)
    start_text = start_scenario_text(calibration, config_file)
    write_atomically(out_dir / START_SCENARIO, lambda tmp: tmp.write_text(start_text, encoding="utf-8"))
    text = calibrated_scenario_text(calibration, result, config_file)
    write_atomically(out_dir / CALIBRATED_SCENARIO, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_fit_plot(fit, out_dir / "fit.png")
    metadata = {
        "calibration": calibration.settings.name,
        "config_file": config_file,
        "scenario_file": str(calibration.scenario_file),
        "changes": calibration.changes,
        "scenario_hash": scenario_hash(load_scenario(calibration.scenario_file, calibration.changes)),  # the start scenario
        "evaluation_scenario_hash": scenario_hash(calibration.start),  # with the evaluations' run settings
        "calibrated_scenario_hash": scenario_hash(load_scenario(out_dir / CALIBRATED_SCENARIO)),
        "seed": calibration.start.run.seed,
        "replications_per_evaluation": calibration.settings.replications,
        "evaluations": len(result.evaluations),
        "objective_start": result.start.objective,
        "objective_fitted": result.best.objective,
        "stopped_because": result.stopped_because,
        "package": "sim",
        "package_version": __version__,
        "seconds": round(seconds, 3),
        "workers": workers,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    meta = json.dumps(metadata, indent=2) + "\n"
    write_atomically(out_dir / "run.json", lambda tmp: tmp.write_text(meta, encoding="utf-8"))
    return fit


def fit_plot_data(fit: pd.DataFrame) -> pd.DataFrame:
    """Every value as a percentage difference from the observed target, so targets of any unit share one axis."""
    base = fit.observed.to_numpy()
    relative = {
        column: 100.0 * (fit[column].to_numpy() / base - 1.0)
        for column in ("observed_low", "observed_high", "simulated", "simulated_low", "simulated_high", "start_simulated")
    }
    return pd.DataFrame({"target": fit.target, **relative})


def write_fit_plot(fit: pd.DataFrame, path: Path) -> None:
    """Targets (grey band: observed 95 % interval) against the simulated start (open) and fit (filled, 95 % CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = fit_plot_data(fit)
    rows = np.arange(len(data))[::-1]
    from sim.report.figures import MIN_FONT_PT, PAGE_WIDTH

    figure, axes = plt.subplots(figsize=(PAGE_WIDTH, 0.45 * len(data) + 1.6))
    for y, row in zip(rows, data.itertuples(), strict=True):
        axes.plot([row.observed_low, row.observed_high], [y, y], color="0.8", linewidth=9, solid_capstyle="butt")
    axes.axvline(0, color="0.5", linewidth=0.8)
    axes.scatter(data.start_simulated, rows, facecolors="none", edgecolors="tab:red", label="start", zorder=3)
    errors = [data.simulated - data.simulated_low, data.simulated_high - data.simulated]
    axes.errorbar(data.simulated, rows, xerr=errors, fmt="o", color="tab:blue", capsize=3, label="calibrated", zorder=4)
    axes.set_yticks(rows, [t.replace("_", " ") for t in data.target])
    axes.set_xlabel("difference from the observed target, % (grey: its 95 % interval)")
    axes.set_title("Targets against the simulation")
    axes.legend(loc="lower right", fontsize=MIN_FONT_PT)
    figure.tight_layout()
    write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    plt.close(figure)
