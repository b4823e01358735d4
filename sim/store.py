"""Finished replications on disk: one small file per (scenario, replication), written atomically.

Every command that simulates (run, batch, compare, sensitivity, calibrate)
saves each replication as it finishes, so a command stopped by a crash,
Ctrl-C or kill -9 resumes where it was when run again into the same folder,
and one asked for more replications (or a tighter --precision) adds to what is
there. A task holds what the tables and the report need: the indicators, the
midnight census of every horizon day and the length-of-stay counts.

The store trusts nothing it reads. A task records the key of what it depends
on (`scenario_key`: the scenario but for its number of replications) and a
checksum of its contents; a task file that is empty, cut short, not JSON, of
the wrong shape, edited, or of another configuration is named on stderr and
run again, never used and never fatal.

The folder is claimed by `tasks.json` (the work's fingerprint), created in one
step so that of two commands started at the same instant only one claims it,
and locked while a command works in it, so that a second command on the same
folder is refused rather than mixing its tasks in. A folder holding anything
else and no `tasks.json` (the tables of an older version, another program's
files) is refused, never cleared: results are not mixed and nothing is
deleted.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import stat
import sys
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import InputError, cut, shown
from sim.files import ensure_folder, write_atomically
from sim.indicators import INDICATORS, LOS_BINS
from sim.model import CENSUS_COLUMNS
from sim.runner import ReplicationResult
from sim.scenario import scenario_key

try:
    import fcntl
except ImportError:  # Windows: the folder is claimed but not locked
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from sim.scenario import Scenario

MANIFEST = "tasks.json"
TASKS = "tasks"
FORMAT = 2  # of a task file; a task of another format is run again
MAX_TASK_BYTES = 256 * 2**20  # far above a 100-year census; a bigger file is not ours and is not read
NAMED_AT_MOST = 5  # damaged tasks named one by one on stderr; then a count


class TaskStore:
    """The finished replications of one piece of work (a run, a batch, a sensitivity run, a calibration).

    `fingerprint` says what the results depend on; a folder claimed with
    another fingerprint, or holding other files, is refused.
    """

    def __init__(self, out_dir: Path, name: str, fingerprint: str) -> None:
        self.out_dir = out_dir
        self.tasks_dir = out_dir / TASKS
        self.damaged = 0
        self.saved = 0  # replications saved by this command
        self.keys: dict[str, str] = {}  # scenario name -> key, of the scenarios asked about
        self._computed: dict[int, tuple[Scenario, str]] = {}  # id -> (scenario, its key): each hashed once
        ensure_folder(out_dir)
        weakref.finalize(self, _unlock_folder, _lock_folder(out_dir))
        self._claim(name, fingerprint)

    def _claim(self, name: str, fingerprint: str) -> None:
        """Mark the folder as this work's, in one step; or refuse if it holds another's results or other files."""
        manifest = self.out_dir / MANIFEST
        text = json.dumps({"work": name, "fingerprint": fingerprint}, indent=2) + "\n"
        if not manifest.exists() and not os.path.lexists(manifest):
            others = sorted(p.name for p in self.out_dir.iterdir() if p.name != TASKS and not _temporary(p.name))
            if others:
                raise InputError(
                    f"{self.out_dir}: holds {', '.join(others[:3])}{' ...' if len(others) > 3 else ''} but no "
                    f"{MANIFEST} (results of an older version, or other files); expected an empty folder or one "
                    "this work started: use another --out, or empty the folder (it is not cleared for you)"
                )
            if _create_once(manifest, text):
                return
        recorded = _read_manifest(manifest)
        if recorded != fingerprint:
            raise InputError(
                f"{self.out_dir}: holds the results of different work (or of this one before it changed); "
                "expected an empty folder or the same work: use another --out, or remove the folder"
            )

    def path(self, scenario: str, replication: int) -> Path:
        return self.tasks_dir / scenario / f"replication-{replication:05d}.json"

    def spells_path(self, scenario: str, replication: int) -> Path:
        return self.path(scenario, replication).with_suffix(".spells.csv")

    def done(self, scenario: Scenario, replication: int, spells: bool = False) -> bool:
        """Is the replication on disk, whole and of this scenario (with its spell listing, if `spells`)?

        A task file that is there but damaged or foreign is named on stderr
        and counts as not done, so it is run again and replaced.
        """
        self.keys[scenario.name] = self._key(scenario)
        path = self.path(scenario.name, replication)
        if not os.path.lexists(path):
            return False
        try:
            record = self._read(scenario.name, replication)
        except DamagedTask as damage:
            self._name_damage(path, str(damage))
            return False
        if spells and record.get("spells_sha256") != _file_digest(self.spells_path(scenario.name, replication)):
            return False  # asked for spells this time: run it again, listing them
        return True

    def save(self, scenario: Scenario, result: ReplicationResult) -> None:
        name = scenario.name
        record: dict[str, Any] = {
            "format": FORMAT,
            "scenario": name,
            "key": self._key(scenario),
            "replication": result.replication,
            "indicators": result.indicators,
            "census": result.census.tolist(),
            "los_counts": result.los_counts.tolist(),
        }
        if result.spells is not None:  # first, so that a task on disk with spells asked for always has them
            listing = result.spells
            spells_path = self.spells_path(name, result.replication)
            write_atomically(spells_path, lambda tmp: listing.to_csv(tmp, index=False))
            record["spells_sha256"] = _file_digest(spells_path)
        record["checksum"] = _checksum(record)
        text = json.dumps(record)
        write_atomically(self.path(name, result.replication), lambda tmp: tmp.write_text(text, encoding="utf-8"))
        self.saved += 1

    def _key(self, scenario: Scenario) -> str:
        """The scenario's key, hashed once per scenario object (a batch asks for each of its tasks)."""
        if id(scenario) not in self._computed:  # the scenario is kept with its key, so its id is not reused
            self._computed[id(scenario)] = (scenario, scenario_key(scenario))
        return self._computed[id(scenario)][1]

    def load(self, scenario: str, replication: int, spells: bool = False) -> ReplicationResult:
        """A finished replication, checked again (a file damaged since `done` stops the command, naming it)."""
        try:
            record = self._read(scenario, replication)
        except DamagedTask as damage:
            raise InputError(f"{self.path(scenario, replication)}: {damage}; run the command again to replace it") from None
        return ReplicationResult(
            replication,
            {name: float(record["indicators"][name]) for name in INDICATORS},
            np.array(record["census"], dtype=float),
            np.array(record["los_counts"], dtype=np.int64),
            pd.read_csv(self.spells_path(scenario, replication), keep_default_na=False, na_values=[""]) if spells else None,
        )

    def _read(self, scenario: str, replication: int) -> dict:
        """The task's record if it is whole and this scenario's; DamagedTask saying what is wrong otherwise."""
        record = read_task(self.path(scenario, replication))
        expected = {"scenario": scenario, "replication": replication}
        for field, value in expected.items():
            if record[field] != value:
                raise DamagedTask(f"{field} is {_shown(record[field])}; expected {value!r} (a file moved or copied here)")
        key = self.keys.get(scenario)
        if key is not None and record["key"] != key:
            raise DamagedTask("a task of another configuration (another seed, scenario or version)")
        return record

    def _name_damage(self, path: Path, why: str) -> None:
        self.damaged += 1
        if self.damaged <= NAMED_AT_MOST:
            print(f"warning: {path}: {why}; it is run again", file=sys.stderr)
        elif self.damaged == NAMED_AT_MOST + 1:
            print(f"warning: more damaged or foreign tasks in {self.tasks_dir}; they are run again too", file=sys.stderr)


