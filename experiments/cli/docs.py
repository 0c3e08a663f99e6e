"""`compute-market docs`: regenerate the generated parts of the docs.

``docs scenarios`` rewrites the key tables of docs/scenarios.md from the schema in
`world.params` (``--check`` only says whether the file is up to date: exit 2 when stale, as a
pre-commit or CI step). ``docs antitrust`` reruns every shipped what-if against its reference
and rewrites the results table of docs/antitrust.md (minutes; the runs need the model, which
is why `experiments.docgen.antitrust` is imported only on that branch).
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from experiments.docgen import scenarios
from experiments.errors import UserError

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Regenerate a generated part of the docs: `scenarios` (the key tables of docs/scenarios.md, "
    "from the schema in world/params.py; fast) or `antitrust` (the what-if results table of "
    "docs/antitrust.md; runs every shipped what-if, takes minutes)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``scenarios|antitrust [--check] [--seeds N] [--workers N]``."""
    p.add_argument("which", choices=("scenarios", "antitrust"), help="the part to regenerate")
    p.add_argument("--check", action="store_true",
                   help="scenarios: write nothing; exit 2 if the file is stale")
    p.add_argument("--seeds", type=int, default=10, help="antitrust: seeds 1..N (default 10)")
    p.add_argument("--workers", type=int, default=2, help="antitrust: processes (default 2)")


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def _write(path: Path, old: str, new: str) -> None:
    if new != old:
        path.write_text(new, encoding="utf-8")
        print(f"Wrote {path}")
    else:
        print(f"{path} is up to date")


def handle(args: argparse.Namespace) -> int:
    """Regenerate (or check) the chosen part."""
    if args.which == "scenarios":
        text = scenarios.DOC.read_text(encoding="utf-8")
        try:
            new = scenarios.render(text)
        except ValueError as exc:
            raise UserError(f"{scenarios.DOC}: {exc}; restore them around the key tables") from None
        if args.check:
            if new != text:
                raise UserError(
                    f"{scenarios.DOC} is stale; run `compute-market docs scenarios`"
                )
            print(f"{scenarios.DOC} is up to date")
            return 0
        _write(scenarios.DOC, text, new)
        return 0
    if args.check:
        raise UserError("--check applies to `docs scenarios` only (the what-if table takes runs)")
    if args.seeds < 2 or args.workers < 1:
        raise UserError("--seeds must be at least 2 and --workers at least 1")
    from experiments.docgen import antitrust

    text = antitrust.DOC.read_text(encoding="utf-8")
    table = antitrust.build_table(args.seeds, args.workers)
    try:
        new = antitrust.render(text, table, _commit(), args.seeds)
    except ValueError as exc:
        raise UserError(f"{antitrust.DOC}: {exc}; restore them around the table") from None
    _write(antitrust.DOC, text, new)
    return 0
