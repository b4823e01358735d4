"""Faults (issue 14): nothing but a result file is replaced, a full disk leaves the old results whole, a damaged
or foreign task is run again, one command at a time works in a results folder, and a stop keeps finished work.

Runs are tiny (3 to 30 horizon days, a few replications) and go through `sim.cli.main` in-process; the
signals to real processes are in test_interruptions.py and dask's lost workers in test_dask_faults.py.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import sim.files
from sim.cli import main
from sim.errors import InputError, Interrupted, MachineError
from sim.executors import LocalWorkers
from sim.files import write_atomically, write_files
from sim.runner import run_missing_tasks
from sim.scenario import load_scenario
from sim.store import MANIFEST, TaskStore, read_task

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ["--set", "run.horizon_days=30", "--set", "run.warmup_days=10", "--quiet"]
TABLES = ("summary.csv", "replications.csv", "daily.csv", "los_histogram.csv")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(out: Path, *extra: str, replications: int = 3) -> int:
    return main(["run", str(BASELINE), *SHORT, "--replications", str(replications), "--out", str(out), *extra])


def tables(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in (*TABLES, "run.json") if (out / name).exists()}


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.tmp")]


# --- 1. one safe writer ------------------------------------------------------------------------


def make_device(path: Path) -> None:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is


KINDS = {
    "a FIFO (named pipe)": lambda path: os.mkfifo(path),
    "a folder": lambda path: path.mkdir(),
    "a symbolic link": lambda path: os.symlink(path.parent / "victim.txt", path),
    "a character device": make_device,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_writer_replaces_nothing_but_a_regular_file(kind, tmp_path):
    if kind == "a character device" and not AS_ROOT:
        pytest.skip("making a device node needs root (CI runs as root)")
    (tmp_path / "victim.txt").write_text("precious\n")
    target = tmp_path / "summary.csv"
    KINDS[kind](target)
    before = os.lstat(target)
    with pytest.raises(InputError, match=re.escape(f"{target}: is {kind}; expected a regular file")):
        write_atomically(target, lambda tmp: tmp.write_text("new\n"))
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino, after.st_rdev) == (stat.S_IFMT(before.st_mode), before.st_ino, before.st_rdev)
    assert (tmp_path / "victim.txt").read_text() == "precious\n"  # a symlink's target is not written through
    assert temporaries(tmp_path) == []
    # negative control: a regular file (or nothing) there is written
    plain = tmp_path / "plain.csv"
    plain.write_text("old\n")
    write_atomically(plain, lambda tmp: tmp.write_text("new\n"))
    assert plain.read_text() == "new\n"


def test_out_dev_null_is_refused_and_dev_null_survives(capsys):
    """As root, renaming over /dev/null would destroy it; the census command is refused before it simulates."""
    before = os.lstat("/dev/null")
    status = main(["census", str(BASELINE), "--out", "/dev/null", "--set", "run.horizon_days=3", "--set", "run.warmup_days=0"])
    assert status == 2
    assert capsys.readouterr().err.startswith("error: /dev/null: is a character device; expected a folder")
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_a_set_of_files_is_written_as_one(tmp_path):
    """A failure on the third file leaves all the old files; a stop between renames never leaves run.json stale."""
    old = {name: f"old {name}\n" for name in ("a.csv", "b.csv", "c.csv", "run.json")}
    for name, text in old.items():
        (tmp_path / name).write_text(text)

    def writer(name: str):
        def write(tmp: Path) -> None:
            if name == "c.csv":
                raise OSError(errno.ENOSPC, "No space left on device")
            tmp.write_text(f"new {name}\n")
        return write

    with pytest.raises(MachineError, match="c.csv: cannot be written .No space left on device"):
        write_files({tmp_path / name: writer(name) for name in old}, last="run.json")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == old  # nothing changed, no temporary left

    renamed = []
    real_replace = os.replace

    def replace_then_crash(source, target):
        if renamed:
            raise OSError(errno.EIO, "Input/output error")
        renamed.append(target)
        real_replace(source, target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.files.os, "replace", replace_then_crash)
        with pytest.raises(MachineError):
            write_files({tmp_path / name: lambda tmp, name=name: tmp.write_text(f"new {name}\n") for name in old},
                        last="run.json")
    assert not (tmp_path / "run.json").exists()  # the set is not claimed complete
    assert temporaries(tmp_path) == []


# --- 8. a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs mounted in tmp_path (root, where mounting is allowed), else None."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True) \
        if shutil.which("mount") and AS_ROOT else None
    if done is None or done.returncode != 0:
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill the file system but for `leave` bytes."""
    space = os.statvfs(disk)
    filler = disk / "filler"
    with filler.open("wb") as file:
        file.write(b"\0" * max(0, space.f_bavail * space.f_frsize - leave))
    return filler


