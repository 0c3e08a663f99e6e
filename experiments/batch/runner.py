"""Run a batch into its store, resumably: the loop behind ``compute-market batch``.

Resume rules (docs/batches.md): a run whose manifest is in its partition is done and is
skipped; anything else (never started, cut off, failed) is run again, and written into its
partition beside the runs already there. Before anything runs, the runs on disk are checked
against the plan (same run id = same resolved scenario and seed, in the partition the plan
gives it); a mismatch stops the batch with one line rather than mixing inputs in one dataset.

Runs go to the executor a partition at a time (`RunChunk`: up to ``runs_per_partition`` seeds of
one variant), so a worker writes one Parquet file per table for the block.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.batch.chunks import SLOW_RUN_S, ChunkQueue
from experiments.batch.plan import Plan, make_plan
from experiments.batch.progress import BatchProgress
from experiments.batch.resume import check_out_dir, find_completed
from experiments.batch.spec import BatchSpec, load_spec
from experiments.batch.store import (
    BATCH_MANIFEST,
    VARIANTS,
    failure_path,
    remove_partials,
    write_json_atomic,
    write_parquet_atomic,
)
from experiments.batch.worker import RunChunk, RunTask, execute_chunk, record_failure
from experiments.errors import UserError
from experiments.run.lock import OutputLock

SUMMARY_DIR = "summary"

__all__ = ["BatchReport", "ChunkQueue", "default_batch_dir", "prepare_batch", "run_batch"]


@dataclass
class BatchReport:
    """What a batch command did.

    Attributes:
        out: the batch directory.
        total: runs in the plan.
        skipped: runs already complete before this start.
        done: runs completed by this start.
        failures: ``(run_key, error)`` of the runs that failed (this start).
        duration_s: wall time of this start.
        executor: what ran the runs.
    """

    out: Path
    total: int
    skipped: int = 0
    done: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    duration_s: float = 0.0
    executor: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every run of the plan is complete."""
        return not self.failures and self.skipped + self.done == self.total


def default_batch_dir(spec: BatchSpec) -> Path:
    """``batches/<name>`` in the working directory."""
    return Path("batches") / spec.name.replace("/", "--")


def _version() -> str:
    from experiments.run.results import _version as version

    return version()


