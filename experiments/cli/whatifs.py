"""`compute-market whatifs`: every shipped antitrust what-if against its reference.

``compute-market whatifs --seeds 10 --workers 2 --write-docs docs/antitrust.md`` runs each
shipped what-if paired with its reference on the same seeds and writes the what-if section
(`experiments.docgen.antitrust`) between the ``<!-- begin:whatif-table -->`` and
``<!-- end:whatif-table -->`` markers of the given document; the Markdown is printed either
way.
"""

from __future__ import annotations

import argparse
import subprocess

from experiments.cli.options import add_write_docs_argument, check_write_docs, write_docs_section
from experiments.docgen.antitrust import SECTION, build_section, compute_whatif_table
from experiments.errors import UserError

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Run each shipped what-if paired with its reference on the same seeds and print the "
    "what-if section of docs/antitrust.md: the table of headline effects at the last month "
    "(bold when the seeds resolve them after a Holm adjustment) with each what-if's theory of "
    "harm and what the model says. --write-docs docs/antitrust.md also writes it between the "
    "document's whatif-table markers. Takes minutes (every what-if x every seed)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--seeds N] [--workers N] [--write-docs PATH]``."""
    p.add_argument("--seeds", type=int, default=10, help="seeds 1..N per what-if (default 10)")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    add_write_docs_argument(p)


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, check=False)
    return out.stdout.strip() or "unknown"


def handle(args: argparse.Namespace) -> int:
    """Run the what-ifs, print their section and write it to --write-docs if given."""
    if args.seeds < 2:
        raise UserError("--seeds must be at least 2 for a confidence interval")
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1 (got {args.workers})")
    check_write_docs(args.write_docs)
    table = compute_whatif_table(range(1, args.seeds + 1), workers=args.workers)
    section = build_section(table, args.seeds, _commit())
    print(section)
    write_docs_section(args.write_docs, SECTION, section)
    return 0
