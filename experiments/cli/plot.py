"""`compute-market plot`: draw figures of a run, batch or comparison directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from experiments.errors import UserError
from experiments.figures import available_kinds, load_source, render_figure, save_figure
from experiments.figures.kinds import FIGURE_KINDS

__all__ = ["DESCRIPTION", "add_arguments", "handle", "print_notes"]

DESCRIPTION = (
    "Draw one figure kind (or all) of a run directory, a batch directory or a comparison, and "
    "write it as PNG or SVG (default: PATH/figures/<kind>.<format>)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``PATH --kind KIND [--date YYYY-MM]... [--format png|svg] [-o OUT]``."""
    p.add_argument("path", type=Path, help="run, batch or comparison directory")
    p.add_argument(
        "--kind",
        default="shares",
        choices=[*FIGURE_KINDS, "all"],
        help="figure to draw (default: shares; 'all' draws every kind the source has)",
    )
    p.add_argument(
        "--date",
        dest="dates",
        action="append",
        metavar="YYYY-MM",
        help="month(s) of the deal network (repeatable; default: four evenly spaced months)",
    )
    p.add_argument("--format", default="png", choices=["png", "svg"], help="file format")
    p.add_argument("-o", "--out", type=Path, help="output file (one kind) or folder ('all')")


def handle(args: argparse.Namespace) -> int:
    """Draw and write each requested figure."""
    source = load_source(args.path)
    print_notes(source)
    kinds = available_kinds(source) if args.kind == "all" else [args.kind]
    folder = args.path if args.path.is_dir() else args.path.parent
    figures = [(kind, render_figure(source, kind, args.dates)) for kind in kinds]  # all read
    for kind, fig in figures:
        if args.out is not None and args.kind != "all":
            out = args.out
        else:
            suffix = f"-{'_'.join(args.dates)}" if kind == "network" and args.dates else ""
            out = (args.out or folder / "figures") / f"{kind}{suffix}.{args.format}"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            save_figure(fig, out, args.format)
        except OSError as exc:
            raise UserError(
                f"cannot write {out}: {exc.strerror or exc}; choose another -o"
            ) from None
        print(f"Wrote {out}")
    return 0


def print_notes(source: Any) -> None:
    """Print the source's notes about its data (missing planned runs) on stderr."""
    for line in getattr(source, "notes", []):
        print(f"compute-market: note: {line}", file=sys.stderr)
