"""Replications: one is a pure function of (scenario, replication); many run over processes into a store.

Because a replication draws only from its own named streams, its result does
not depend on which process ran it or in what order, so `--workers 1` and
`--workers 8` give identical tables. Each finished replication goes into a
store at once (sim.store: on disk, so that work survives an interruption, or
in memory), and only what is not there yet is run.
"""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.errors import Interrupted, MachineError
from sim.executors import Workers, executor
from sim.indicators import compute_indicators, los_counts
from sim.model import draw_arrivals, simulate
from sim.scenario import Scenario
from sim.spells import spell_listing
from sim.streams import Streams

if TYPE_CHECKING:
    from sim.store import MemoryStore, TaskStore


@dataclass(frozen=True)
class ReplicationResult:
    replication: int
    indicators: dict[str, float]
    census: np.ndarray  # one row per horizon midnight, columns sim.model.CENSUS_COLUMNS
    los_counts: np.ndarray  # spells ended in the horizon by whole days of stay (sim.indicators.los_counts)
    spells: pd.DataFrame | None = None  # the per-spell listing, when asked for


def run_replication(scenario: Scenario, replication: int, keep_spells: bool = False) -> ReplicationResult:
    """Simulate one replication and compute its indicators (and, if asked, list its spells)."""
    with fewer_garbage_collections():
        streams = Streams(scenario.run.seed, replication)
        records = simulate(scenario, draw_arrivals(scenario, streams), streams)
        result = ReplicationResult(
            replication,
            compute_indicators(records, scenario),
            np.array(records.census, dtype=float),
            los_counts(records),
            spell_listing(records, scenario) if keep_spells else None,
        )
        del records  # freed now, by reference counting, before the collector runs at its usual pace again
    return result


@contextmanager
def fewer_garbage_collections() -> Iterator[None]:
    """Collect cyclic garbage less often during a replication.

    A replication builds up tens of thousands of records that live to its end;
    with Python's default thresholds the collector scans them again and again
    (a fifth to a third of the run time). Memory is still reclaimed, less often.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def run_missing_tasks(
    tasks: list[tuple[Scenario, int]],
    store: TaskStore | MemoryStore,
    pool: Workers | None,
    progress: bool = True,
    label: str = "",
    keep_spells: bool = False,
) -> int:
    """Run every (scenario, replication) not yet in the store, on `pool` (None: here); return how many ran.

    Each finished replication is saved at once. Only a few more tasks than
    there are workers are handed out at a time, so memory does not grow with
    the number of tasks and a stop cancels little. Ctrl-C, SIGTERM or a
    failure stops the rest: queued tasks are cancelled, the workers ended,
    every finished replication saved; an interruption then says what was kept
    (sim.errors.Interrupted).
    """
    missing = [(s, r) for s, r in tasks if not store.done(s, r, keep_spells)]
    saved_before = store.saved  # the store counts what it saves, so a stop at any moment counts what is on disk

    def save(scenario: Scenario, result: ReplicationResult) -> None:
        store.save(scenario, result)
        bar.update()

    with tqdm(total=len(tasks), initial=len(tasks) - len(missing), desc=label, unit="rep",
              disable=not progress, delay=1.0, leave=False) as bar:
        try:
            if pool is None:
                for scenario, replication in missing:
                    save(scenario, run_replication(scenario, replication, keep_spells))
            else:
                _run_on(pool, missing, keep_spells, save)
        except KeyboardInterrupt as stop:
            raise Interrupted(_kept(store, len(tasks) - len(missing) + store.saved - saved_before, len(tasks)),
                              getattr(stop, "signal_number", signal.SIGINT)) from None
    return len(missing)


CHECK_SECONDS = 2.0  # how often the workers are looked at while nothing finishes


def _run_on(pool: Workers, missing: list[tuple[Scenario, int]], keep_spells: bool,
            save: Callable[[Scenario, ReplicationResult], None]) -> None:
    """Hand out the tasks a few at a time; save each result as it comes; on any exception stop the rest."""
    waiting = iter(missing)
    running: dict[Future, Scenario] = {}

    def hand_out() -> None:
        while len(running) < 2 * pool.slots + 1:
            task = next(waiting, None)
            if task is None:
                return
            running[pool.submit(run_replication, task[0], task[1], keep_spells)] = task[0]

    try:
        hand_out()
        while running:
            finished, _ = wait(running, timeout=CHECK_SECONDS, return_when=FIRST_COMPLETED)
            if not finished:
                pool.check()
            for future in finished:
                scenario = running.pop(future)
                save(scenario, _result(future, pool))
            hand_out()
    except BaseException:
        with signals_held():
            for future in running:
                future.cancel()
            pool.stop()
            for future, scenario in running.items():  # finished while we were saving others: keep them too
                if future.done() and not future.cancelled() and future.exception() is None:
                    with suppress(Exception):
                        save(scenario, future.result())
        raise


def _result(future: Future, pool: Workers) -> ReplicationResult:
    """The future's result; a lost worker process or scheduler as a clear message."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise MachineError(
            "a worker process died (killed, or out of memory); finished replications are kept: "
            "run the same command again (with fewer --workers if memory is short)"
        ) from None
    except CancelledError:  # cancelled, and not by us: the cluster lost the work
        raise pool.cancelled() from None


@contextmanager
def signals_held() -> Iterator[None]:
    """While stopping: a second Ctrl-C or SIGTERM waits, so the workers are surely ended and the finished work saved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)


def _kept(store: TaskStore | MemoryStore, finished: int, total: int) -> str:
    folder = getattr(store, "tasks_dir", None)
    if folder is None:
        return f"{finished} of {total} replications had finished; this command does not keep them: run it again"
    return f"{finished} of {total} replications finished and kept in {folder}; run the same command again to carry on"


def run_replications(
    scenario: Scenario, workers: int = 1, progress: bool = True, keep_spells: bool = False,
    scheduler: str | None = None,
) -> list[ReplicationResult]:
    """All of the scenario's replications, in replication order, in memory (here, on workers or on dask)."""
    from sim.store import MemoryStore

    store = MemoryStore()
    tasks = [(scenario, r) for r in range(scenario.run.replications)]
    local = workers <= 1 and scheduler is None
    with nullcontext(None) if local else executor(workers, scheduler) as pool:
        run_missing_tasks(tasks, store, pool, progress, scenario.name, keep_spells)
    return [store.load(scenario.name, r) for r in range(scenario.run.replications)]
