"""Run again what a results folder holds, from its record alone: `python -m sim rerun FOLDER --out DIR`.

Every command that simulates writes into run.json what it ran (`command`)
and everything that decided its numbers: the resolved scenario (or a batch's
scenarios and package components, a sensitivity run's config and the
scenario its points vary, a calibration's settings, targets and start
scenario, a back-test's observed series), the seed, the replications and
what --precision asked for. None of the original files is read again, so a
folder can be rerun years later, elsewhere, and its tables come out the same
to the byte: each replication is a pure function of its scenario and number.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from sim.errors import InputError
from sim.scenario.load import scenario_from_data

COMMANDS = ("run", "backtest", "batch", "compare", "sensitivity", "calibrate")


def read_record(folder: Path) -> dict:
    """The folder's run.json, checked to be a record this version can rerun."""
    path = folder / "run.json"
    if not path.is_file():
        raise InputError(f"{folder}: no run.json; expected a results folder of {', '.join(COMMANDS)}")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a readable record ({error}); expected the run.json a command wrote") from None
    command = record.get("command") if isinstance(record, dict) else None
    if command not in COMMANDS:
        raise InputError(
            f"{path}: command: value {command!r}: expected one of {', '.join(COMMANDS)} "
            "(folders written before records said what made them cannot be rerun)"
        )
    return record


def rerun(
    folder: Path, out_dir: Path, workers: int = 1, scheduler: str | None = None, progress: bool = True
) -> tuple[str, list[dict[str, str]]]:
    """Run the recorded work again into out_dir; return the command and the warnings."""
    record = read_record(folder)
    command, source = record["command"], str(folder / "run.json")
    parquet = record.get("format") == "parquet"
    precision = record.get("precision") or {}
    try:
        if command == "run":
            from sim.results import write_run
            from sim.run import run_scenario

            scenario = scenario_from_data(record["resolved_scenario"], source=source)
            started = time.perf_counter()
            scenario, results, found = run_scenario(
                scenario, out_dir, workers, scheduler, progress, record.get("spells", False),
                precision.get("target"), precision.get("cap", 0), precision.get("start"),
            )
            warnings = write_run(out_dir, scenario, record["scenario_file"], results, time.perf_counter() - started,
                                 workers, record["overrides"], found, parquet)
        elif command == "backtest":
            from sim.backtest import run_backtest

            scenario = scenario_from_data(record["resolved_scenario"], source=source)
            observed = pd.DataFrame(record["observed"])
            _, warnings = run_backtest(scenario, observed, out_dir, record["scenario_file"], record["overrides"],
                                       workers, scheduler, progress, parquet)
        elif command in ("batch", "compare"):
            from sim.batch import run_batch
            from sim.batch.plan import Component, Plan

            scenarios = {name: scenario_from_data(data, source=source) for name, data in record["resolved_scenarios"].items()}
            plan = Plan(record["batch"], scenarios, precision.get("start") or record["replications"], record["seed"],
                        [Component(**c) for c in record["components"]])
            _, warnings = run_batch(plan, out_dir, record["batch_file"], workers, scheduler, progress, parquet,
                                    precision.get("target"), precision.get("cap", 0), command)
        elif command == "sensitivity":
            from sim.sensitivity import SensitivityConfig, run_sensitivity

            config = SensitivityConfig.model_validate(record["config"])
            _, warnings = run_sensitivity(config, Path(record["config_file"]), out_dir, workers, scheduler, progress,
                                          parquet, base=record["base_scenario"])
        else:
            from sim.calibrate.fit import run_calibration
            from sim.calibrate.outputs import write_calibration
            from sim.calibrate.settings import Calibration, CalibrationSettings
            from sim.calibrate.targets import Target

            settings = CalibrationSettings.model_validate(record["settings"])
            targets = [Target.model_validate(t) for t in record["targets"]]
            calibration = Calibration(settings, Path(record["config_file"]), targets, record["start_scenario"],
                                      record["changes"])
            started = time.perf_counter()
            result = run_calibration(calibration, out_dir, workers, scheduler, progress)
            _, warnings = write_calibration(calibration, result, out_dir, record["config_file"],
                                            time.perf_counter() - started, workers, parquet)
    except (KeyError, TypeError, ValidationError) as error:
        raise InputError(f"{source}: {error} is missing or malformed; expected the record a {command} wrote") from None
    return command, warnings
