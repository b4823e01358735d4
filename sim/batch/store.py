"""Finished tasks on disk: one small file per (scenario, replication), written atomically.

A rerun of the same batch into the same folder skips what is there, so a batch
stopped by a crash, Ctrl-C or kill -9 resumes where it was. A folder holding
another batch's results is refused rather than mixed.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.errors import InputError
from sim.results import write_atomically

MANIFEST = "batch.json"


class TaskStore:
    """The finished tasks of one piece of work (a batch, a sensitivity run, a calibration).

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
                    f"{self.out_dir}: holds the results of a different batch (or of this one before it changed); "
                    "expected an empty folder or the same batch: use another --out, or remove the folder"
                )
            return
        text = json.dumps({"batch": name, "fingerprint": fingerprint}, indent=2) + "\n"
        write_atomically(manifest, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def path(self, scenario: str, replication: int) -> Path:
        return self.tasks_dir / scenario / f"replication-{replication:05d}.json"

    def done(self, scenario: str, replication: int) -> bool:
        return self.path(scenario, replication).exists()

    def save(self, scenario: str, replication: int, indicators: dict[str, float]) -> None:
        text = json.dumps({"scenario": scenario, "replication": replication, "indicators": indicators})
        write_atomically(self.path(scenario, replication), lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def load(self, scenario: str, replication: int) -> dict[str, float]:
        return json.loads(self.path(scenario, replication).read_text(encoding="utf-8"))["indicators"]
