"""The work of one run of a batch, as a top-level function that pickles to any executor.

`execute_run` takes a `RunTask` (scenario, overrides, seed, where to write) and returns a small
outcome dict; the tables go straight to the run's partition, never back to the parent, so the
parent's memory does not grow with the number of runs. The same function runs in-process, in a
local process pool and on Dask workers; its result depends only on the task.
"""

from __future__ import annotations

import functools
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunTask", "execute_run", "record_failure"]


@dataclass(frozen=True)
class RunTask:
    """One run of a batch: everything a worker needs, and nothing else.

    Attributes:
        scenario: scenario name or path as the spec gives it (paths made absolute).
        scenario_name: the resolved scenario's name (for the partition folder).
        overrides: ``key=value`` strings, as ``run --set`` takes them.
        seed: the run's seed.
        steps: months to run, or None for the scenario's horizon.
        variant_id: the variant's id.
        run_id: the run id the parent expects (scenario hash and seed).
        rel_dir: the partition folder, relative to the batch directory.
        tables: the tables to keep.
        batch: the batch's name.
        token: unique to one start of one batch; scopes the worker's cache of loaded
            scenarios, so a long-lived Dask worker never reuses another start's files.
    """

    scenario: str
    scenario_name: str
    overrides: tuple[str, ...]
    seed: int
    steps: int | None
    variant_id: str
    run_id: str
    rel_dir: str
    tables: tuple[str, ...]
    batch: str
    token: str = ""

    @property
    def label(self) -> str:
        """Short readable name of the run."""
        return f"{self.scenario_name} {self.variant_id} seed {self.seed}"


@functools.lru_cache(maxsize=16)
def _load_variant(scenario: str, overrides: tuple[str, ...], steps: int | None,
                  token: str) -> Any:
    """The variant's scenario, loaded once per worker and batch start (seeds run in a row)."""
    from experiments.scenario import load_scenario

    return load_scenario(scenario, list(overrides), steps=steps)


def record_failure(root: Path, task: RunTask, error: str, tb: str, duration_s: float) -> None:
    """Write the error record of a failed run to ``failures/`` (atomically)."""
    from experiments.store import failure_path, write_json_atomic

    record = {**asdict(task), "error": error, "traceback": tb, "duration_s": duration_s}
    record["overrides"] = list(task.overrides)
    record["tables"] = list(task.tables)
    write_json_atomic(failure_path(root, task.scenario_name, task.variant_id, task.seed), record)


def execute_run(task: RunTask, root: str) -> dict[str, Any]:
    """Run one task and write its partition under `root`; never raises for a model error.

    Args:
        task: the run.
        root: absolute path of the batch directory (shared by all workers).

    Returns:
        ``{"rel_dir", "ok", "error", "duration_s"}``. A run that raises is recorded in
        ``failures/`` with its traceback and comes back with ``ok = False``.
    """
    from experiments.runner import run
    from experiments.store import failure_path, write_run

    base = Path(root)
    t0 = time.perf_counter()
    try:
        variant = _load_variant(task.scenario, task.overrides, task.steps, task.token)
        params = variant.model_copy(update={"seed": task.seed}, deep=True)
        results = run(params, rng=task.seed)
        if results.run_id != task.run_id:
            raise RuntimeError(
                f"run id {results.run_id} differs from the planned {task.run_id}: the scenario "
                "files changed while the batch ran"
            )
        extra = {
            "batch": task.batch,
            "variant_id": task.variant_id,
            "scenario_ref": task.scenario,
            "overrides": list(task.overrides),
        }
        write_run(results, base / task.rel_dir, task.variant_id, task.tables, extra)
    except Exception as exc:
        duration = round(time.perf_counter() - t0, 3)
        error = f"{type(exc).__name__}: {exc}"
        record_failure(base, task, error, traceback.format_exc(), duration)
        return {"rel_dir": task.rel_dir, "ok": False, "error": error, "duration_s": duration}
    failure_path(base, task.scenario_name, task.variant_id, task.seed).unlink(missing_ok=True)
    duration = round(time.perf_counter() - t0, 3)
    return {"rel_dir": task.rel_dir, "ok": True, "error": None, "duration_s": duration}
