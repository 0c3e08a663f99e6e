"""`compute-market compare`: paired what-if comparison of two scenarios over seeds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from experiments.analysis.compare import (
    compute_comparison,
    format_table,
    run_pair,
    write_comparison,
)
from experiments.calibration.ensemble import load_ensemble
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run BASE and WHAT_IF on the same seeds and report, per metric, the mean difference "
    "(WHAT_IF minus BASE) with a t-interval over seeds; metrics whose interval excludes zero are "
    "flagged. Writes compare.parquet, runs.parquet, compare.json and compare.png into --out."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``BASE WHAT_IF [--seeds N] [--first-seed N] [--steps N] [--date YYYY-MM]
    [--ensemble FILE] ...``."""
    p.add_argument("base", help="reference scenario (shipped name or .toml path)")
    p.add_argument("what_if", help="variant scenario (shipped name or .toml path)")
    p.add_argument("--seeds", type=int, default=10, help="number of seeds (default 10)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--steps", type=int, help="months to simulate (default: the scenarios')")
    p.add_argument("--date", help="month compared, YYYY-MM (default: the last month)")
    p.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--out", type=Path, help="output directory (default runs/compare-BASE-WHAT_IF)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--ensemble", type=Path, metavar="FILE",
                   help="calibrated ensemble (Parquet from `calibrate`): each seed draws a "
                   "parameter set, shared by both scenarios")


def _slug(name: str) -> str:
    return name.replace("/", "-").replace(".toml", "")


def handle(args: argparse.Namespace) -> int:
    """Run both scenarios on the same seeds, print the table and write the comparison."""
    if args.seeds < 2:
        raise UserError("--seeds must be at least 2 for a confidence interval")
    if not 0.0 < args.level < 1.0:
        raise UserError("--level must be between 0 and 1, e.g. 0.95")
    if args.date is not None and not (len(args.date) == 7 and args.date[4] == "-"):
        raise UserError(f"--date {args.date!r}: expected a month as YYYY-MM")
    ensemble = load_ensemble(args.ensemble) if args.ensemble else None
    base = load_scenario(args.base, steps=args.steps)
    what_if = load_scenario(args.what_if, steps=args.steps)
    out = args.out or Path("runs") / f"compare-{_slug(base.name)}-{_slug(what_if.name)}"
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise UserError(f"{out} exists and is not empty; pass --overwrite or choose another --out")
    console = Console(file=sys.stdout, highlight=False)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if sys.stdout.isatty():
        with console.status("Running...") as status:
            runs = run_pair(base, what_if, seeds, args.date, lambda s: status.update(s),
                            ensemble=ensemble)
    else:
        runs = run_pair(base, what_if, seeds, args.date, ensemble=ensemble)
    table = compute_comparison(runs, args.level)
    write_comparison(out, runs, table, base.name, what_if.name, seeds)
    for line in format_table(table):
        console.print(line, soft_wrap=True, markup=False)
    console.print(f"Wrote {out} (compare.parquet, runs.parquet, compare.json, compare.png)")
    return 0
