"""`compute-market sensitivity`: Morris screening then Sobol indices of chosen parameters and
outcomes, or delta indices of a batch already run (`experiments.validation.sensitivity`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from experiments.analysis.ema import check_outcomes
from experiments.cli.options import add_write_docs_argument, check_write_docs, write_docs_section
from experiments.errors import UserError
from experiments.figures.style import save_figure
from experiments.scenario.loader import load_scenario
from experiments.validation import sensitivity as sa
from experiments.validation.sensitivity_report import draw_sensitivity, format_section

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Screen parameters of a scenario (default: 13 main parameters of the baseline) with Morris "
    "elementary effects; with --method sobol (default) then compute Sobol indices of the top "
    "ones. Each point runs several seeds and averages them. With --batch DIR, analyse a batch "
    "of sampled uncertainties already run (for example experiments/batches/sobol_demand.toml) "
    "with delta and S1 indices instead. Writes sensitivity.json and sensitivity.png to --out; "
    "a document only with --write-docs."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--batch DIR] [--param KEY[=LOW:HIGH]]... [--outcome NAME]... [--method M] ...``."""
    p.add_argument("--batch", type=Path, metavar="DIR",
                   help="analyse this batch directory instead of running new points")
    p.add_argument("--param", dest="params", action="append", metavar="KEY[=LOW:HIGH]",
                   help="parameter to study (repeatable): a key of the default list, or "
                   "KEY=LOW:HIGH for any numeric scenario key (default: the 13 main ones)")
    p.add_argument("--outcome", dest="outcomes", action="append", metavar="NAME",
                   help="outcome to study (repeatable; default: "
                   f"{', '.join(sa.DEFAULT_OUTCOMES)}; `discover --list-outcomes` lists them)")
    p.add_argument("--scenario", default="baseline", help="scenario the points start from")
    p.add_argument("--method", choices=("morris", "sobol"), default="sobol",
                   help="morris: screening only; sobol: screening then Sobol (default)")
    p.add_argument("--trajectories", type=int, default=20, help="Morris trajectories (20)")
    p.add_argument("--n", type=int, default=128, help="Sobol base sample, a power of 2 (128)")
    p.add_argument("--top", type=int, default=5, help="parameters kept for Sobol (5)")
    p.add_argument("--seeds", type=int, default=3, help="seeds run and averaged per point (3)")
    p.add_argument("--common-seeds", action="store_true",
                   help="the same seeds at every point (default: each point its own seeds)")
    p.add_argument("--steps", type=int, default=sa.STEPS, help=f"months per run ({sa.STEPS})")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--out", type=Path,
                   help="folder for sensitivity.json and sensitivity.png (default: "
                   "runs/sensitivity, or DIR/sensitivity with --batch)")
    add_write_docs_argument(p)


def _check(args: argparse.Namespace, n_params: int) -> None:
    if args.trajectories < 2 or args.n < 2:
        raise UserError("--trajectories and --n must be >= 2")
    if args.n & (args.n - 1):
        raise UserError(f"--n must be a power of 2 for Sobol sampling (got {args.n})")
    if args.method == "sobol" and not 1 <= args.top <= n_params:
        raise UserError(f"--top must be between 1 and the {n_params} parameters studied")
    if args.seeds < 1 or args.steps < 1:
        raise UserError("--seeds and --steps must be at least 1")


def _command(args: argparse.Namespace) -> str:
    if args.batch is not None:
        parts = [f"compute-market sensitivity --batch {args.batch}"]
    else:
        parts = [f"compute-market sensitivity --method {args.method}"]
        if args.params:
            parts += [f"--param {p}" for p in args.params]
        if args.trajectories != 20:
            parts.append(f"--trajectories {args.trajectories}")
        if args.method == "sobol" and (args.n, args.top) != (128, 5):
            parts.append(f"--n {args.n} --top {args.top}")
        if args.seeds != 3:
            parts.append(f"--seeds {args.seeds}")
        if args.common_seeds:
            parts.append("--common-seeds")
    parts += [f"--outcome {o}" for o in args.outcomes or []]
    return " ".join(parts)


def _run(args: argparse.Namespace, outcomes: tuple[str, ...]) -> tuple[Any, Any, list, str]:
    params = ([sa.find_parameter(t, args.scenario) for t in args.params] if args.params
              else list(sa.PARAMETERS))
    _check(args, len(params))
    base = load_scenario(args.scenario)
    setup = sa.Setup(args.scenario, args.steps, outcomes, args.seeds, args.common_seeds,
                     args.workers)
    morris = sa.run_morris(params, args.trajectories, base, setup)
    second = None
    if args.method == "sobol":
        top = sa.select_top(morris, args.top)
        print(f"Morris screening keeps: {', '.join(top)}", file=sys.stderr)
        second = sa.run_sobol([p for p in params if p.name in top], args.n, base, setup)
    seeds = (f"{args.seeds} seeds per point, the same at every point" if args.common_seeds
             else f"{args.seeds} seeds per point, drawn per point; {args.steps} months each")
    return morris, second, params, seeds


def handle(args: argparse.Namespace) -> int:
    """Run the screening (and Sobol) or analyse the batch; write the results and the figure,
    and the document's section only with ``--write-docs``."""
    check_write_docs(args.write_docs)
    outcomes = tuple(check_outcomes(args.outcomes or sa.DEFAULT_OUTCOMES))
    t0 = time.perf_counter()
    if args.batch is not None:
        morris, second, params = None, sa.analyse_batch(args.batch, outcomes), []
        seeds = "each point's outcome averaged over its seeds"
        out = args.out or args.batch / "sensitivity"
    else:
        morris, second, params, seeds = _run(args, outcomes)
        out = args.out or Path("runs/sensitivity")
    minutes = (time.perf_counter() - t0) / 60
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "sensitivity.json").write_text(json.dumps(
            {"morris": morris, "second": second, "minutes": minutes}, indent=1), "utf-8")
        save_figure(draw_sensitivity(morris, second, outcomes), out / "sensitivity.png")
        section = "sensitivity" if args.batch is None else "sensitivity-batch"
        doc_figure = f"figures/{section.replace('-', '_')}.png"
        if args.write_docs is not None:
            fig_path = args.write_docs.parent / doc_figure
            fig_path.parent.mkdir(parents=True, exist_ok=True)
            save_figure(draw_sensitivity(morris, second, outcomes), fig_path)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}; choose another --out") \
            from None
    text = format_section(morris, second, params, outcomes, _command(args), minutes,
                          doc_figure, seeds)
    print(text)
    write_docs_section(args.write_docs, section, text)
    print(f"Results in {out}/ (sensitivity.json, sensitivity.png)")
    return 0
