"""The ``discover`` and ``feature-scores`` subcommands: scenario discovery (PRIM, CART) and
feature scoring on a batch (registered in `experiments.cli.main.SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from experiments.errors import UserError

__all__ = ["DEFAULT_SCORED", "add_discover_parser", "add_feature_scores_parser"]

DEFAULT_SCORED = ("hhi_accelerators", "nvidia_share_accelerators", "hhi_cloud", "deployed_gw",
                  "openai_compute_gw")
"""Outcomes ranked by ``feature-scores`` when none is given."""


def _print_outcomes() -> int:
    from experiments.analysis.outcomes import OUTCOMES

    width = max(map(len, OUTCOMES))
    for o in OUTCOMES.values():
        print(f"{o.name:<{width}}  {o.doc} ({o.unit})")
    return 0


def _write(path: Path, write: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}; choose another --out") \
            from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def add_discover_parser(sub: Any) -> None:
    """Add ``compute-market discover BATCH --outcome NAME --below X | --above X``."""
    p = sub.add_parser(
        "discover",
        help="scenario discovery on a batch: which inputs lead to an outcome (PRIM, CART)",
        description="Mark the runs of a batch where an outcome is below or above a threshold "
        "and find the regions of the varied inputs (levers, uncertainties) that hold them, "
        "with PRIM and CART (EMA Workbench). Writes the boxes, their coverage, density and "
        "mass, PRIM's peeling trajectory and a figure (default: BATCH/discovery/<rule>/).",
    )
    p.add_argument("batch_dir", type=Path, nargs="?",
                   help="a directory written by `compute-market batch`")
    p.add_argument("--outcome", help="outcome to threshold (see --list-outcomes)")
    rule = p.add_mutually_exclusive_group()
    rule.add_argument("--below", type=_number, metavar="X", help="runs of interest: outcome < X")
    rule.add_argument("--above", type=_number, metavar="X", help="runs of interest: outcome > X")
    p.add_argument("--mass-min", type=float, default=0.05,
                   help="smallest box as a share of the runs (default 0.05)")
    p.add_argument("--min-density", type=float, default=0.8,
                   help="PRIM keeps the step with the most coverage at least this dense "
                   "(default 0.8)")
    p.add_argument("--max-boxes", type=int, default=3, help="PRIM boxes to look for (3)")
    p.add_argument("--no-cart", action="store_true", help="PRIM only")
    p.add_argument("--out", type=Path, help="folder for the tables and the figure")
    p.add_argument("--list-outcomes", action="store_true", help="list the outcomes and stop")
    p.set_defaults(handler=_cmd_discover)


def _check_discover(args: argparse.Namespace) -> None:
    if args.batch_dir is None or args.outcome is None:
        raise UserError("give a batch directory and --outcome NAME (--list-outcomes lists them)")
    if args.below is None and args.above is None:
        raise UserError("give --below X or --above X: the runs of interest")
    if not 0.0 < args.mass_min <= 0.5:
        raise UserError(f"--mass-min {args.mass_min}: give a share in (0, 0.5]")
    if not 0.0 <= args.min_density <= 1.0:
        raise UserError(f"--min-density {args.min_density}: give a share in [0, 1]")
    if args.max_boxes < 1:
        raise UserError(f"--max-boxes {args.max_boxes}: give 1 or more")


def _cmd_discover(args: argparse.Namespace) -> int:
    if args.list_outcomes:
        return _print_outcomes()
    _check_discover(args)
    import numpy as np

    from experiments.analysis.discovery import discover, draw_discovery
    from experiments.analysis.ema import batch_to_ema
    from experiments.figures.style import save_figure

    experiments, outcomes = batch_to_ema(args.batch_dir, [args.outcome])
    values = outcomes[args.outcome]
    above = args.above is not None
    x = args.above if above else args.below
    rule = f"{args.outcome} {'>' if above else '<'} {x:g}"
    ok = ~np.isnan(values)
    print(f"{args.outcome} over {ok.sum()} runs: min {np.nanmin(values):.4g}, median "
          f"{np.nanmedian(values):.4g}, max {np.nanmax(values):.4g}")
    interest = (values > x) if above else (values < x)
    result = discover(experiments, interest & ok, rule, args.mass_min, args.min_density,
                      args.max_boxes, cart=not args.no_cart)
    slug = f"{args.outcome}-{'above' if above else 'below'}-{x:g}"
    out = args.out or Path(args.batch_dir) / "discovery" / slug
    _write(out / "boxes.csv", result.boxes.write_csv)
    _write(out / "stats.csv", result.stats.write_csv)
    _write(out / "peeling.csv", result.peeling.write_csv)
    _write(out / "discovery.png", lambda p: save_figure(draw_discovery(result), p))
    print(f"Runs of interest ({rule}): {result.n_interest} of {result.n_runs}")
    for st in result.stats.iter_rows(named=True):
        limits = result.boxes.filter((result.boxes["method"] == st["method"])
                                     & (result.boxes["box"] == st["box"]))
        text = "; ".join(
            f"{r['input']} in {{{r['values'].replace('|', ', ')}}}" if r["values"] is not None
            else f"{r['low']:.4g} <= {r['input']} <= {r['high']:.4g}"
            for r in limits.iter_rows(named=True)) or "no input restricted"
        print(f"  {st['method'].upper()} box {st['box']}: coverage {st['coverage']:.2f}, "
              f"density {st['density']:.2f}, mass {st['mass']:.2f}: {text}")
    print(f"Wrote {out}/ (boxes.csv, stats.csv, peeling.csv, discovery.png)")
    return 0


def add_feature_scores_parser(sub: Any) -> None:
    """Add ``compute-market feature-scores BATCH [--outcome NAME ...]``."""
    p = sub.add_parser(
        "feature-scores",
        help="rank the varied inputs of a batch by how much they move chosen outcomes",
        description="Extra-trees feature scores (EMA Workbench) of every varied input of a "
        "batch for each chosen outcome: the share of the outcome's explained variation each "
        "input accounts for (each outcome's scores sum to 1). Writes feature_scores.csv and "
        "a figure (default: BATCH/feature_scores/).",
    )
    p.add_argument("batch_dir", type=Path, help="a directory written by `compute-market batch`")
    p.add_argument("--outcome", dest="outcomes", action="append", metavar="NAME",
                   help="outcome to score (repeatable; default: "
                   f"{', '.join(DEFAULT_SCORED)}; `discover --list-outcomes` lists them)")
    p.add_argument("--out", type=Path, help="folder for the table and the figure")
    p.set_defaults(handler=_cmd_feature_scores)


def _cmd_feature_scores(args: argparse.Namespace) -> int:
    from experiments.analysis.discovery import compute_feature_scores, draw_feature_scores
    from experiments.analysis.ema import batch_to_ema
    from experiments.figures.style import save_figure

    names = args.outcomes or list(DEFAULT_SCORED)
    experiments, outcomes = batch_to_ema(args.batch_dir, names)
    scores = compute_feature_scores(experiments, outcomes)
    out = args.out or Path(args.batch_dir) / "feature_scores"
    _write(out / "feature_scores.csv", scores.write_csv)
    _write(out / "feature_scores.png", lambda p: save_figure(draw_feature_scores(scores), p))
    width = max(len(i) for i in scores["input"])
    print(f"{'input':<{width}}  " + "  ".join(f"{n:>{max(len(n), 6)}}" for n in names))
    for row in scores.iter_rows(named=True):
        cells = "  ".join(f"{row[n]:>{max(len(n), 6)}.3f}" for n in names)
        print(f"{row['input']:<{width}}  {cells}")
    print(f"({len(experiments)} runs; each outcome's column sums to 1; n/a: outcome constant)",
          file=sys.stderr)
    print(f"Wrote {out}/ (feature_scores.csv, feature_scores.png)")
    return 0
