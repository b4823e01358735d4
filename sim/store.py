"""Finished replications on disk: one small file per (scenario, replication), written atomically.

Every command that simulates (run, batch, compare, sensitivity, calibrate)
saves each replication as it finishes, so a command stopped by a crash,
Ctrl-C or kill -9 resumes where it was when run again into the same folder,
and one asked for more replications (or a tighter --precision) adds to what is
there. A task holds what the tables and the report need: the indicators, the
midnight census of every horizon day and the length-of-stay counts. A folder
holding another piece of work's results is refused rather than mixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.files import write_atomically
from sim.runner import ReplicationResult

MANIFEST = "tasks.json"


class TaskStore:
    """The finished replications of one piece of work (a run, a batch, a sensitivity run, a calibration).

    `fingerprint` says what the results depend on; a folder claimed with
    another fingerprint is refused.
    """

    def __init__(self, out_dir: Path, name: str, fingerprint: str) -> None:
        self.out_dir = out_dir
        self.tasks_dir = out_dir / "tasks"
        self._claim(name, fingerprint)

    def _claim(self, name: str, fingerprint: str) -> None:
        """Mark the folder as this work's, or refuse if it holds another's results."""
        manifest = self.out_dir / MANIFEST
        if manifest.exists():
            recorded = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
            if recorded != fingerprint:
                raise InputError(
                    f"{self.out_dir}: holds the results of different work (or of this one before it changed); "
                    "expected an empty folder or the same work: use another --out, or remove the folder"
                )
            return
        text = json.dumps({"work": name, "fingerprint": fingerprint}, indent=2) + "\n"
        write_atomically(manifest, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def path(self, scenario: str, replication: int) -> Path:
        return self.tasks_dir / scenario / f"replication-{replication:05d}.json"

    def spells_path(self, scenario: str, replication: int) -> Path:
        return self.path(scenario, replication).with_suffix(".spells.csv")

    def done(self, scenario: str, replication: int, spells: bool = False) -> bool:
        """Is the replication on disk (with its spell listing, if `spells`)?"""
        return self.path(scenario, replication).exists() and (not spells or self.spells_path(scenario, replication).exists())

    def save(self, scenario: str, result: ReplicationResult) -> None:
        if result.spells is not None:  # first, so that a task on disk with spells asked for always has them
            listing = result.spells
            write_atomically(self.spells_path(scenario, result.replication), lambda tmp: listing.to_csv(tmp, index=False))
        record = {
            "scenario": scenario,
            "replication": result.replication,
            "indicators": result.indicators,
            "census": result.census.tolist(),
            "los_counts": result.los_counts.tolist(),
        }
        text = json.dumps(record)
        write_atomically(self.path(scenario, result.replication), lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def load(self, scenario: str, replication: int, spells: bool = False) -> ReplicationResult:
        record = json.loads(self.path(scenario, replication).read_text(encoding="utf-8"))
        return ReplicationResult(
            replication,
            record["indicators"],
            np.array(record["census"], dtype=float),
            np.array(record["los_counts"], dtype=np.int64),
            pd.read_csv(self.spells_path(scenario, replication), keep_default_na=False, na_values=[""]) if spells else None,
        )


class MemoryStore:
    """The same interface, in memory: replications that need not survive the process."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, int], ReplicationResult] = {}

    def done(self, scenario: str, replication: int, spells: bool = False) -> bool:
        result = self.results.get((scenario, replication))
        return result is not None and (not spells or result.spells is not None)

    def save(self, scenario: str, result: ReplicationResult) -> None:
        self.results[scenario, result.replication] = result

    def load(self, scenario: str, replication: int, spells: bool = False) -> ReplicationResult:
        return self.results[scenario, replication]
