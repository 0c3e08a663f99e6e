"""`compute-market backtest --cutoff YYYY-MM --seeds N`: the out-of-sample backtest of
`experiments.validation.backtest`."""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from experiments.batch.ensemble import map_runs
from experiments.cli.options import add_write_docs_argument, check_write_docs, write_docs_section
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario
from experiments.validation.backtest import (
    SIZE_FACTOR,
    WINDOW_MONTHS,
    backtest_task,
    compute_held_out,
    format_backtest,
    summarize,
)

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run a scenario (default: baseline) over seeds 1..N with simulation.history_cutoff at the "
    "cutoff, so the dated deal announcements after it are left out, and score each held-out "
    "announcement (a hit when the model signs a deal of the same kind between the same parties "
    f"within {WINDOW_MONTHS} months and a factor {SIZE_FACTOR:g} in size) and the held-out "
    "target facts. Prints a scorecard "
    "and writes backtest.parquet (one row per run and announcement) and scorecard.csv to --out; "
    "with --write-docs PATH, also the backtest section of that document."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[SCENARIO] [--cutoff YYYY-MM] [--seeds N] [--workers N] [--out DIR]
    [--write-docs PATH]``."""
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario (default baseline)")
    p.add_argument("--cutoff", default="2025-09", help="last month kept, YYYY-MM (default 2025-09)")
    p.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--out", type=Path, help="output directory (default runs/backtest-<cutoff>)")
    add_write_docs_argument(p)


def _check_args(args: argparse.Namespace) -> None:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.cutoff):
        raise UserError(f"--cutoff must be a month YYYY-MM (got {args.cutoff!r})")
    if args.seeds < 1:
        raise UserError(f"--seeds must be at least 1 (got {args.seeds})")
    check_write_docs(args.write_docs)
    load_scenario(args.scenario, [f"simulation.history_cutoff='{args.cutoff}'"])


def _print_scorecard(card: pl.DataFrame, title: str) -> None:
    table = Table(title=title)
    for col in ("item", "month", "held out", "model", "hit rate", "result"):
        table.add_column(col)
    for r in card.iter_rows(named=True):
        rate = "" if math.isnan(r["hit_rate"]) else f"{r['hit_rate']:.0%}"
        table.add_row(r["item"], r["month"], r["expected"], r["model"], rate,
                      "[green]hit[/green]" if r["hit"] else "[red]miss[/red]")
    Console(file=sys.stdout, width=140).print(table)


def handle(args: argparse.Namespace) -> int:
    """Run the seeds at the cutoff, print the scorecard, write the tables (and the doc section
    when asked)."""
    _check_args(args)
    held = compute_held_out(load_scenario(args.scenario), args.cutoff)
    if not held:
        raise UserError(f"nothing is held out: no announcement of {args.scenario} is dated "
                        f"after --cutoff {args.cutoff}")
    t0 = time.perf_counter()
    tasks = [(args.scenario, args.cutoff, s) for s in range(1, args.seeds + 1)]
    outs = map_runs(backtest_task, tasks, workers=args.workers, label="backtest runs")
    per_run, card = summarize(held, outs)
    _print_scorecard(card, f"Backtest at cutoff {args.cutoff} ({args.seeds} seeds)")
    out = args.out or Path("runs") / f"backtest-{args.cutoff}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        per_run.write_parquet(out / "backtest.parquet")
        card.write_csv(out / "scorecard.csv")
    except OSError as exc:
        raise UserError(
            f"cannot write {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    command = "compute-market backtest" + (f" {args.scenario}" if args.scenario != "baseline"
                                           else "")
    command += f" --cutoff {args.cutoff} --seeds {args.seeds}"
    write_docs_section(args.write_docs, "backtest", format_backtest(card, command))
    hits = int(card["hit"].sum())
    print(f"{hits}/{card.height} held-out items hit ({time.perf_counter() - t0:.0f} s); "
          f"wrote {out / 'backtest.parquet'} and {out / 'scorecard.csv'}")
    return 0
