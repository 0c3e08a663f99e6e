"""Options several commands share: ``--write-docs PATH`` and the writing of its section."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.errors import UserError
from experiments.validation.validate import update_doc_section

__all__ = ["DOCS_EXAMPLE", "add_write_docs_argument", "check_write_docs", "write_docs_section"]

DOCS_EXAMPLE = Path("docs/validation.md")
"""The project's own document of checks, named in the help as an example."""


def add_write_docs_argument(p: argparse.ArgumentParser) -> None:
    """``--write-docs PATH``: the document whose section the command rewrites (between its
    ``<!-- begin:NAME -->`` and ``<!-- end:NAME -->`` markers); without it the command writes
    no document, so running a check never changes the checkout's docs."""
    p.add_argument("--write-docs", type=Path, metavar="PATH",
                   help=f"also write this command's section of the document PATH (e.g. "
                   f"{DOCS_EXAMPLE}); default: write no document")


def check_write_docs(path: Path | None) -> None:
    """Refuse a ``--write-docs`` that names a folder, before any work is done."""
    if path is not None and path.is_dir():
        raise UserError(f"--write-docs {path} is a folder; give the document's file path")


def write_docs_section(path: Path | None, name: str, body: str) -> None:
    """Write section `name` of the ``--write-docs`` document `path` (nothing when None) and
    say so on stdout; a file that cannot be written is the user's one-line error."""
    if path is None:
        return
    try:
        update_doc_section(path, name, body)
    except OSError as exc:
        raise UserError(f"cannot write --write-docs {path}: {exc.strerror or exc}") from None
    print(f"Wrote the {name} section of {path}")
