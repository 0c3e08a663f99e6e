"""`compute-market docs`: regenerate the generated parts of the docs that need no runs.

``docs scenarios`` rewrites the key tables of docs/scenarios.md from the schema in
`world.params` (``--check`` only says whether the file is up to date: exit 2 when stale, as a
pre-commit or CI step). The what-if section of docs/antitrust.md takes runs and is written by
``compute-market whatifs --write-docs docs/antitrust.md`` (`experiments.cli.whatifs`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.docgen import scenarios
from experiments.errors import UserError

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Regenerate a generated part of the docs: `scenarios` (the key tables of docs/scenarios.md, "
    "from the schema in world/params.py; fast). The what-if section of docs/antitrust.md takes "
    "runs: `compute-market whatifs --write-docs docs/antitrust.md` writes it."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``scenarios [--check]``."""
    p.add_argument("which", choices=("scenarios",), help="the part to regenerate")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 2 if the file is stale")


def _write(path: Path, old: str, new: str) -> None:
    if new != old:
        path.write_text(new, encoding="utf-8")
        print(f"Wrote {path}")
    else:
        print(f"{path} is up to date")


def handle(args: argparse.Namespace) -> int:
    """Regenerate (or check) the chosen part (`scenarios`, the one the choices allow)."""
    text = scenarios.DOC.read_text(encoding="utf-8")
    try:
        new = scenarios.render(text)
    except ValueError as exc:
        raise UserError(f"{scenarios.DOC}: {exc}; restore them around the key tables") from None
    if args.check:
        if new != text:
            raise UserError(f"{scenarios.DOC} is stale; run `compute-market docs scenarios`")
        print(f"{scenarios.DOC} is up to date")
        return 0
    _write(scenarios.DOC, text, new)
    return 0