def test_a_full_disk_leaves_the_old_results_whole_and_the_new_tasks_kept(small_disk, tmp_path, capsys, monkeypatch):
    """On a real small tmpfs where it can be mounted (root), else with an injected OSError(ENOSPC)."""
    out = (small_disk or tmp_path) / "out"
    assert run(out, replications=2) == 0
    before = tables(out)
    if small_disk is not None:  # room for the two new tasks and a page more: the tables cannot all be written
        task_pages = sum(-(-p.stat().st_size // 4096) for p in (out / "tasks" / "baseline").iterdir())
        fill(small_disk, leave=task_pages * 4096 + 4096)
    else:
        real_stage = sim.files._stage

        def full_disk(path: Path, write):
            if path.name == "daily.csv":
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_stage(path, write)

        monkeypatch.setattr(sim.files, "_stage", full_disk)
    capsys.readouterr()
    assert run(out, replications=4) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and str(out) in err and "Traceback" not in err
    assert tables(out) == before  # the old set, whole: no new table beside the old run.json
    assert temporaries(out) == []
    kept = sorted((out / "tasks" / "baseline").iterdir())
    assert len(kept) == 4, "the replications run before the disk filled are kept"
    stamps = {p.name: p.stat().st_mtime_ns for p in kept}
    if small_disk is not None:
        (small_disk / "filler").unlink()
    else:
        monkeypatch.undo()
    assert run(out, replications=4) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "tasks" / "baseline").iterdir()} == stamps  # reused, not rerun
    assert '"replications": 4' in (out / "run.json").read_text()


# --- 3. the task store --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store") / "out"
    assert run(out) == 0
    return out


def rewrite(path: Path, change) -> None:
    """Change a task's record and give it a matching checksum, so that only the structure checks can catch it."""
    record = json.loads(path.read_text())
    change(record)
    record["checksum"] = sim.store._checksum(record)
    path.write_text(json.dumps(record))


def edit_value(path: Path) -> None:
    text = path.read_text()
    path.write_text(text.replace('"admissions_per_year": ', '"admissions_per_year": 1', 1))


