"""A dask cluster that fails under a run (issue 14, finding 4): a lost worker, every worker lost, a lost scheduler.

Each test starts a LocalCluster here, runs `python -m sim run --scheduler ADDRESS` in-process, and breaks the
cluster from another thread as soon as the first replication is on disk. A lost worker is replaced by its
nanny and the run finishes with the same tables as on local processes; with no worker left the run stops
after NO_WORKER_SECONDS (shortened here) with one line instead of waiting for ever; with the scheduler killed
(here one in a process of its own, with kill -9) it stops with one line instead of the library's tracebacks. Either way the finished replications are kept
and a rerun (here on local processes) completes the same tables.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pytest

import sim.executors
from sim.cli import main
from sim.store import read_task

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
RUN = ["run", str(BASELINE), "--set", "run.horizon_days=20", "--set", "run.warmup_days=5", "--replications", "10",
       "--seed", "3", "--quiet"]
TABLES = ("summary.csv", "replications.csv", "daily.csv")


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dask") / "local"
    assert main([*RUN, "--out", str(out), "--workers", "2"]) == 0
    return out


@pytest.fixture
def cluster(request):
    workers = getattr(request, "param", 1)
    local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                     silence_logs=logging.CRITICAL)
    try:
        yield local
    finally:  # a cluster whose scheduler was closed cannot close politely: end its workers, then close briefly
        lose_every_worker(local)
        with suppress(Exception):
            local.close(timeout=2)


def worker_processes(cluster) -> list:
    return [nanny.process.process for nanny in cluster.workers.values() if nanny.process is not None]


def when_first_task(out: Path, action: Callable[[], None]) -> threading.Thread:
    """Do `action` from another thread as soon as the first replication is on disk."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list((out / "tasks").rglob("*.json")):
            time.sleep(0.02)
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def kept_tasks(out: Path) -> int:
    paths = list((out / "tasks").rglob("replication-*.json"))
    for path in paths:
        read_task(path)
    return len(paths)


def same_tables(out: Path, reference: Path) -> bool:
    return all((out / name).read_bytes() == (reference / name).read_bytes() for name in TABLES)


@pytest.mark.slow
@pytest.mark.parametrize("cluster", [2], indirect=True)  # two workers: one is lost
def test_a_lost_worker_is_replaced_and_the_run_gives_the_same_tables(cluster, local_reference, tmp_path, capfd):
    out = tmp_path / "out"
    victim = worker_processes(cluster)[0]
    thread = when_first_task(out, lambda: os.kill(victim.pid, signal.SIGKILL))
    assert main([*RUN, "--out", str(out), "--scheduler", cluster.scheduler_address]) == 0
    thread.join()
    assert not victim.is_alive()
    assert "Traceback" not in capfd.readouterr().err
    assert same_tables(out, local_reference)


def lose_every_worker(cluster) -> None:
    """Every worker dies and none comes back (their nannies are told not to start them again)."""
    for nanny in cluster.workers.values():
        nanny.close_gracefully()
    for process in worker_processes(cluster):
        os.kill(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_no_worker_left_stops_with_a_message_instead_of_waiting_for_ever(cluster, local_reference, tmp_path, capfd,
                                                                         monkeypatch):
    monkeypatch.setattr(sim.executors, "NO_WORKER_SECONDS", 2.0)
    out = tmp_path / "out"
    thread = when_first_task(out, lambda: lose_every_worker(cluster))
    started = time.monotonic()
    assert main([*RUN, "--out", str(out), "--scheduler", cluster.scheduler_address]) == 1
    thread.join()
    assert time.monotonic() - started < 60
    err = capfd.readouterr().err
    assert err == (f"error: --scheduler {cluster.scheduler_address}: no dask worker left for 2 s; finished replications "
                   "are kept: start workers (or check why they died) and run the same command again\n")
    assert 1 <= kept_tasks(out) < 10
    assert main([*RUN, "--out", str(out), "--workers", "2"]) == 0  # the rest, on local processes
    assert same_tables(out, local_reference)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def separate_scheduler():
    """A scheduler and one worker in processes of their own (the scheduler is to be killed: kill -9, not closed)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], stderr=subprocess.DEVNULL, start_new_session=True)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--no-dashboard"], stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        yield address, scheduler
    finally:
        for process in (scheduler, worker):
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_a_lost_scheduler_stops_with_a_message_not_library_tracebacks(separate_scheduler, local_reference, tmp_path):
    """In a real `python -m sim` process: in-process, pytest's capture would hide dask's own log handlers' output."""
    address, scheduler = separate_scheduler
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "sim", *RUN, "--out", str(out), "--scheduler", address]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        thread = when_first_task(out, lambda: os.killpg(scheduler.pid, signal.SIGKILL))
        err = process.communicate(timeout=90)[1]
        thread.join()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 1, err
    assert err == (f"error: --scheduler {address}: lost the dask scheduler; finished replications are kept: "
                   "start it again and run the same command again\n")  # and no library traceback before it
    assert 1 <= kept_tasks(out) < 10
    assert main([*RUN, "--out", str(out), "--workers", "2"]) == 0
    assert same_tables(out, local_reference)
