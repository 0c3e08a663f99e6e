"""Many runs, few numbers: map a metrics function over runs on the batch executors.

Validation and sensitivity need hundreds of runs but only a handful of numbers from each, so
each worker runs the model and returns a small dict (no run directory is written). The runs go
through the batch runner's executors (`experiments.batch.executors`: in-process, forkserver
process pool, or Dask) and its progress bar (`experiments.batch.progress`), so they scale and
report the same way as `compute-market batch`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["map_runs"]


def map_runs(
    fn: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    workers: int | None = None,
    progress: bool | None = None,
    label: str = "runs",
) -> list[Any]:
    """Call ``fn(*task)`` for every task on the batch executors; results in task order.

    Args:
        fn: a top-level (picklable) function returning something small.
        tasks: argument tuples, one per run.
        workers: processes (default all cores; 1 runs in this process).
        progress: draw the rich progress bar (default: stderr is a terminal); when off, one
            plain line per 10% of the runs goes to stderr instead.
        label: what the plain progress lines count.
    """
    from experiments.batch.executors import make_executor
    from experiments.batch.progress import BatchProgress

    show = sys.stderr.isatty() if progress is None else progress
    executor = make_executor(workers, None)
    out: list[Any] = [None] * len(tasks)
    t0, done, step = time.perf_counter(), 0, max(1, len(tasks) // 10)
    try:
        with BatchProgress(len(tasks), enabled=show) as bar:
            queue = iter(enumerate(tasks))
            pending: dict[Any, int] = {}
            while True:
                while len(pending) < 2 * executor.slots:
                    item = next(queue, None)
                    if item is None:
                        break
                    pending[executor.submit(fn, *item[1])] = item[0]
                if not pending:
                    break
                for fut in executor.wait_any(list(pending)):
                    out[pending.pop(fut)] = fut.result()
                    done += 1
                    bar.advance()
                    if not show and (done % step == 0 or done == len(tasks)):
                        print(f"{done}/{len(tasks)} {label} ({time.perf_counter() - t0:.0f} s)",
                              file=sys.stderr, flush=True)
    except BaseException:  # Ctrl-C, a failed run: stop the workers now, not after their runs
        executor.abort()
        raise
    executor.close()
    return out