DAMAGE = {
    "empty": lambda path, other: path.write_bytes(b""),
    "truncated": lambda path, other: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "garbage": lambda path, other: path.write_bytes(os.urandom(2000)),
    "not UTF-8": lambda path, other: path.write_bytes(b'{"format": "\xff\xfe"}'),
    "a JSON list": lambda path, other: path.write_text("[1, 2, 3]"),
    "nested 100,000 deep": lambda path, other: path.write_text("[" * 100_000 + "]" * 100_000),
    "a value edited": lambda path, other: edit_value(path),
    "a value as text": lambda path, other: rewrite(path, lambda r: r["indicators"].update(mean_los_days="five")),
    "a key missing": lambda path, other: rewrite(path, lambda r: r.pop("census")),
    "an unknown key": lambda path, other: rewrite(path, lambda r: r.update(extra=1)),
    "an indicator renamed": lambda path, other: rewrite(
        path, lambda r: r.update(indicators={("x" if k == "mean_los_days" else k): v for k, v in r["indicators"].items()})),
    "a census row short": lambda path, other: rewrite(path, lambda r: r["census"][0].pop()),
    "census days out of order": lambda path, other: rewrite(path, lambda r: r["census"].reverse()),
    "negative counts": lambda path, other: rewrite(path, lambda r: r["los_counts"].__setitem__(3, -1)),
    "another format": lambda path, other: rewrite(path, lambda r: r.update(format=1)),
    "another replication's file": lambda path, other: shutil.copyfile(path.with_name("replication-00000.json"), path),
    "another configuration's task": lambda path, other: shutil.copyfile(other, path),
}


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed2") / "out"
    assert run(out, "--seed", "2") == 0
    return out


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_or_foreign_task_is_named_and_run_again(damage, finished, other_seed, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    task = out / "tasks" / "baseline" / "replication-00001.json"
    DAMAGE[damage](task, other_seed / "tasks" / "baseline" / "replication-00001.json")
    scenario = load_scenario(BASELINE, ["run.horizon_days=30", "run.warmup_days=10", "run.replications=3"])
    store = TaskStore(out, scenario.name, sim.scenario.scenario_key(scenario))
    assert store.done(scenario, 0) and store.done(scenario, 2)  # negative control: the others are fine
    assert not store.done(scenario, 1)
    assert f"warning: {task}: " in capsys.readouterr().err
    with pytest.raises(InputError, match=str(task)):
        store.load(scenario.name, 1)


def test_damaged_tasks_are_replaced_and_the_tables_are_the_same(finished, other_seed, tmp_path, capsys):
    """End to end: three kinds of damage at once; the rerun names each, recomputes them and writes the same bytes."""
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    tasks = out / "tasks" / "baseline"
    for replication, damage in enumerate(("truncated", "a value edited", "another configuration's task")):
        path = tasks / f"replication-{replication:05d}.json"
        DAMAGE[damage](path, other_seed / "tasks" / "baseline" / path.name)
    capsys.readouterr()
    assert run(out) == 0
    err = capsys.readouterr().err
    assert all(f"{tasks / f'replication-{r:05d}.json'}: " in err for r in range(3)), err
    assert "checksum" in err and "another configuration" in err and "unreadable" in err
    assert tables(out).keys() == tables(finished).keys()
    assert {k: v for k, v in tables(out).items() if k != "run.json"} == \
        {k: v for k, v in tables(finished).items() if k != "run.json"}
    for path in tasks.iterdir():
        read_task(path)  # whole again


def test_foreign_tasks_are_never_reused_even_without_tasks_json(finished, other_seed, tmp_path, capsys):
    """Seed 2's tasks left in a folder whose tasks.json and tables were deleted: a seed-1 run recomputes them all."""
    out = tmp_path / "out"
    shutil.copytree(other_seed, out)
    for name in (MANIFEST, *TABLES, "run.json"):
        (out / name).unlink()
    capsys.readouterr()
    assert run(out) == 0
    assert capsys.readouterr().err.count("another configuration") == 3
    assert (out / "replications.csv").read_bytes() == (finished / "replications.csv").read_bytes()
    assert (out / "replications.csv").read_bytes() != (other_seed / "replications.csv").read_bytes()  # control


def test_a_task_replaced_by_a_symlink_is_refused_not_followed(finished, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    task = out / "tasks" / "baseline" / "replication-00002.json"
    victim = tmp_path / "victim.json"
    victim.write_text("precious\n")
    task.unlink()
    os.symlink(victim, task)
    assert run(out) == 2
    assert f"error: {task}: is a symbolic link; expected a regular file" in capsys.readouterr().err
    assert victim.read_text() == "precious\n"


# --- 3. the claim on a results folder ----------------------------------------------------------------


def hold(folder: str, ready, release) -> None:
    """Another command working in the folder (another process), until released."""
    store = TaskStore(Path(folder), "work", "fingerprint")  # noqa: F841 - holds the folder while it lives
    ready.set()
    release.wait(30)


def test_a_second_command_on_a_busy_folder_is_refused(tmp_path, capsys):
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=hold, args=(str(tmp_path / "out"), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(InputError, match="another command is working in this folder"):
            TaskStore(tmp_path / "out", "work", "fingerprint")
        assert run(tmp_path / "out") == 2
        assert "another command is working in this folder" in capsys.readouterr().err
    finally:
        release.set()
        holder.join(30)
    TaskStore(tmp_path / "out", "work", "fingerprint")  # the other command ended: the folder is free (control)


def claim(folder: str, fingerprint: str, barrier, results) -> None:
    barrier.wait()
    try:
        store = TaskStore(Path(folder), "work", fingerprint)
        results.put(fingerprint)
        barrier.wait()  # hold the folder until both have tried
        del store
    except InputError:
        results.put("refused")
        barrier.wait()


def test_two_commands_started_at_the_same_instant_one_wins(tmp_path):
    """Two processes claim one empty folder with different work at the same instant, ten times: one wins each time."""
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        folder = tmp_path / f"out{attempt}"
        barrier, results = context.Barrier(2), context.Queue()
        processes = [context.Process(target=claim, args=(str(folder), f"fp{i}", barrier, results)) for i in range(2)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(30)
        outcomes = sorted(results.get(timeout=5) for _ in processes)
        assert outcomes[1] == "refused" and outcomes[0] in ("fp0", "fp1"), outcomes
        assert json.loads((folder / MANIFEST).read_text())["fingerprint"] == outcomes[0]


# --- 2. a stop keeps finished work, ends the workers (deterministic, in-process) -------------------------------


class StopAfter:
    """A task store that is interrupted (as by Ctrl-C) when it saves its n-th replication."""

    def __init__(self, store: TaskStore, n: int) -> None:
        self.store, self.n, self.count = store, n, 0

    def done(self, scenario, replication, spells=False):
        return self.store.done(scenario, replication, spells)

    def save(self, scenario, result):
        self.store.save(scenario, result)
        self.count += 1
        if self.count == self.n:
            raise KeyboardInterrupt

    tasks_dir = property(lambda self: self.store.tasks_dir)
    saved = property(lambda self: self.store.saved)


def test_an_interruption_cancels_queued_work_ends_the_workers_and_keeps_what_finished(tmp_path):
    scenario = load_scenario(BASELINE, ["run.horizon_days=30", "run.warmup_days=10", "run.replications=40"])
    store = TaskStore(tmp_path, scenario.name, sim.scenario.scenario_key(scenario))
    pool = RecordingWorkers(2)
    tasks = [(scenario, r) for r in range(40)]
    with pytest.raises(Interrupted) as stopped:
        try:
            run_missing_tasks(tasks, StopAfter(store, 2), pool, progress=False)
        finally:
            pool.close()
    kept = len(list(store.tasks_dir.rglob("*.json")))
    assert 2 <= kept <= 2 + 2 * pool.slots + 1  # what finished, never the 40 queued
    assert f"{kept} of 40 replications finished and kept in {store.tasks_dir}" in str(stopped.value)
    assert len(pool.stopped) == 2 and not any(process.is_alive() for process in pool.stopped)


class RecordingWorkers(LocalWorkers):
    """Local workers that remember which processes they had when told to stop."""

    def stop(self) -> None:
        self.stopped = list(self.executor._processes.values())
        super().stop()
