"""Where replications run: local worker processes, or a dask.distributed cluster.

Both hand out `concurrent.futures` futures, so `run`, batches, sensitivity and
calibration have one code path whichever is chosen (`--workers N` or
`--scheduler ADDRESS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from sim.errors import InputError


@contextmanager
def executor(workers: int, scheduler: str | None = None) -> Iterator[Executor]:
    """Local processes, or a dask.distributed cluster ('local' starts a LocalCluster of `workers` processes)."""
    if scheduler is None:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler needs dask.distributed: pip install -e '.[cluster]'") from None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(scheduler, timeout=30)
        except OSError as error:
            raise InputError(f"--scheduler {scheduler}: cannot reach a dask scheduler there ({error})") from None
    try:
        with client.get_executor() as pool:
            yield pool
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
