"""`compute-market docking`: the textbook equilibria reproduced by the agents."""

from __future__ import annotations

import argparse

from experiments.cli.options import add_write_docs_argument, check_write_docs, write_docs_section
from experiments.validation.docking import compute_docking_table
from experiments.validation.validate import CHECKS_FAILED, format_docking

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run the textbook docking cases and compare with their closed forms; with --write-docs "
    "PATH, also write the table into that document's docking section. Exit code 3 if a case "
    "is off by more than 0.5%."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--write-docs PATH]``."""
    add_write_docs_argument(p)


def handle(args: argparse.Namespace) -> int:
    """Run the cases, print the table and, with ``--write-docs``, write the document's section;
    exit 3 if a case fails."""
    check_write_docs(args.write_docs)
    table = compute_docking_table()
    text = format_docking(table)
    print(text)
    write_docs_section(args.write_docs, "docking", text)
    return 0 if table["ok"].all() else CHECKS_FAILED