class DamagedTask(Exception):
    """A task file that cannot be used, and why."""


def read_task(path: Path) -> dict:
    """Read and check one task file: every key, the indicator names, the shapes and the checksum."""
    try:
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            raise DamagedTask("not a regular file")
        if os.path.getsize(path) > MAX_TASK_BYTES:
            raise DamagedTask(f"larger than {MAX_TASK_BYTES // 2**20} MiB")
        record = json.loads(path.read_bytes().decode("utf-8"))
    except DamagedTask:
        raise
    except (OSError, ValueError, RecursionError) as error:  # ValueError: JSON and UTF-8 errors
        raise DamagedTask(f"unreadable ({_reason(error)})") from None
    _check_record(record)
    return record


def _check_record(record: Any) -> None:
    expected = {"format", "scenario", "key", "replication", "indicators", "census", "los_counts", "checksum"}
    if not isinstance(record, dict):
        raise DamagedTask(f"holds a JSON {type(record).__name__}; expected a task record")
    keys = set(record) - {"spells_sha256"}
    if keys != expected:
        missing, extra = sorted(expected - keys), sorted(keys - expected)
        raise DamagedTask(f"keys missing {missing}, unknown {extra[:5]}" if missing else f"unknown keys {extra[:5]}")
    if record["format"] != FORMAT:
        raise DamagedTask(f"format {_shown(record['format'])}; expected {FORMAT} (written by another version)")
    if not isinstance(record["scenario"], str) or not isinstance(record["key"], str):
        raise DamagedTask("scenario and key are not text")
    if not _whole(record["replication"]) or record["replication"] < 0:
        raise DamagedTask(f"replication {_shown(record['replication'])}; expected a whole number")
    indicators = record["indicators"]
    if not isinstance(indicators, dict) or list(indicators) != list(INDICATORS):
        names = sorted(set(indicators) ^ set(INDICATORS))[:3] if isinstance(indicators, dict) else []
        raise DamagedTask(f"indicators are not this version's (differ in {names}); expected {len(INDICATORS)} named ones")
    for name, value in indicators.items():
        if not _number(value):
            raise DamagedTask(f"indicator {name}: value {_shown(value)}; expected a number")
    census = record["census"]
    if not isinstance(census, list) or not census or any(
        not isinstance(row, list) or len(row) != len(CENSUS_COLUMNS) or not all(map(_finite, row)) for row in census
    ):
        raise DamagedTask(f"census: expected rows of {len(CENSUS_COLUMNS)} numbers, one per horizon day")
    if [row[0] for row in census] != list(range(len(census))):
        raise DamagedTask("census: days are not 0, 1, 2, ...")
    counts = record["los_counts"]
    if not isinstance(counts, list) or len(counts) != LOS_BINS or not all(_whole(c) and c >= 0 for c in counts):
        raise DamagedTask(f"los_counts: expected {LOS_BINS} counts of 0 or more")
    if record["checksum"] != _checksum(record):
        raise DamagedTask("its checksum does not match its contents (edited or damaged)")


