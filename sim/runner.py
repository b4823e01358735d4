"""Replications: one is a pure function of (scenario, replication); many run over processes into a store.

Because a replication draws only from its own named streams, its result does
not depend on which process ran it or in what order, so `--workers 1` and
`--workers 8` give identical tables. Each finished replication goes into a
store at once (sim.store: on disk, so that work survives an interruption, or
in memory), and only what is not there yet is run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from concurrent.futures import Executor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.executors import executor
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
    pool: Executor | None,
    progress: bool = True,
    label: str = "",
    keep_spells: bool = False,
) -> int:
    """Run every (scenario, replication) not yet in the store, on `pool` (None: here); return how many ran."""
    missing = [(s, r) for s, r in tasks if not store.done(s.name, r, keep_spells)]
    with tqdm(total=len(tasks), initial=len(tasks) - len(missing), desc=label, unit="rep",
              disable=not progress, delay=1.0, leave=False) as bar:
        if pool is None:
            for scenario, replication in missing:
                store.save(scenario.name, run_replication(scenario, replication, keep_spells))
                bar.update()
        else:
            futures = {pool.submit(run_replication, s, r, keep_spells): s.name for s, r in missing}
            for future in as_completed(futures):
                store.save(futures[future], future.result())
                bar.update()
    return len(missing)


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
