"""`compute-market calibrate`: ABC-SMC of the uncertain parameters (`experiments.calibration.abc`)
into a Parquet ensemble."""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyabc  # noqa: F401  (configures its loggers on import; `handle` quietens them after)

from experiments.batch.executors import make_executor, warm_up
from experiments.calibration.abc import run_abc
from experiments.calibration.posterior import (
    compute_posterior_frame,
    compute_posterior_table,
    format_calibration,
)
from experiments.cli.options import add_write_docs_argument, check_write_docs, write_docs_section
from experiments.errors import UserError

__all__ = ["DESCRIPTION", "add_arguments", "handle"]

DESCRIPTION = (
    "Approximate Bayesian computation (ABC-SMC, pyabc) of the uncertain parameters of "
    "experiments/calibration/abc.py against the calibration facts of "
    "experiments/calibration/facts.toml, on the batch executors. Writes posterior.parquet (the "
    "accepted parameter sets of the last generation with weight and distance: use it with "
    "`compare --ensemble` and `batch --ensemble`) and calibration.json to --out; with "
    "--write-docs PATH, also the calibration section of that document."
)
PYABC_LOGGERS = ("ABC", "ABC.History", "ABC.Sampler", "ABC.Distance", "ABC.Epsilon")
"""pyabc's loggers, set to warnings only (their per-generation info would bury the table)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[--population N] [--generations N] [--seed N] [--workers N] [--dask ADDRESS|local]
    [--out DIR] [--write-docs PATH]``."""
    p.add_argument("--population", type=int, default=200,
                   help="accepted parameter sets per generation (default 200)")
    p.add_argument("--generations", type=int, default=5, help="ABC-SMC generations (default 5)")
    p.add_argument("--seed", type=int, default=1, help="seed of the sampler (default 1)")
    p.add_argument("--workers", type=int,
                   help="processes (default: all cores; 1 runs in this process, reproducibly)")
    p.add_argument("--dask", metavar="ADDRESS|local", help="run on a Dask scheduler")
    p.add_argument("--out", type=Path, default=Path("runs/calibration"),
                   help="output directory (default runs/calibration)")
    add_write_docs_argument(p)


def _run(args: argparse.Namespace) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Run ABC-SMC on the chosen executor; (posterior frame, run metadata)."""
    warm_up(args.workers, args.dask)
    executor = make_executor(args.workers, args.dask)
    t0 = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            history = run_abc(args.population, args.generations, executor, f"{tmp}/abc.db",
                              seed=args.seed)
            frame = compute_posterior_frame(history)
            pops = history.get_all_populations()
            meta = {
                "epsilons": [float(e) for e in pops["epsilon"] if math.isfinite(e)],
                "simulations": int(history.total_nr_simulations),
                "accepted": frame.height, "executor": executor.name,
                "duration_s": time.perf_counter() - t0,
                "population": args.population, "generations": args.generations,
                "seed": args.seed,
            }
    finally:
        executor.close()
    return frame, meta


def handle(args: argparse.Namespace) -> int:
    """Calibrate, write posterior.parquet and calibration.json, print the posterior table
    (and write the doc section when asked)."""
    if args.population < 2 or args.generations < 1:
        raise UserError("--population must be at least 2 and --generations at least 1")
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} is a file; choose a directory")
    check_write_docs(args.write_docs)
    for name in PYABC_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    frame, meta = _run(args)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(args.out / "posterior.parquet")
        (args.out / "calibration.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}; choose another --out") \
            from None
    command = (f"compute-market calibrate --population {args.population} "
               f"--generations {args.generations}")
    text = format_calibration(compute_posterior_table(frame), meta, command)
    print(text)
    write_docs_section(args.write_docs, "calibration", text)
    print(f"Wrote {args.out / 'posterior.parquet'} ({frame.height} parameter sets)")
    return 0
