"""`compute-market batch`: run a batch spec into a resumable results store.

`experiments.batch.runner` (and through it the model) is imported inside `handle`, after
`warm_up` has started the fork server: the workers' imports then run on the other core while
this process reads the spec (the one function-level import here, for that reason).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from experiments.batch.executors import make_executor, warm_up
from experiments.calibration.ensemble import load_ensemble

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
    p.add_argument("--dry-run", action="store_true",
                   help="validate the spec and print the plan without running anything")
    p.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    p.add_argument("--ensemble", type=Path, metavar="FILE",
                   help="calibrated ensemble (Parquet from `calibrate`): each seed draws a "
                   "parameter set from it")


def handle(args: argparse.Namespace) -> int:
    """Plan the batch, print its size, run what is not done yet and report failures."""
    if not args.dry_run:
        warm_up(args.workers, args.dask)
    from experiments.batch.runner import prepare_batch, run_batch

    ensemble = load_ensemble(args.ensemble) if args.ensemble else None
    plan, out = prepare_batch(args.spec, args.out, ensemble)
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    spec = plan.spec
    console.print(
        f"Batch [bold]{spec.name}[/bold]: {len(spec.scenarios)} scenario(s) x "
        f"{len(plan.variants) // len(spec.scenarios)} variant(s) x {len(spec.seeds)} seed(s) "
        f"= {len(plan.tasks)} runs -> {out}"
    )
    if args.dry_run:
        return 0
    executor = make_executor(args.workers, args.dask)
    report = run_batch(plan, out, executor, progress=False if args.no_progress else None)
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
    return 0
