"""Where the runs go: in this process, a local process pool, or a Dask cluster.

Each executor has the same small interface (`submit`, `wait_any`, `slots`, `close`) so the batch
loop (`experiments.batch.runner`) keeps a bounded number of runs in flight whatever runs them.
The work function and its arguments are the same everywhere, so the results are identical.

The process pool uses the ``forkserver`` start method through its own context (the global start
method is left alone, STYLE #12); the fork server imports the model once and the workers, forked
from it, are started once and reused.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any

from experiments.errors import UserError

__all__ = ["DaskExecutor", "InlineExecutor", "PoolExecutor", "make_executor", "warm_up"]

PRELOAD = [
    "experiments.batch.worker",
    "experiments.run.runner",
    "experiments.scenario.loader",
    "experiments.batch.store",
    "world.model",
]
"""What the fork server imports once, before it forks the workers (Mesa, SciPy, polars: ~1 s
with compiled bytecode, ~3 s without)."""


def _uses_pool(workers: int | None, dask: str | None) -> bool:
    return not dask and (workers if workers is not None else (os.cpu_count() or 1)) > 1


def warm_up(workers: int | None, dask: str | None) -> None:
    """Start the fork server now if the batch will use the process pool.

    Its imports then run on another core while this process reads and checks the spec, instead
    of after (the first runs start ~1 s sooner on a 2-core machine). A spec that turns out to be
    bad costs nothing: the fork server exits with this process.
    """
    if _uses_pool(workers, dask):
        from multiprocessing import forkserver

        multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
        forkserver.ensure_running()


class _Done:
    """A finished in-process call that looks like a future."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._value: Any = None
        self._exc: BaseException | None = None
        try:
            self._value = fn(*args)
        except Exception as exc:
            self._exc = exc

    def result(self) -> Any:
        if self._exc is not None:
            raise self._exc
        return self._value


class InlineExecutor:
    """Runs each task in this process when it is submitted (``--workers 1``)."""

    name = "inline"
    slots = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return _Done(fn, args)

    def wait_any(self, pending: Iterable[Any]) -> set[Any]:
        return set(pending)

    def close(self) -> None:
        pass


class PoolExecutor:
    """A local process pool of `workers` processes (default: all cores)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the model once; workers fork from it ready to run
        self._ctx.set_forkserver_preload(PRELOAD)
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=self._ctx)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._pool.submit(fn, *args)

    def wait_any(self, pending: Iterable[Any]) -> set[Any]:
        done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
        return set(done)

    def restart(self) -> None:
        """Replace a pool broken by a dead worker process (its in-flight runs are lost)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = cf.ProcessPoolExecutor(max_workers=self.slots, mp_context=self._ctx)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Runs on a Dask distributed cluster: an existing scheduler, or a LocalCluster.

    Workers must import this package and see the batch directory at the same path (a shared
    filesystem), since each run writes its own partition.
    """

    name = "dask"

    def __init__(self, address: str, workers: int) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        try:
            if address == "local":
                self._cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise UserError(
                f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
                "`dask scheduler` or use --dask local"
            ) from None
        threads = sum(self._client.nthreads().values())
        self.slots = max(1, threads)
        self.name = f"dask {self._client.scheduler.address}"

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._client.submit(fn, *args, pure=False, retries=0)

    def wait_any(self, pending: Iterable[Any]) -> set[Any]:
        from distributed import wait

        done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None, dask: str | None) -> Any:
    """Build the executor the command line asks for.

    Args:
        workers: processes (local pool, or LocalCluster workers); None means all cores.
            ``1`` without `dask` runs in this process.
        dask: a scheduler address (``tcp://host:8786``), ``local``, or None for the pool.
    """
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise UserError(f"--workers must be at least 1 (got {n})")
    if dask:
        return DaskExecutor(dask, n)
    if not _uses_pool(n, dask):
        return InlineExecutor()
    return PoolExecutor(n)
