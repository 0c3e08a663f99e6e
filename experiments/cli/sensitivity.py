"""`compute-market sensitivity`: Morris screening, then Sobol indices, of the baseline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from experiments.errors import UserError
from experiments.scenario.loader import load_scenario
from experiments.validation.sensitivity import (
    PARAMETERS,
    format_section,
    plot_sensitivity,
    run_morris,
    run_sobol,
    select_top,
)
from experiments.validation.validate import DOC, update_doc_section

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Screen the baseline's main parameters with Morris elementary effects; with --method sobol "
    "(default) then compute Sobol indices of the top parameters. Outputs: Nvidia share 2028, "
    "accelerator HHI 2028, OpenAI GW 2028, vendor circularity. Writes a table, a figure and the "
    "sensitivity section of docs/validation.md."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--method morris|sobol] [--trajectories N] [--n N] [--top K] ...``."""
    p.add_argument("--method", choices=("morris", "sobol"), default="sobol",
                   help="morris: screening only; sobol: screening then Sobol (default)")
    p.add_argument("--trajectories", type=int, default=20, help="Morris trajectories (20)")
    p.add_argument("--n", type=int, default=128, help="Sobol base sample, a power of 2 (128)")
    p.add_argument("--top", type=int, default=5, help="parameters kept for Sobol (5)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--out", type=Path, default=Path("runs/sensitivity"),
                   help="where the JSON results and the figure go (runs/sensitivity)")
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="do not write the doc")


def _check(args: argparse.Namespace) -> None:
    if args.trajectories < 2 or args.n < 2 or not 1 <= args.top <= len(PARAMETERS):
        raise UserError("--trajectories and --n must be >= 2, --top between 1 and "
                        f"{len(PARAMETERS)}")
    if args.n & (args.n - 1):
        raise UserError(f"--n must be a power of 2 for Sobol sampling (got {args.n})")


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this analysis (quoted in the doc)."""
    command = f"compute-market sensitivity --method {args.method}"
    if args.trajectories != 20:
        command += f" --trajectories {args.trajectories}"
    if args.method == "sobol" and (args.n, args.top) != (128, 5):
        command += f" --n {args.n} --top {args.top}"
    return command


def handle(args: argparse.Namespace) -> int:
    """Run the screening (and Sobol), write the results, the figure and the doc section."""
    _check(args)
    t0 = time.perf_counter()
    base = load_scenario("baseline")
    morris = run_morris(args.trajectories, args.workers, base)
    sobol = None
    if args.method == "sobol":
        top = select_top(morris, args.top)
        print(f"Morris screening keeps: {', '.join(top)}", file=sys.stderr)
        sobol = run_sobol(top, args.n, args.workers, base)
    minutes = (time.perf_counter() - t0) / 60
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sensitivity.json").write_text(
        json.dumps({"morris": morris, "sobol": sobol, "minutes": minutes}, indent=1),
        encoding="utf-8")
    plot_sensitivity(morris, sobol, args.out / "sensitivity.png")
    if not args.no_doc:
        plot_sensitivity(morris, sobol, args.doc.parent / "figures" / "sensitivity.png")
    text = format_section(morris, sobol, _command(args), minutes, "figures/sensitivity.png")
    print(text)
    if not args.no_doc:
        update_doc_section(args.doc, "sensitivity", text)
        print(f"Wrote the sensitivity section of {args.doc}; results in {args.out}")
    return 0