def _batch_manifest(plan: Plan, old: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    spec = plan.spec
    now = dt.datetime.now(dt.UTC).isoformat()
    return {
        "name": spec.name,
        "description": spec.description,
        "spec_file": spec.file,
        "spec_sha256": spec.sha256,
        "spec": spec.text,
        "scenarios": spec.scenarios,
        "steps": spec.steps,
        "master_seed": spec.master_seed,
        "seeds": spec.seeds,
        "levers": spec.levers,
        "uncertainties": {
            "sampler": spec.sampler,
            "samples": spec.samples,
            "ranges": {r.key: [r.low, r.high, r.integer] for r in spec.ranges},
        },
        "outcomes": list(spec.tables),
        "n_variants": len(plan.variants),
        "n_runs": len(plan.tasks),
        "package_version": _version(),
        "python_version": platform.python_version(),
        "created": (old or {}).get("created", now),
        "updated": now,
        **extra,
    }


def prepare_batch(spec_path: str | Path, out: str | Path | None = None,
                  ensemble: Any = None,
                  report: Callable[[str], None] | None = None) -> tuple[Plan, Path]:
    """Load and validate the spec and plan the runs (nothing is written).

    Args:
        spec_path: the spec file.
        out: the batch directory (default `default_batch_dir`).
        ensemble: a calibrated `experiments.calibration.ensemble.Ensemble`: each seed draws a
            parameter set from it (None: the scenario's own values).
        report: called with progress lines while a long plan is made.
    """
    spec = load_spec(spec_path)
    plan = make_plan(spec, ensemble, report=report)
    return plan, Path(out) if out is not None else default_batch_dir(spec)


def run_batch(
    plan: Plan,
    out: Path,
    executor: Any,
    progress: bool | None = None,
    on_outcome: Callable[[RunTask, dict[str, Any]], None] | None = None,
    slow_run_s: float = SLOW_RUN_S,
    on_note: Callable[[str], None] | None = None,
) -> BatchReport:
    """Run the plan's missing runs into `out` with `executor`; resume what is there.

    The batch directory is claimed first (`experiments.run.lock.OutputLock`): a second batch
    into the same directory stops at once with one line. SIGTERM and SIGHUP stop the batch as
    Ctrl-C does: the workers are stopped, ``batch.json`` says ``interrupted``, and
    `KeyboardInterrupt` goes on to the caller.

    Args:
        plan: from `prepare_batch` or `experiments.batch.plan.make_plan`.
        out: the batch directory (created if needed).
        executor: from `experiments.batch.executors.make_executor`; closed at the end.
        progress: show a progress bar (default: when stderr is a terminal).
        on_outcome: called in this process after each run with its task and outcome.
        slow_run_s: runs slower than this (median so far) go out one at a time (`ChunkQueue`).
        on_note: called with each line worth telling the user before the runs start (a start
            that was killed, damaged partitions removed, a changed spec); they are also kept in
            ``report.notes``.

    Returns:
        The report; ``report.ok`` is False if any run failed.
    """
    out = out.resolve()
    try:
        lock = OutputLock(out, "batch").acquire()
    except OSError as exc:
        executor.close()
        raise UserError(f"cannot write the batch directory {out}: {exc.strerror or exc}; "
                        "choose another --out") from None
    except BaseException:
        executor.close()
        raise
    try:
        with _signals_as_interrupt():
            return _run_locked(plan, out, executor, progress, on_outcome, slow_run_s, on_note)
    finally:
        lock.release()


def _start_notes(out: Path, plan: Plan, old: dict[str, Any] | None) -> list[str]:
    """What to tell the user about the directory before the runs start."""
    notes = []
    if old is None:
        return notes
    if old.get("status") == "running":
        notes.append(f"the previous start of this batch (process {old.get('pid', '?')}) ended "
                     "without closing it (killed?); resuming")
    if old.get("spec_sha256") != plan.spec.sha256:
        summary = out / SUMMARY_DIR
        if summary.is_dir():
            shutil.rmtree(summary, ignore_errors=True)
            notes.append(f"the spec changed since the last start: {summary} (made from the "
                         "old spec) was removed; run `compute-market summarize` again")
    return notes


def _run_locked(plan: Plan, out: Path, executor: Any, progress: bool | None,
                on_outcome: Callable[[RunTask, dict[str, Any]], None] | None,
                slow_run_s: float, on_note: Callable[[str], None] | None) -> BatchReport:
    started = time.perf_counter()
    try:
        old = check_out_dir(out, plan.spec)
        out.mkdir(parents=True, exist_ok=True)
        notes = _start_notes(out, plan, old)
        remove_partials(out)
        done = find_completed(out, plan, notes)
    except BaseException:
        executor.close()
        raise
    for line in notes:
        if on_note is not None:
            on_note(line)
    todo = plan.compute_chunks(done)
    report = BatchReport(out=out, total=len(plan.tasks), skipped=len(done),
                         executor=executor.name, notes=notes)
    write_parquet_atomic(plan.variants_frame(), out / VARIANTS)
    write_json_atomic(out / BATCH_MANIFEST, _batch_manifest(
        plan, old, status="running", executor=executor.name, runs_done=len(done),
        runs_failed=0, failures=[], pid=os.getpid()))
    show = sys.stderr.isatty() if progress is None else progress
    status = "interrupted"
    try:
        with BatchProgress(len(plan.tasks), len(done), enabled=show) as bar:
            _drive(plan, out, executor, todo, report, bar, on_outcome, slow_run_s)
        status = "complete" if report.ok else "failed"
    finally:
        if status == "interrupted":
            executor.abort()
            remove_partials(out)  # what the stopped workers were writing (nothing else is)
        else:
            executor.close()
        report.duration_s = round(time.perf_counter() - started, 3)
        failures = [
            {"run": t.run_key, "error": _failure_error(p)}
            for t in plan.tasks
            if (p := failure_path(out, t.scenario_name, t.variant_id, t.seed)).is_file()
        ]
        complete = len(find_completed(out, plan))
        write_json_atomic(out / BATCH_MANIFEST, _batch_manifest(
            plan, old, status=status, executor=executor.name, runs_done=complete,
            runs_failed=len(failures), failures=failures, last_duration_s=report.duration_s))
    return report


def _failure_error(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["error"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"(the failure record {path.name} is damaged)"


def _drive(plan: Plan, out: Path, executor: Any, todo: list[RunChunk], report: BatchReport,
           bar: BatchProgress, on_outcome: Callable[[RunTask, dict[str, Any]], None] | None,
           slow_run_s: float) -> None:
    """Keep the executor busy until every chunk is back; count outcomes into `report`."""
    root = str(out)
    queue = ChunkQueue(todo, slow_run_s=slow_run_s)
    pending: dict[Any, RunChunk] = {}
    limit = 2 * executor.slots
    while True:
        while len(pending) < limit:
            chunk = queue.pop()
            if chunk is None:
                break
            pending[executor.submit(execute_chunk, chunk, root)] = chunk
        if not pending:
            break
        for fut in executor.wait_any(list(pending)):
            chunk = pending.pop(fut, None)
            if chunk is None:  # a future of a pool replaced after a worker died
                continue
            outcomes = _outcomes(fut, chunk, out, executor, pending)
            queue.finish(chunk, [o["duration_s"] for o in outcomes])
            for task, outcome in zip(chunk.tasks, outcomes, strict=True):
                if outcome["ok"]:
                    report.done += 1
                else:
                    report.failures.append((task.run_key, outcome["error"]))
                bar.advance(ok=outcome["ok"])
                if on_outcome is not None:
                    on_outcome(task, outcome)


STOP_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals that stop a batch as Ctrl-C (SIGINT) does."""


@contextlib.contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """While a batch runs in the main thread, SIGTERM and SIGHUP raise `KeyboardInterrupt`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {}
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _outcomes(fut: Any, chunk: RunChunk, out: Path, executor: Any,
              pending: dict[Any, RunChunk]) -> list[dict[str, Any]]:
    """The outcomes of a finished chunk; a dead worker makes each of its runs a failure."""
    try:
        return fut.result()
    except Exception as exc:  # the worker died (killed, out of memory) or could not unpickle
        from concurrent.futures.process import BrokenProcessPool

        error = f"worker lost: {type(exc).__name__}: {exc}"
        for task in chunk.tasks:
            record_failure(out, task, error, "", 0.0)
        if isinstance(exc, BrokenProcessPool) and hasattr(executor, "restart"):
            executor.restart()  # the other chunks in flight went down with the pool: resubmit
            for other, c in list(pending.items()):
                del pending[other]
                pending[executor.submit(execute_chunk, c, str(out))] = c
        return [{"run_key": t.run_key, "ok": False, "error": error, "duration_s": 0.0}
                for t in chunk.tasks]
