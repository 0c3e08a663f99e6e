"""`compute-market summarize`: ensemble statistics of a batch directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from experiments.batch.summary import (
    check_complete,
    summary_by_metric,
    summary_table,
    write_summaries,
)

__all__ = ["DESCRIPTION", "MAX_SIDEWAYS", "add_arguments", "handle"]

DESCRIPTION = (
    "Write BATCH_DIR/summary/{shares,markets,firms,physical}.parquet: per scenario variant, "
    "step, market and firm the mean, median and 5-95% band over the seeds, and print the last "
    "step's HHI, market-power metrics and deployed GW per variant with the seeds behind each "
    "band."
)
MAX_SIDEWAYS = 6
"""Up to this many variants the table prints one row per metric (columns: variants)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``BATCH_DIR [--partial]``."""
    p.add_argument("batch_dir", type=Path, help="a directory written by `compute-market batch`")
    p.add_argument("--partial", action="store_true",
                   help="summarise even if planned runs are missing (failed or not run yet)")


def handle(args: argparse.Namespace) -> int:
    """Write the summaries and print the last step of each variant."""
    missing = check_complete(args.batch_dir, args.partial)
    frame = summary_table(args.batch_dir)  # computed (and checked) before anything is written
    paths = write_summaries(args.batch_dir, partial=args.partial)
    if missing:
        print(f"compute-market: note: {len(missing)} planned run(s) are missing and not in the "
              f"summaries ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})",
              file=sys.stderr, flush=True)
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
