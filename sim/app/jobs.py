"""Runs started from the app: the command line's own `run` or `compare`, in a process of its own.

A run is a folder of the results folder, written by the command alone. The
app keeps its own record of the run beside it, in `RESULTS/.app/<run>/`
(the command refuses an output folder holding files it did not write): what
to run (`app-job.json`), the command's output (`app-log.txt`) and, when it
ends, its exit status (`app-status.json`). It starts `python -m
sim.app.background RECORD` in a new session, detached from the web
server's, which calls the command line (`sim.cli.main`) with `--out FOLDER`,
so the work goes through the batch machinery (worker processes, one task
file per finished replication, resumable) and ends with the same files as
the command typed by hand. Closing the browser loses nothing; whoever opens
the app next reads the state of every run from these files: its progress is
the number of task files against the number expected.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sim.app.safety import RESERVED, inside, safe_name
from sim.files import write_atomically
from sim.precision import START

JOB, STATUS, LOG = "app-job.json", "app-status.json", "app-log.txt"
RECORDS = ".app"  # RESULTS/.app/<run>/: the app's record of each run
INTERRUPTED = (128 + signal.SIGINT, 128 + signal.SIGTERM)  # the command line's exit after Ctrl-C or SIGTERM


@dataclass(frozen=True)
class RunRequest:
    """What to run: a baseline and any options, replications or a precision, `--set` changes for all, workers."""

    baseline: Path
    options: tuple[Path, ...] = ()
    replications: int | None = None
    precision: float | None = None
    max_replications: int | None = None
    overrides: tuple[str, ...] = ()
    workers: int | None = None
    report: bool = True  # also write report.html (a few seconds more)

    def argv(self, out: Path) -> list[str]:
        """The command line, as `python -m sim` takes it."""
        files = [str(self.baseline.resolve()), *(str(o.resolve()) for o in self.options)]
        argv = ["compare", *files] if self.options else ["run", *files]
        argv += ["--out", str(out), "--quiet", *(["--report"] if self.report else [])]
        if self.precision is not None:
            argv += ["--precision", f"{self.precision:g}"]
            if self.max_replications:
                argv += ["--max-replications", str(self.max_replications)]
        elif self.replications:
            argv += ["--replications", str(self.replications)]
        for assignment in self.overrides:
            argv += ["--set", assignment]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        return argv

    def expected_tasks(self) -> int:
        """Replication files expected when the run ends (with a precision: its first round, at least)."""
        per_scenario = START if self.precision is not None else (self.replications or 1)
        return (1 + len(self.options)) * per_scenario

    def default_name(self) -> str:
        """The run's folder name if the user gives none, like the command line's."""
        if not self.options:
            return self.baseline.stem
        more = f"-and-{len(self.options) - 1}-more" if len(self.options) > 1 else ""
        return f"compare-{self.options[0].stem}{more}"


@dataclass(frozen=True)
class RunState:
    """A run as the app shows it, read from its folder."""

    folder: Path
    state: str  # running, writing tables, finished, failed, stopped
    done: int  # replications finished
    expected: int  # replications expected (with a precision: at least)
    seconds: float  # since it started (to its end, if it ended)
    left: float | None  # estimated seconds to go, while running
    started: float  # time it started (or its results were written), seconds since the epoch
    command: str = ""  # the command line it runs
    errors: list[str] = field(default_factory=list)  # why it failed
    by_app: bool = True  # started from the app (not from the command line)
    open_ended: bool = False  # replications chosen for a precision: `expected` is a floor

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def ended(self) -> bool:
        return self.state in ("finished", "failed", "stopped")


def record_of(folder: Path) -> Path:
    """Where the app keeps its record of the run whose results go into `folder`."""
    return folder.parent / RECORDS / folder.name


def start_run(request: RunRequest, results_root: Path, name: str = "") -> Path:
    """Start a run into a new folder of the results folder (named after `name`, made safe and unique); return it."""
    folder = unique_folder(results_root, safe_name(name or request.default_name(), "run"))
    record_of(folder).mkdir(parents=True)
    job = {
        "argv": request.argv(folder),
        "expected_tasks": request.expected_tasks(),
        "precision": request.precision,
    }
    launch(folder, job)
    return folder


def resume_run(folder: Path) -> None:
    """Run a stopped or failed run's command again into its folder: the command line carries on where it stopped."""
    job = read_json(record_of(folder) / JOB)
    (record_of(folder) / STATUS).unlink(missing_ok=True)
    launch(folder, job)


