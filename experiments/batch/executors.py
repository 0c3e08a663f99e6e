"""Where the runs go: in this process, a local process pool, or a Dask cluster.

Each executor has the same small interface (`submit`, `wait_any`, `slots`, `close`) so the batch
loop (`experiments.batch.runner`) keeps a bounded number of runs in flight whatever runs them.
The work function and its arguments are the same everywhere, so the results are identical.

The process pool uses the ``forkserver`` start method through its own context (the global start
method is left alone); the fork server imports the model once and the workers, forked
from it, are started once and reused.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from experiments.errors import UserError

__all__ = [
    "DaskExecutor",
    "InlineExecutor",
    "PoolExecutor",
    "check_dask_address",
    "is_local_host",
    "make_executor",
    "start_worker",
    "warm_up",
    "warn_if_remote",
    "watch_parent",
]

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

    def abort(self) -> None:
        pass


def watch_parent(lifeline: Any) -> None:
    """Initializer of every pool worker: die with the command that started it.

    A daemon thread blocks on `lifeline`, the reading end of a pipe whose only writer is the
    command's process. When that process ends, however it ends (``kill -9`` included), or
    aborts the batch (`PoolExecutor.abort`), the pipe closes, the read returns and the worker
    exits at once, so no worker goes on running or writing after its batch is gone. Ctrl-C is
    left to the command (it reaches the whole process group): the worker ignores SIGINT.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        try:
            while True:
                lifeline.recv_bytes()
        except (EOFError, OSError):
            pass
        os._exit(EXIT_PARENT_GONE)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def start_worker(lifeline: Any) -> None:
    """Initializer of every pool worker: `watch_parent`, then `gc.freeze()`.

    The freeze moves the objects the worker starts with (the fork server's imports: Mesa,
    SciPy, polars...; they live as long as the worker) out of the garbage collector's
    generations, so the full collections the runs trigger scan only the runs' own objects
    (~125 ms each for ~140,000 objects otherwise; ~10 ms of CPU per paired seed saved). What
    the runs compute is unchanged: only when unreachable objects are freed differs.
    """
    import gc

    watch_parent(lifeline)
    gc.freeze()


EXIT_PARENT_GONE = 75
"""Exit code of a pool worker whose command went away."""


class PoolExecutor:
    """A local process pool of `workers` processes (default: all cores).

    The workers die with the command (`watch_parent`); `abort` stops them at once; each
    freezes the objects it starts with out of the garbage collector's way (`start_worker`).
    """

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the model once; workers fork from it ready to run
        self._ctx.set_forkserver_preload(PRELOAD)
        self._lifeline, self._keepalive = self._ctx.Pipe(duplex=False)
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.slots, mp_context=self._ctx,
                                      initializer=start_worker, initargs=(self._lifeline,))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._pool.submit(fn, *args)

    def wait_any(self, pending: Iterable[Any]) -> set[Any]:
        done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
        return set(done)

    def restart(self) -> None:
        """Replace a pool broken by a dead worker process (its in-flight runs are lost)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._keepalive.close()
        self._lifeline.close()

    def abort(self) -> None:
        """Stop now: the workers exit mid-run (their partitions are left unwritten, as a kill
        leaves them) and the queued runs are dropped."""
        self._keepalive.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._lifeline.close()


DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.\-]+)"
                          r"(?::(\d{1,5}))?/?$")
"""A Dask scheduler address: ``[protocol://]host[:port]``."""

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0")


def check_dask_address(address: str) -> str:
    """Check the form of a ``--dask`` address; return its host.

    Raises:
        UserError: not ``local`` and not ``[tcp|tls|ucx|ws|wss://]host[:port]``.
    """
    m = DASK_ADDRESS.match(address.strip())
    if address != "local" and (m is None or (m.group(2) and not 0 < int(m.group(2)) < 65536)):
        raise UserError(
            f"--dask {address!r}: not a Dask scheduler address; give tcp://HOST:PORT "
            "(e.g. tcp://scheduler:8786) or 'local' for a cluster on this machine"
        )
    return "localhost" if address == "local" else m.group(1)  # type: ignore[union-attr]


def is_local_host(host: str) -> bool:
    """True for this machine's own names and loopback addresses."""
    import socket

    host = host.strip("[]")
    return host in LOCAL_HOSTS or host.startswith("127.") or host in (
        socket.gethostname(), socket.getfqdn())


def warn(text: str) -> None:
    """One warning line on stderr."""
    print(f"compute-market: warning: {text}", file=sys.stderr, flush=True)


def warn_if_remote(address: str) -> None:
    """One warning line when a ``--dask`` address is not this machine: the client unpickles
    what the cluster sends back, so a remote cluster can run code in this command."""
    host = check_dask_address(address)
    if not is_local_host(host):
        warn(f"--dask {address}: the runs go to another machine, and this command unpickles "
             "what that cluster sends back; use only a cluster you trust")


DASK_WAIT_S = 60.0
"""Default time to wait for a Dask scheduler's first worker, seconds (``--dask-wait``)."""


class DaskExecutor:
    """Runs on a Dask distributed cluster: an existing scheduler, or a LocalCluster.

    Workers must import this package and see the batch directory at the same path (a shared
    filesystem), since each run writes its own partition. A Dask client unpickles what the
    cluster sends back, so the cluster must be trusted (`warn_if_remote`).

    Args:
        address: ``tcp://host:port`` of a running scheduler, or ``local``.
        workers: LocalCluster worker processes.
        wait_s: how long to wait for a scheduler's first worker before giving up.
    """

    name = "dask"

    def __init__(self, address: str, workers: int, wait_s: float = DASK_WAIT_S) -> None:
        check_dask_address(address)
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
        except (OSError, TimeoutError, ValueError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise UserError(
                f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
                "`dask scheduler` or use --dask local"
            ) from None
        try:
            self._client.wait_for_workers(1, timeout=wait_s)
        except (TimeoutError, OSError) as exc:
            self.close()
            raise UserError(
                f"no Dask worker joined the scheduler at {address} within {wait_s:g} s "
                f"({type(exc).__name__}); start workers with `dask worker {address}` or wait "
                "longer with --dask-wait SECONDS"
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

    def abort(self) -> None:
        """Stop: cancel what is queued and close the client (and a LocalCluster)."""
        self.close()


def make_executor(workers: int | None, dask: str | None, dask_wait_s: float = DASK_WAIT_S
                  ) -> Any:
    """Build the executor the command line asks for.

    Args:
        workers: processes (local pool, or LocalCluster workers); None means all cores.
            ``1`` without `dask` runs in this process.
        dask: a scheduler address (``tcp://host:8786``), ``local``, or None for the pool.
        dask_wait_s: how long a scheduler may have no worker before the batch gives up.
    """
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise UserError(f"--workers must be at least 1 (got {n})")
    if dask:
        return DaskExecutor(dask, n, dask_wait_s)
    if not _uses_pool(n, dask):
        return InlineExecutor()
    return PoolExecutor(n)
