"""Ctrl-C, SIGTERM and kill -9 at random moments of a real `python -m sim run` or `batch` (issue 14, finding 2).

Each case starts the command in its own session with two worker processes,
waits for the first finished replication and then a random moment more
(seeded, so a failure can be replayed), and sends the signal: SIGINT to the
whole process group, as a terminal's Ctrl-C does, SIGTERM to the main process
alone, as `kill PID` does, SIGKILL to the main process alone. Then:

- the command exits within 10 s of the signal (130 for SIGINT, 143 for
  SIGTERM), saying in one line how many replications it kept and where;
- no process of its session is left (the pool's workers included, even after
  kill -9: they die with the main process);
- every task file on disk is whole, as many as it said;
- run again, it runs only what is missing and writes tables byte-identical to
  an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.store import read_task

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ["--set", "run.horizon_days=20", "--set", "run.warmup_days=5"]
RUN_REPLICATIONS, BATCH_REPLICATIONS = 12, 6
STOP_WITHIN_SECONDS = 10.0
TABLES = ("summary.csv", "replications.csv")


def write_batch(folder: Path) -> Path:
    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump({
        "name": "stop", "baseline": str(BASELINE), "replications": BATCH_REPLICATIONS, "seed": 5,
        "scenarios": [{"name": "more_beds", "set": {"acute.beds": 240}}],
    }))
    return path


def command(kind: str, folder: Path, out: Path) -> list[str]:
    if kind == "run":
        return ["run", str(BASELINE), *SHORT, "--replications", str(RUN_REPLICATIONS), "--seed", "5", "--out", str(out)]
    return ["batch", str(write_batch(folder)), *SHORT, "--out", str(out)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, Path]:
    """Each command run to the end in-process, once: what an interrupted and resumed run must equal."""
    folder = tmp_path_factory.mktemp("reference")
    outs = {}
    for kind in ("run", "batch"):
        outs[kind] = folder / kind
        assert main([*command(kind, folder, outs[kind]), "--workers", "2", "--quiet"]) == 0
    return outs


def session_processes(session: int) -> list[int]:
    """Live (not zombie) processes of a session."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.getsid(int(name)) != session:
                continue
            with open(f"/proc/{name}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(name))
    return found


def default_interrupt() -> None:
    """In the child before it starts: SIGINT as in a terminal (a background shell job inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def task_files(out: Path) -> list[Path]:
    return sorted((out / "tasks").rglob("replication-*.json")) if (out / "tasks").exists() else []


CASES = [
    ("run", signal.SIGINT, "group", 130),
    ("run", signal.SIGTERM, "main", 143),
    ("batch", signal.SIGINT, "group", 130),
    ("batch", signal.SIGTERM, "main", 143),
    ("batch", signal.SIGKILL, "main", -9),
]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds a session's processes in /proc (Linux)")
@pytest.mark.parametrize("kind, number, target, status", CASES, ids=[f"{c[0]}-{c[1].name}-{c[2]}" for c in CASES])
def test_a_stopped_command_exits_promptly_leaves_no_process_and_resumes(
    kind, number, target, status, uninterrupted, tmp_path, capsys
):
    moment = random.Random(f"{kind}{number}").uniform(0.0, 0.5)  # seeded: a failure replays
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", *command(kind, tmp_path, out), "--workers", "2", "--quiet"],
        cwd=tmp_path, env=env, start_new_session=True, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_interrupt,  # pytest may run where SIGINT is ignored (a background job): a terminal's is not
    )
    try:
        deadline = time.monotonic() + 120
        while not task_files(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(moment)
        assert process.poll() is None, f"finished before the signal: {process.stderr.read()}"
        signalled = time.monotonic()
        (os.killpg if target == "group" else os.kill)(process.pid, number)
        err = process.communicate(timeout=60)[1]
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == status, err
    assert took < STOP_WITHIN_SECONDS, f"took {took:.1f} s to stop"
    waited = time.monotonic() + 5  # a worker killed at the end may take a moment to be reaped
    while session_processes(process.pid) and time.monotonic() < waited:
        time.sleep(0.05)
    assert session_processes(process.pid) == [], "processes left behind"
    kept = task_files(out)
    for path in kept:
        read_task(path)  # every task on disk is whole
    total = RUN_REPLICATIONS if kind == "run" else 2 * BATCH_REPLICATIONS
    assert 1 <= len(kept) < total
    assert "Traceback" not in err
    if number != signal.SIGKILL:
        last = err.strip().splitlines()[-1]
        assert last == (f"interrupted by {number.name}: {len(kept)} of {total} replications finished and kept in "
                        f"{out / 'tasks'}; run the same command again to carry on"), err
    capsys.readouterr()
    assert main([*command(kind, tmp_path, out), "--workers", "2", "--quiet"]) == 0
    assert len(task_files(out)) == total
    if kind == "batch":
        assert f'"tasks_run_now": {total - len(kept)}' in (out / "run.json").read_text()
    for name in TABLES:
        assert (out / name).read_bytes() == (uninterrupted[kind] / name).read_bytes(), name
