"""`compute-market compare`: paired what-if comparison of scenarios over seeds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from experiments.analysis.compare import ADJUST, compute_comparison, run_pairs, write_comparison
from experiments.analysis.compare_text import format_table, resolve_step
from experiments.calibration.ensemble import load_ensemble
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario
from world.params import ScenarioParams, month_index

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run BASE and each VARIANT on the same seeds and report, per metric, market or firm and "
    "month, the mean difference (VARIANT minus BASE) with a t-interval over seeds and a paired "
    "t-test p-value adjusted for multiple comparisons within each variant and month. Shares and "
    "other fractions are in percentage points (pp). Prints the table at --date (default the "
    "last month) and writes compare.parquet (every month), runs.parquet, compare.json and "
    "compare.png into --out. With --ensemble each seed also draws a calibrated parameter set, "
    "shared by BASE and the variants."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``BASE VARIANT [VARIANT ...] [--seeds N] [--first-seed N] [--steps N]
    [--date YYYY-MM] [--level L] [--adjust holm|bh] [--workers N] [--ensemble FILE] ...``."""
    p.add_argument("base", help="reference scenario (shipped name or .toml path)")
    p.add_argument("variants", nargs="+", metavar="VARIANT",
                   help="one or more variant scenarios (shipped names or .toml paths)")
    p.add_argument("--seeds", type=int, default=10, help="number of seeds (default 10)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--steps", type=int, help="months to simulate (default: the scenarios')")
    p.add_argument("--date", help="month printed and drawn, YYYY-MM (default: the last month)")
    p.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--adjust", choices=sorted(ADJUST), default="holm",
                   help="multiple-comparison adjustment: holm (default) or bh "
                   "(Benjamini-Hochberg)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes running the seeds in parallel (default 1)")
    p.add_argument("--ensemble", type=Path, metavar="FILE",
                   help="calibrated ensemble (Parquet from `calibrate`): each seed draws a "
                   "parameter set, shared by all the scenarios")
    p.add_argument("--out", type=Path,
                   help="output directory (default runs/compare-BASE-VARIANT)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def _slug(name: str) -> str:
    return name.replace("/", "-").replace(".toml", "")


def _check_args(args: argparse.Namespace) -> None:
    if args.seeds < 2:
        raise UserError("--seeds must be at least 2 for a confidence interval")
    if not 0.0 < args.level < 1.0:
        raise UserError("--level must be between 0 and 1, e.g. 0.95")
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1 (got {args.workers})")


def _check_date(date: str | None, base: ScenarioParams) -> None:
    """Refuse a `--date` that is not a month of the reference run, before anything runs."""
    if date is None:
        return
    try:
        idx = month_index(date)
    except ValueError:
        raise UserError(f"--date {date!r}: expected a month as YYYY-MM") from None
    first = month_index(base.simulation.start)
    last = first + base.simulation.steps - 1
    if not first <= idx <= last:
        raise UserError(f"--date {date}: not a month of the runs; give YYYY-MM from "
                        f"{base.simulation.start} to {last // 12:04d}-{last % 12 + 1:02d}")


def handle(args: argparse.Namespace) -> int:
    """Run the scenarios on the same seeds, print the table and write the comparison."""
    _check_args(args)
    ensemble = load_ensemble(args.ensemble) if args.ensemble else None
    base = load_scenario(args.base, steps=args.steps)
    _check_date(args.date, base)
    variants = [load_scenario(v, steps=args.steps) for v in args.variants]
    names = "-".join(_slug(v.name) for v in variants)
    out = args.out or Path("runs") / f"compare-{_slug(base.name)}-{names}"
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise UserError(f"{out} exists and is not empty; pass --overwrite or choose another --out")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = run_pairs(base, variants, seeds, workers=args.workers, ensemble=ensemble)
    table = compute_comparison(runs, args.level, args.adjust)
    step = resolve_step(table, args.date)
    write_comparison(out, runs, table, base.name, [v.name for v in variants], seeds,
                     step=step, adjust=args.adjust)
    console = Console(file=sys.stdout, highlight=False)
    for line in format_table(table, step):
        console.print(line, soft_wrap=True, markup=False)
    console.print(f"Wrote {out} (compare.parquet, runs.parquet, compare.json, compare.png)")
    return 0
