"""`compute-market batch`: run a batch spec into a resumable results store.

`experiments.batch.runner` (and through it the model) is imported inside `handle`, after
`warm_up` has started the fork server: the workers' imports then run on the other core while
this process reads the spec (the one function-level import here, for that reason).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from experiments.batch.executors import make_executor, warm_up, warn_if_remote
from experiments.calibration.ensemble import load_ensemble
from experiments.errors import UserError

if TYPE_CHECKING:  # typing only: the runner is imported inside `handle` (module docstring)
    from experiments.batch.plan import Plan
    from experiments.batch.runner import BatchReport

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run every run of a batch spec (scenarios x levers x uncertainty samples x seeds) and store "
    "the tables as one Parquet dataset. Running the same command again resumes: finished runs "
    "are skipped. Example specs: experiments/batches/."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``SPEC.toml [--out DIR] [--workers N] [--dask ADDRESS|local] [--dry-run]
    [--ensemble FILE]``."""
    p.add_argument("spec", type=Path, help="batch spec file (.toml)")
    p.add_argument("--out", type=Path, help="batch directory (default: batches/<name>)")
    p.add_argument("--workers", type=int,
                   help="worker processes (default: all cores; 1 runs in this process)")
    p.add_argument("--dask", metavar="ADDRESS|local",
                   help="run on a Dask scheduler (tcp://host:8786) or a LocalCluster ('local')")
    p.add_argument("--dask-wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long a Dask scheduler may have no worker before the batch gives up "
                   "(default 60)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the spec and print the plan without running anything")
    p.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    p.add_argument("--ensemble", type=Path, metavar="FILE",
                   help="calibrated ensemble (Parquet from `calibrate`): each seed draws a "
                   "parameter set from it")


def _note(text: str) -> None:
    print(f"compute-market: note: {text}", file=sys.stderr, flush=True)


def handle(args: argparse.Namespace) -> int:
    """Plan the batch, print its size, run what is not done yet and report failures."""
    if args.dask:
        warn_if_remote(args.dask)
    if not 0 < args.dask_wait <= 86_400:
        raise UserError(f"--dask-wait {args.dask_wait:g}: give a number of seconds from 1 to "
                        "86400")
    if not args.dry_run:
        warm_up(args.workers, args.dask)
    from experiments.batch.runner import prepare_batch, run_batch

    ensemble = load_ensemble(args.ensemble) if args.ensemble else None
    plan, out = prepare_batch(args.spec, args.out, ensemble, report=_note)
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    _print_plan(console, plan, out)
    if args.dry_run:
        return 0
    executor = make_executor(args.workers, args.dask, args.dask_wait)
    try:
        report = run_batch(plan, out, executor, progress=False if args.no_progress else None,
                           on_note=_note)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(
            f"the runs finished so far are kept in {out} (batch.json says interrupted); run "
            "the same command again to resume"
        ) from None
    return _print_report(console, report, out)


def _print_plan(console: Console, plan: Plan, out: Path) -> None:
    """The batch's size, and how many points of the spec were merged into another variant."""
    spec = plan.spec
    points = len(plan.variants) + sum(len(v.merged) for v in plan.variants)
    console.print(
        f"Batch [bold]{spec.name}[/bold]: {len(spec.scenarios)} scenario(s), "
        f"{len(plan.variants)} variant(s) x {len(spec.seeds)} seed(s) "
        f"= {len(plan.tasks)} runs -> {out}"
    )
    if points > len(plan.variants):
        merged = next(v for v in plan.variants if v.merged)
        example = " = ".join(" ".join(o) or "(no override)"
                             for o in (merged.merged[0], (f"scenario={merged.scenario}",
                                                          *merged.overrides)))
        console.print(
            f"{points - len(plan.variants)} point(s) of the spec give the same scenario as "
            f"another and are run once (e.g. {example}); variants.parquet lists them under "
            "merged_overrides"
        )


def _print_report(console: Console, report: BatchReport, out: Path) -> int:
    """What ran, what failed (the first 50), what is missing; returns the exit code."""
    console.print(
        f"{report.skipped + report.done}/{report.total} runs complete ({report.skipped} were "
        f"already done, {report.done} ran now on {report.executor} in {report.duration_s:.1f} s), "
        f"{len(report.failures)} failed"
    )
    if report.failures:
        console.print(f"[red]Failed runs[/red] (errors in {out}/failures/; run the same "
                      "command again to retry them):")
        for rel, error in report.failures[:50]:
            console.print(f"  {rel}: {error}")
        if len(report.failures) > 50:
            console.print(f"  ... and {len(report.failures) - 50} more (batch.json lists all)")
        return 1
    if not report.ok:
        missing = report.total - report.skipped - report.done
        console.print(f"[red]{missing} planned run(s) did not complete[/red]; run the same "
                      "command again")
        return 1
    return 0