def _checksum(record: dict) -> str:
    """SHA-256 of everything in the record but the checksum itself (NaN written as JSON's NaN)."""
    content = {k: v for k, v in record.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


def _number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    return _number(value) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    return type(value).__name__ if isinstance(value, dict | list) else shown(value, 40)


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return cut(str(error), 80)


def _temporary(name: str) -> bool:
    """A temporary file of an atomic write left by a crash (nothing of anyone's results)."""
    return name.startswith(".") and name.endswith(".tmp")


def _create_once(manifest: Path, text: str) -> bool:
    """Create the manifest whole, only if there is none (True), atomically: of two commands, one creates it."""
    handle, name = tempfile.mkstemp(dir=manifest.parent, prefix=f".{manifest.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        try:
            os.link(temporary, manifest)  # fails if the name exists: never replaces another command's claim
        except FileExistsError:
            return False
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            try:  # a file system without hard links: exclusive creation (a reader may briefly see it empty)
                with open(manifest, "x", encoding="utf-8") as file:
                    file.write(text)
            except FileExistsError:
                return False
        return True
    except OSError as error:
        raise InputError(f"{manifest}: cannot be written ({error.strerror}); expected a folder you can write to") from None
    finally:
        temporary.unlink(missing_ok=True)


def _read_manifest(manifest: Path) -> str | None:
    """The fingerprint a manifest records (None if it is not a manifest we can read)."""
    try:
        if not stat.S_ISREG(os.lstat(manifest).st_mode) or os.path.getsize(manifest) > 2**16:
            return None
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("fingerprint") if isinstance(data, dict) else None


LOCKS: dict[str, list[int]] = {}  # folder (real path) -> [file descriptor, stores using it] in this process


def _lock_folder(folder: Path) -> str:
    """Lock the folder for this process; refuse if another process holds it. Returns the key to unlock it.

    The lock (flock) goes with the process: released when it ends, even by
    kill -9, so no stale lock is ever left. Within one process the lock is
    shared (tests run several commands in one process, one after another).
    """
    key = os.path.realpath(folder)
    if key in LOCKS:
        LOCKS[key][1] += 1
        return key
    handle = os.open(folder, os.O_RDONLY)
    if fcntl is not None:  # Windows: not locked
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise InputError(
                f"{folder}: another command is working in this folder; expected one command at a time per "
                "results folder: wait for it to finish, or use another --out"
            ) from None
        except OSError:
            pass  # a file system without locks: claimed, not locked
    LOCKS[key] = [handle, 1]
    return key


def _unlock_folder(key: str) -> None:
    entry = LOCKS.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] == 0:
        del LOCKS[key]
        os.close(entry[0])


class MemoryStore:
    """The same interface, in memory: replications that need not survive the process."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, int], ReplicationResult] = {}
        self.saved = 0

    def done(self, scenario: Scenario, replication: int, spells: bool = False) -> bool:
        result = self.results.get((scenario.name, replication))
        return result is not None and (not spells or result.spells is not None)

    def save(self, scenario: Scenario, result: ReplicationResult) -> None:
        self.results[scenario.name, result.replication] = result
        self.saved += 1

    def load(self, scenario: str, replication: int, spells: bool = False) -> ReplicationResult:
        return self.results[scenario, replication]

