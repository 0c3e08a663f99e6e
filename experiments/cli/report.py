"""`compute-market report`: one self-contained HTML report of a run, batch or comparison."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.errors import UserError
from experiments.figures import load_source
from experiments.figures.report import write_report

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Write one HTML file with the scenario, the key numbers and every figure embedded (it "
    "opens offline, nothing is fetched)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``PATH [-o report.html]``."""
    p.add_argument("path", type=Path, help="run, batch or comparison directory")
    p.add_argument("-o", "--out", type=Path, help="HTML file to write (default: PATH/report.html)")


def handle(args: argparse.Namespace) -> int:
    """Write the report."""
    source = load_source(args.path)
    for line in getattr(source, "notes", []):  # missing planned runs of a batch
        print(f"compute-market: note: {line}", file=sys.stderr)
    folder = args.path if args.path.is_dir() else args.path.parent
    out = args.out or folder / "report.html"
    try:
        write_report(source, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}; choose another -o") from None
    print(f"Wrote {out}")
    return 0
