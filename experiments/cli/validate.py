"""`compute-market validate`: the facts of 2024-2026 over N seeds (targets scored, inputs shown)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from experiments.batch.ensemble import map_runs
from experiments.cli.options import add_write_docs_argument, check_write_docs, write_docs_section
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario
from experiments.validation.validate import (
    CHECKS_FAILED,
    fact_metrics_task,
    format_facts,
    format_value,
    summarize_facts,
)

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run a scenario (default: baseline) over seeds 1..N; score each target fact of "
    "experiments/calibration/facts.toml the model covers and show the input facts beside the "
    "values they set; with --write-docs PATH, also write the tables into that document's facts "
    "section. Exit code 3 if a target is missed."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[SCENARIO] [--seeds N] [--workers N] [--set KEY=VALUE]... [--write-docs PATH]``."""
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario (default baseline)")
    p.add_argument("--seeds", type=int, default=50, help="number of seeds (default 50)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key (value read as TOML; repeatable)")
    add_write_docs_argument(p)


def _print_summary(summary: list[dict[str, Any]]) -> None:
    table = Table(title="Facts (targets scored; inputs shown, not scored)")
    for col in ("role", "metric", "band", "mean", "5-95%", "result"):
        table.add_column(col)
    for s in summary:
        f = s["fact"]
        if s["role"] == "target":
            result = "[green]pass[/green]" if s["ok"] else "[red]MISS[/red]"
        else:
            result = "reproduced" if s["ok"] else "[yellow]not reproduced[/yellow]"
        table.add_row(s["role"], f.key, f.band, format_value(s["mean"]),
                      f"{format_value(s['p05'])} - {format_value(s['p95'])}", result)
    Console(file=sys.stdout, width=120).print(table)


def handle(args: argparse.Namespace) -> int:
    """Run the seeds, print the table, write the doc section if asked; exit 3 if a target
    is missed."""
    if args.seeds < 1:
        raise UserError(f"--seeds must be at least 1 (got {args.seeds})")
    check_write_docs(args.write_docs)
    load_scenario(args.scenario, args.overrides)  # fail fast on a bad scenario or --set
    t0 = time.perf_counter()
    tasks = [(args.scenario, tuple(args.overrides), seed) for seed in range(1, args.seeds + 1)]
    rows = map_runs(fact_metrics_task, tasks, workers=args.workers, label="baseline runs")
    summary = summarize_facts(rows)
    _print_summary(summary)
    failed = [s["fact"].key for s in summary if s["role"] == "target" and not s["ok"]]
    n_targets = sum(s["role"] == "target" for s in summary)
    command = "compute-market validate" + (f" --seeds {args.seeds}" if args.seeds != 50 else "")
    if args.scenario != "baseline":
        command += f" {args.scenario}"
    command += "".join(f" --set {o}" for o in args.overrides)
    write_docs_section(args.write_docs, "facts", format_facts(summary, args.seeds, command))
    print(f"{n_targets - len(failed)}/{n_targets} targets pass "
          f"({time.perf_counter() - t0:.0f} s)" + (f"; missed: {', '.join(failed)}" if failed
                                                   else ""))
    return CHECKS_FAILED if failed else 0
