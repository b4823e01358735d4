"""Replications: one is a pure function of (scenario, replication); many run over processes.

Because a replication draws only from its own named streams, its result does
not depend on which process ran it or in what order, so `--workers 1` and
`--workers 8` give identical tables.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from concurrent.futures import as_completed
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.executors import executor
from sim.indicators import compute_indicators
from sim.model import draw_arrivals, simulate
from sim.scenario import Scenario
from sim.spells import spell_listing
from sim.streams import Streams


@dataclass(frozen=True)
class ReplicationResult:
    replication: int
    indicators: dict[str, float]
    census: np.ndarray  # one row per horizon midnight, columns sim.model.CENSUS_COLUMNS
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


def run_replications(
    scenario: Scenario, workers: int = 1, progress: bool = True, keep_spells: bool = False,
    scheduler: str | None = None,
) -> list[ReplicationResult]:
    """All of the scenario's replications, in replication order (in this process, on workers or on dask)."""
    count = scenario.run.replications
    bar = tqdm(total=count, desc=scenario.name, unit="rep", disable=not progress, delay=1.0, leave=False)
    results: list[ReplicationResult] = []
    with bar:
        if workers <= 1 and scheduler is None:
            for replication in range(count):
                results.append(run_replication(scenario, replication, keep_spells))
                bar.update()
        else:
            with executor(workers, scheduler) as pool:
                futures = [pool.submit(run_replication, scenario, r, keep_spells) for r in range(count)]
                for future in as_completed(futures):
                    results.append(future.result())
                    bar.update()
    return sorted(results, key=lambda result: result.replication)
