"""Where replications run: local worker processes, or a dask.distributed cluster.

Both hand out `concurrent.futures` futures, so `run`, batches, sensitivity and
calibration have one code path whichever is chosen (`--workers N` or
`--scheduler ADDRESS`). Both can also be stopped at once (`stop`): queued
work is cancelled and the workers are ended, so Ctrl-C, SIGTERM or a failure
leaves no process computing for nobody; and both can say when they can no
longer work (`check`): a dask cluster with no worker left for a while, or a
lost scheduler, is a clear message instead of a wait for ever.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

from sim.errors import InputError, MachineError, cut

NO_WORKER_SECONDS = 60.0  # a dask cluster without a worker for this long is given up on
STOP_SECONDS = 5.0  # workers asked to end are killed after this long


class LocalWorkers:
    """Worker processes on this machine (a ProcessPoolExecutor whose workers end with it)."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self.executor = ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup)

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        return self.executor.submit(function, *args)

    def check(self) -> None:
        """Nothing to check: a worker that dies breaks the pool, and its futures say so."""

    def cancelled(self) -> MachineError:
        return MachineError("a task was cancelled from outside; finished replications are kept: run again")

    def stop(self) -> None:
        """Cancel queued tasks and end the workers now (they hold nothing worth waiting for)."""
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        end_processes(processes)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def end_processes(processes: list) -> None:
    """SIGKILL each process (workers ignore SIGINT and SIGTERM, see _worker_setup) and reap it."""
    for process in processes:
        if process.is_alive():
            process.kill()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))


def _worker_setup() -> None:
    """In each worker process: leave interruptions to the main process, and end with it.

    Ctrl-C in a terminal reaches every process of the group; the workers
    ignore it (and SIGTERM) so that the main process alone decides: it keeps
    what is finished and ends them. On Linux a worker is also killed when the
    main process dies, even by kill -9, so none is left computing as an orphan.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:  # the main process died before the call: end now
                os._exit(1)
        except (OSError, AttributeError):
            pass


class DaskWorkers:
    """A dask.distributed client's executor, with a watch on the cluster's workers and scheduler."""

    def __init__(self, client: Any, address: str, cluster: Any = None) -> None:
        self.client = client
        self.address = address
        self.cluster = cluster  # a LocalCluster we started, whose worker processes we may end
        self.executor = client.get_executor()
        self.slots = max(1, sum(client.nthreads().values()))
        self.alone_since: float | None = None
        self.lost = False  # the scheduler is gone: nothing more can be asked of it

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        return self.executor.submit(function, *args)

    def check(self) -> None:
        """MachineError if the scheduler is lost, or no worker has been there for NO_WORKER_SECONDS."""
        if self.client.status not in ("running", "connecting", "newly-created"):
            raise self.lost_scheduler()
        try:
            workers = len(self.client.nthreads())
        except Exception:  # the scheduler does not answer
            raise self.lost_scheduler() from None
        self.slots = max(1, workers)
        if workers:
            self.alone_since = None
            return
        now = time.monotonic()
        self.alone_since = self.alone_since or now
        if now - self.alone_since >= NO_WORKER_SECONDS:
            raise MachineError(
                f"--scheduler {self.address}: no dask worker left for {NO_WORKER_SECONDS:g} s; finished replications "
                "are kept: start workers (or check why they died) and run the same command again"
            )

    def cancelled(self) -> MachineError:
        """Work cancelled, and not by us: the scheduler closed, restarted or was lost."""
        return self.lost_scheduler()

    def lost_scheduler(self) -> MachineError:
        self.lost = True
        return MachineError(
            f"--scheduler {self.address}: lost the dask scheduler; finished replications are kept: "
            "start it again and run the same command again"
        )

    def stop(self) -> None:
        """Cancel every task still queued or running on the cluster; end a LocalCluster's workers now.

        A dask worker computes in a thread that cannot be interrupted, and a
        LocalCluster closing politely waits seconds for it; its worker
        processes hold nothing worth waiting for, so they are killed (after
        telling their nannies not to start them again).
        """
        try:
            self.executor.shutdown(wait=False)
            futures = list(getattr(self.executor, "_futures", ()))
            if futures and not self.lost:  # a lost scheduler cannot be told (the client would wait to reconnect)
                self.client.cancel(futures, force=True)
        except Exception:
            pass
        for nanny in list(getattr(self.cluster, "workers", {}).values()):
            process = getattr(getattr(nanny, "process", None), "process", None)
            with suppress(Exception):
                nanny.close_gracefully()
            with suppress(Exception):
                os.kill(process.pid, signal.SIGKILL)

    def close(self) -> None:
        try:
            self.executor.shutdown(wait=False)
        except Exception:
            pass


Workers = LocalWorkers | DaskWorkers


@contextmanager
def _stopped_on_error(pool: Workers) -> Iterator[Workers]:
    """The pool, stopped at once (queued work cancelled, processes ended) if its user fails or is interrupted,
    and closed in every case."""
    try:
        yield pool
    except BaseException:
        pool.stop()
        raise
    finally:
        pool.close()


@contextmanager
def executor(workers: int, scheduler: str | None = None) -> Iterator[Workers]:
    """Local processes, or a dask.distributed cluster ('local' starts a LocalCluster of `workers` processes)."""
    if scheduler is None:
        with _stopped_on_error(LocalWorkers(workers)) as pool:
            yield pool
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler needs dask.distributed: pip install -e '.[cluster]'") from None
    with quiet_dask():
        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
            client = Client(cluster)
            address = f"local ({cluster.scheduler_address})"
        else:
            cluster, address = None, scheduler
            try:
                client = Client(scheduler, timeout=30)
            except (OSError, ValueError, TypeError) as error:
                raise InputError(
                    f"--scheduler {scheduler}: cannot reach a dask scheduler there ({_first_line(error)}); "
                    "expected an address such as tcp://10.0.0.5:8786, or 'local'"
                ) from None
        try:
            with _stopped_on_error(DaskWorkers(client, address, cluster)) as pool:
                yield pool
        finally:
            _close_quietly(client.close)
            if cluster is not None:
                _close_quietly(cluster.close)


@contextmanager
def quiet_dask() -> Iterator[None]:
    """Keep dask's own log lines and tracebacks (lost connections, closing workers) off the user's screen.

    What went wrong is said once, by us, in words; a library traceback adds
    nothing a planner can act on.
    """
    families = ("distributed", "tornado", "asyncio")  # dask's logging config sets some of their children's levels
    names = {*families, *(n for n in logging.root.manager.loggerDict if n.split(".")[0] in families)}
    loggers = [logging.getLogger(name) for name in sorted(names)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _close_quietly(close: Callable[..., Any]) -> None:
    try:
        close(timeout=STOP_SECONDS)
    except BaseException:  # a lost scheduler cannot be closed politely; what matters is said already
        pass


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return cut(text.splitlines()[0], 120) if text else type(error).__name__
