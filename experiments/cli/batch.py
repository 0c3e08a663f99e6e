"""The ``batch`` and ``summarize`` subcommands (registered in
`experiments.cli.main.SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_batch_parser", "add_summarize_parser"]

MAX_SIDEWAYS = 6
"""Up to this many variants `summarize` prints one row per metric (columns: variants)."""


def add_batch_parser(sub: Any) -> None:
    """Add ``compute-market batch SPEC.toml [--out DIR] [--workers N] [--dask ADDRESS|local]``."""
    p = sub.add_parser(
        "batch",
        help="run a batch of scenario variants x seeds into a resumable results store",
        description="Run every run of a batch spec (scenarios x levers x uncertainty samples x "
        "seeds) and store the tables as one Parquet dataset. Running the same command again "
        "resumes: finished runs are skipped. Example specs: experiments/batches/.",
    )
    p.add_argument("spec", type=Path, help="batch spec file (.toml)")
    p.add_argument("--out", type=Path, help="batch directory (default: batches/<name>)")
    p.add_argument("--workers", type=int,
                   help="worker processes (default: all cores; 1 runs in this process)")
    p.add_argument("--dask", metavar="ADDRESS|local",
                   help="run on a Dask scheduler (tcp://host:8786) or a LocalCluster ('local')")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the spec and print the plan without running anything")
    p.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    p.set_defaults(handler=_cmd_batch)


def _cmd_batch(args: argparse.Namespace) -> int:
    from rich.console import Console

    from experiments.batch.executors import make_executor, warm_up

    if not args.dry_run:
        warm_up(args.workers, args.dask)
    from experiments.batch.runner import prepare_batch, run_batch

    plan, out = prepare_batch(args.spec, args.out)
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


def add_summarize_parser(sub: Any) -> None:
    """Add ``compute-market summarize BATCH_DIR``."""
    p = sub.add_parser(
        "summarize",
        help="ensemble statistics of a batch (mean, median, 5-95%% band)",
        description="Write BATCH_DIR/summary/{shares,markets,firms,physical}.parquet: per "
        "scenario variant, step, market and firm the mean, median and 5-95%% band over the "
        "seeds, and print the final HHI and deployed GW per variant.",
    )
    p.add_argument("batch_dir", type=Path, help="a directory written by `compute-market batch`")
    p.set_defaults(handler=_cmd_summarize)


def _cmd_summarize(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from experiments.batch.summary import summary_by_metric, summary_table, write_summaries

    paths = write_summaries(args.batch_dir)
    frame = summary_table(args.batch_dir)
    wide = None if sys.stdout.isatty() else 200
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True, width=wide)
    table = Table(title="Last step: mean [5%, 95%] over the seeds (row `seeds`: runs behind "
                  "each band)", title_justify="left")
    shown = frame.head(30)
    if frame.height <= MAX_SIDEWAYS:  # few variants: one row per metric reads better
        header, rows = summary_by_metric(frame)
        for col in header:
            table.add_column(col, overflow="fold", no_wrap=not col)
        for row in rows:
            table.add_row(*row)
    else:
        for col in frame.columns:
            table.add_column(col, overflow="fold", no_wrap=col in ("variant_id", "scenario"))
        for row in shown.iter_rows():
            table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
    if frame.height > shown.height:
        console.print(f"... {frame.height - shown.height} more variants")
    names = ", ".join(p.name for p in paths.values())
    console.print(f"Wrote {Path(args.batch_dir) / 'summary'}/ ({names})")
    return 0
