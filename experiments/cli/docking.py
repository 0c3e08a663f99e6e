"""`compute-market docking`: the textbook equilibria reproduced by the agents."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.validation.docking import compute_docking_table
from experiments.validation.validate import CHECKS_FAILED, DOC, format_docking, update_doc_section

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run the textbook docking cases and compare with their closed forms; write the table to "
    "docs/validation.md. Exit code 3 if a case is off by more than 0.5%."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--doc F] [--no-doc]``."""
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="print only, do not write the doc")


def handle(args: argparse.Namespace) -> int:
    """Run the cases, print the table, write the doc section; exit 3 if a case fails."""
    table = compute_docking_table()
    text = format_docking(table)
    print(text)
    if not args.no_doc:
        update_doc_section(args.doc, "docking", text)
        print(f"Wrote the docking section of {args.doc}")
    return 0 if table["ok"].all() else CHECKS_FAILED
