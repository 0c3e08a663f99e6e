"""`compute-market validate`: the stylised facts of 2024-2026 over N seeds."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from experiments.batch.ensemble import map_runs
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario
from experiments.validation.validate import (
    CHECKS_FAILED,
    DOC,
    fact_metrics_task,
    format_facts,
    format_value,
    summarize_facts,
    update_doc_section,
)

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run a scenario (default: baseline) over seeds 1..N and check each stylised fact the model "
    "covers; write the table to docs/validation.md. Exit code 3 if a fact fails."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[SCENARIO] [--seeds N] [--workers N] [--set KEY=VALUE]... [--doc F] [--no-doc]``."""
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario (default baseline)")
    p.add_argument("--seeds", type=int, default=50, help="number of seeds (default 50)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key (value read as TOML; repeatable)")
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="print only, do not write the doc")


def _print_summary(summary: list[dict[str, Any]]) -> None:
    table = Table(title="Stylised facts (mean over seeds must lie in the target band)")
    for col in ("#", "metric", "target", "mean", "5-95%", "result"):
        table.add_column(col)
    for s in summary:
        f = s["fact"]
        table.add_row(str(f.number), f.key, f.band, format_value(s["mean"]),
                      f"{format_value(s['p05'])} - {format_value(s['p95'])}",
                      "[green]pass[/green]" if s["ok"] else "[red]FAIL[/red]")
    Console(file=sys.stdout, width=120).print(table)


def handle(args: argparse.Namespace) -> int:
    """Run the seeds, print the table, write the doc section; exit 3 if a fact fails."""
    if args.seeds < 1:
        raise UserError(f"--seeds must be at least 1 (got {args.seeds})")
    load_scenario(args.scenario, args.overrides)  # fail fast on a bad scenario or --set
    t0 = time.perf_counter()
    tasks = [(args.scenario, tuple(args.overrides), seed) for seed in range(1, args.seeds + 1)]
    rows = map_runs(fact_metrics_task, tasks, workers=args.workers, label="baseline runs")
    summary = summarize_facts(rows)
    _print_summary(summary)
    failed = [s["fact"].key for s in summary if not s["ok"]]
    command = "compute-market validate" + (f" --seeds {args.seeds}" if args.seeds != 50 else "")
    if args.scenario != "baseline":
        command += f" {args.scenario}"
    command += "".join(f" --set {o}" for o in args.overrides)
    if not args.no_doc:
        update_doc_section(args.doc, "facts", format_facts(summary, args.seeds, command))
        print(f"Wrote the stylised-facts section of {args.doc}")
    print(f"{len(summary) - len(failed)}/{len(summary)} facts pass "
          f"({time.perf_counter() - t0:.0f} s)" + (f"; failed: {', '.join(failed)}" if failed
                                                   else ""))
    return CHECKS_FAILED if failed else 0
