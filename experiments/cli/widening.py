"""`compute-market widening SEEDS_DIR ENSEMBLE_DIR`: how much a calibrated ensemble widens the
intervals of a what-if comparison (`experiments.calibration.widening`)."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from experiments.calibration.widening import DEFAULT_METRICS, compute_widening, format_widening
from experiments.errors import UserError

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Compare two outputs of `compute-market compare` of the same scenarios: SEEDS_DIR run with "
    "seed noise only, ENSEMBLE_DIR run with --ensemble. Prints a markdown table at the month "
    "each comparison shows: per variant and outcome, the 5-95% range of the reference "
    "scenario's value over the seeds in each, the mean difference with its interval in each, "
    "and the ratio of the interval widths (ensemble / seeds only)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``SEEDS_DIR ENSEMBLE_DIR [--metric NAME]...``."""
    p.add_argument("seeds_dir", type=Path, help="compare output run with seed noise only")
    p.add_argument("ensemble_dir", type=Path, help="the same comparison run with --ensemble")
    p.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                   help="outcome label of compare.parquet to show (repeatable; default: "
                   f"{', '.join(DEFAULT_METRICS)})")


def handle(args: argparse.Namespace) -> int:
    """Read both comparisons and print the table."""
    for folder in (args.seeds_dir, args.ensemble_dir):
        for name in ("compare.parquet", "runs.parquet"):
            if not (folder / name).is_file():
                raise UserError(f"{folder}: no {name}; give a folder written by "
                                "`compute-market compare`")
        columns = pl.read_parquet_schema(folder / "compare.parquet")
        if "label" not in columns or "step" not in columns:
            raise UserError(f"{folder}/compare.parquet has no label and step columns (written "
                            "by an older `compute-market compare`); run the comparison again")
    metrics = tuple(args.metrics) if args.metrics else DEFAULT_METRICS
    table = compute_widening(args.seeds_dir, args.ensemble_dir, metrics)
    if table.height == 0:
        raise UserError(f"none of the metrics {', '.join(metrics)} is in both comparisons")
    print(format_widening(table))
    return 0
