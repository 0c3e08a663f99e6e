"""The work of a batch, as a top-level function that pickles to any executor.

`execute_chunk` takes a `RunChunk` (the runs of one partition still to do: a block of seeds of
one variant) and returns a small outcome dict per run; the tables go straight to the partition,
never back to the parent, so the parent's memory does not grow with the number of runs. The
same function runs in-process, in a local process pool and on Dask workers; its result depends
only on the chunk.
"""

from __future__ import annotations

import functools
import gc
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunChunk", "RunTask", "execute_chunk", "record_failure"]


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
        digest: the run's scenario hash, as the plan computed it.
        variant_digest: the hash of the variant's scenario as loaded (seed from the file):
            a worker checks its own load against it once, not every run.
        run_key: ``<scenario>/<variant_id>/seed-<seed>``, the run's name in messages.
        part_dir: its partition folder, relative to the batch directory.
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
    digest: str
    variant_digest: str
    run_key: str
    part_dir: str
    tables: tuple[str, ...]
    batch: str
    token: str = ""

    @property
    def label(self) -> str:
        """Short readable name of the run."""
        return f"{self.scenario_name} {self.variant_id} seed {self.seed}"


@functools.lru_cache(maxsize=16)
def _load_variant(scenario: str, overrides: tuple[str, ...], steps: int | None,
                  token: str) -> tuple[Any, str]:
    """The variant's scenario and its hash, loaded once per worker and batch start (seeds run
    in a row)."""
    from experiments.scenario.loader import load_scenario, scenario_hash

    params = load_scenario(scenario, list(overrides), steps=steps)
    return params, scenario_hash(params)


def record_failure(root: Path, task: RunTask, error: str, tb: str, duration_s: float) -> None:
    """Write the error record of a failed run to ``failures/`` (atomically)."""
    from experiments.batch.store import failure_path, write_json_atomic

    record = {**asdict(task), "error": error, "traceback": tb, "duration_s": duration_s}
    record["overrides"] = list(task.overrides)
    record["tables"] = list(task.tables)
    write_json_atomic(failure_path(root, task.scenario_name, task.variant_id, task.seed), record)


@dataclass(frozen=True)
class RunChunk:
    """Runs of one partition to do now, in plan order.

    Attributes:
        tasks: the runs to do (all of one variant and one partition).
        order: run ids of the partition's whole block, in plan order (rows are sorted by it).
    """

    tasks: tuple[RunTask, ...]
    order: tuple[str, ...]

    @property
    def part_dir(self) -> str:
        """The partition folder, relative to the batch directory."""
        return self.tasks[0].part_dir


def _run(task: RunTask) -> Any:
    from experiments.run.runner import run

    variant, variant_digest = _load_variant(task.scenario, task.overrides, task.steps, task.token)
    if variant_digest != task.variant_digest:
        raise RuntimeError(
            f"scenario {task.scenario_name!r} loads differently than when the batch was planned "
            f"(hash {variant_digest[:12]}, planned {task.variant_digest[:12]}): the scenario "
            "files changed while the batch ran"
        )
    # a shallow copy: the model never changes its parameters (tests/test_invariants.py)
    params = variant.model_copy(update={"seed": task.seed})
    return run(params, rng=task.seed, digest=task.digest)


def _failed(base: Path, task: RunTask, exc: BaseException, duration: float) -> dict[str, Any]:
    error = f"{type(exc).__name__}: {exc}"
    record_failure(base, task, error, traceback.format_exc(), duration)
    return {"run_key": task.run_key, "ok": False, "error": error, "duration_s": duration}


@functools.cache
def _freeze_heap() -> None:
    """Once per process, before its first run: move everything alive (modules, the plan) to
    the collector's permanent generation (`gc.freeze`), so the collections the runs trigger
    scan only the runs' own objects (~2% of a run's time)."""
    gc.collect()
    gc.freeze()


def execute_chunk(chunk: RunChunk, root: str) -> list[dict[str, Any]]:
    """Run a chunk's runs and write them to their partition under `root`; never raises for a
    model error.

    Args:
        chunk: the runs.
        root: absolute path of the batch directory (shared by all workers).

    Returns:
        One ``{"run_key", "ok", "error", "duration_s"}`` per run, in the chunk's order. A run
        that raises is recorded in ``failures/`` with its traceback and comes back with
        ``ok = False``; the chunk's other runs are still written.
    """
    from experiments.batch.store import failure_path, write_partition

    _freeze_heap()
    base = Path(root)
    outcomes: dict[str, dict[str, Any]] = {}
    done: list[tuple[RunTask, Any, float]] = []
    for task in chunk.tasks:
        t0 = time.perf_counter()
        try:
            results = _run(task)
        except Exception as exc:
            outcomes[task.run_key] = _failed(base, task, exc, round(time.perf_counter() - t0, 3))
            continue
        done.append((task, results, round(time.perf_counter() - t0, 3)))
    if done:
        first = done[0][0]
        runs = [(results, {
            "batch": task.batch,
            "variant_id": task.variant_id,
            "scenario_ref": task.scenario,
            "overrides": list(task.overrides),
        }) for task, results, _ in done]
        try:
            write_partition(runs, base / chunk.part_dir, first.variant_id, first.tables,
                            chunk.order)
        except Exception as exc:
            for task, _, duration in done:
                outcomes[task.run_key] = _failed(base, task, exc, duration)
        else:
            for task, _, duration in done:
                failure_path(base, task.scenario_name, task.variant_id, task.seed).unlink(
                    missing_ok=True)
                outcomes[task.run_key] = {"run_key": task.run_key, "ok": True, "error": None,
                                          "duration_s": duration}
    return [outcomes[task.run_key] for task in chunk.tasks]