def launch(folder: Path, job: dict) -> None:
    """Start the background process of a run and record it (its process id, when, what was done already)."""
    record = record_of(folder)
    job = {**job, "started": time.time(), "done_at_start": tasks_done(folder), "pid": None}
    write_json(record / JOB, job)
    with open(record / LOG, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, our own arguments
            [sys.executable, "-m", "sim.app.background", str(record)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=record, start_new_session=True,
        )
    write_json(record / JOB, {**job, "pid": process.pid})
    threading.Thread(target=process.wait, daemon=True).start()  # reaped when it ends, while this server runs


def stop_run(folder: Path) -> None:
    """Interrupt a running run as Ctrl-C would (its finished replications are kept; Resume carries on)."""
    job = read_json(record_of(folder) / JOB)
    if job.get("pid") and alive(job["pid"]):
        os.killpg(job["pid"], signal.SIGINT)


def unique_folder(results_root: Path, name: str) -> Path:
    """results_root/name, or name-2, name-3... if that is taken (or is one of the app's own folders)."""
    candidate, number = name, 1
    while candidate in RESERVED or (results_root / candidate).exists() or (results_root / RECORDS / candidate).exists():
        number += 1
        candidate = f"{name}-{number}"
    return inside(results_root, results_root / candidate)


def tasks_done(folder: Path) -> int:
    """Replications finished so far: the task files of the folder's store (sim.store)."""
    return sum(1 for _ in folder.glob("tasks/*/replication-*.json"))


def run_state(folder: Path) -> RunState | None:
    """The state of the run into `folder`, or None if there is none (no record of the app's, no run.json)."""
    record = record_of(folder)
    if not (record / JOB).is_file():
        if not (folder / "run.json").is_file():
            return None
        started = (folder / "run.json").stat().st_mtime
        return RunState(folder, "finished", 0, 0, 0.0, None, started, by_app=False)
    job = read_json(record / JOB)
    status = read_json(record / STATUS) if (record / STATUS).is_file() else None
    started = job.get("started", record.stat().st_mtime)
    command = shlex.join(["python", "-m", "sim", *job.get("argv", [])])
    if status is not None and status.get("exit_code") == 0:  # its task files need not be counted again
        return RunState(folder, "finished", job["expected_tasks"], job["expected_tasks"],
                        status.get("finished", started) - started, None, started, command)
    done = tasks_done(folder)
    expected = max(job.get("expected_tasks", done), done)
    if status is not None:
        state = "stopped" if status.get("exit_code") in INTERRUPTED else "failed"
        return RunState(folder, state, done, expected, status.get("finished", started) - started,
                        None, started, command, error_lines(record / LOG))
    seconds = time.time() - started
    if job.get("pid") is None or not alive(job["pid"]):
        return RunState(folder, "stopped", done, expected, seconds, None, started, command,
                        ["The run stopped before it finished (the machine or the app was restarted, or it was "
                         "stopped): Resume carries on from the replications it finished."])
    open_ended = job.get("precision") is not None
    ran = done - job.get("done_at_start", 0)
    left = seconds * (expected - done) / ran if ran > 0 and done < expected and not open_ended else None
    state = "writing tables" if done >= expected and not open_ended else "running"
    return RunState(folder, state, done, expected, seconds, left, started, command, open_ended=open_ended)


def runs_under_way(results_root: Path) -> list[RunState]:
    """The app's runs that have not ended (only their records are read: cheap enough to ask every second)."""
    records = results_root / RECORDS
    if not records.is_dir():
        return []
    found = [run_state(results_root / r.name) for r in records.iterdir() if r.is_dir() and not (r / STATUS).exists()]
    return [s for s in found if s is not None and not s.ended]


def past_runs(results_root: Path) -> list[RunState]:
    """Every run in the results folder (or that the app started there), newest first."""
    if not results_root.is_dir():
        return []
    names = {f.name for f in results_root.iterdir() if f.is_dir()}
    if (results_root / RECORDS).is_dir():
        names |= {f.name for f in (results_root / RECORDS).iterdir() if f.is_dir()}
    found = [run_state(results_root / name) for name in names - set(RESERVED) if not name.startswith(".")]
    return sorted((s for s in found if s is not None), key=lambda s: s.started, reverse=True)


def error_lines(log: Path) -> list[str]:
    """What the command line said when it failed: its error lines, or the end of its output."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    said = [line for line in lines if line.startswith(("error:", "failed:", "interrupted"))]
    return said or lines[-5:] or ["The run ended without saying why."]


def alive(pid: int) -> bool:
    """Is the run's background process still working (not ended, not a zombie, not another program since)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():
        return True  # no /proc (not Linux): the process id is all there is to go on
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        command = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False
    return state != "Z" and b"sim.app.background" in command


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2) + "\n"
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

