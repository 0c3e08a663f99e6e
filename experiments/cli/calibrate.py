"""`compute-market calibrate`: ABC-SMC of the uncertain parameters (`experiments.calibration.abc`)
into a Parquet ensemble (registered in `experiments.cli.main.SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "compute_posterior_table", "format_calibration"]

DOC = Path("docs/validation.md")


def add_parser(sub: Any) -> None:
    """Register `compute-market calibrate`."""
    p = sub.add_parser(
        "calibrate",
        help="fit the uncertain parameters to the facts by ABC-SMC; write the ensemble",
        description="Approximate Bayesian computation (ABC-SMC, pyabc) of the uncertain "
        "parameters of experiments/calibration/abc.py against the calibration facts of "
        "experiments/calibration/facts.toml, on the batch executors. Writes posterior.parquet "
        "(the accepted parameter sets of the last generation with weight and distance: use it "
        "with `compare --ensemble` and `batch --ensemble`), calibration.json, and the "
        "calibration section of docs/validation.md.",
    )
    p.add_argument("--population", type=int, default=200,
                   help="accepted parameter sets per generation (default 200)")
    p.add_argument("--generations", type=int, default=5, help="ABC-SMC generations (default 5)")
    p.add_argument("--seed", type=int, default=1, help="seed of the sampler (default 1)")
    p.add_argument("--workers", type=int,
                   help="processes (default: all cores; 1 runs in this process, reproducibly)")
    p.add_argument("--dask", metavar="ADDRESS|local", help="run on a Dask scheduler")
    p.add_argument("--out", type=Path, default=Path("runs/calibration"),
                   help="output directory (default runs/calibration)")
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="do not write the doc section")
    p.set_defaults(handler=_cmd_calibrate)


def _posterior_frame(history: Any) -> Any:
    import polars as pl

    from experiments.calibration.abc import PARAMETERS

    t = history.max_t
    pop = history.get_population(t=t)
    rows = []
    for i, particle in enumerate(pop.particles):
        row = {p.key: float(particle.parameter[p.key]) for p in PARAMETERS}
        rows.append({**row, "weight": float(particle.weight), "distance": float(particle.distance),
                     "generation": int(t), "particle": i})
    return pl.DataFrame(rows)


def _weighted_quantile(values: Any, weights: Any, q: float) -> float:
    import numpy as np

    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    cum = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cum, q)), len(v) - 1)])


def compute_posterior_table(frame: Any) -> list[dict[str, Any]]:
    """Per parameter: prior range, baseline value, weighted posterior mean and 5-50-95%, and
    the posterior's 90% width as a share of the prior's range."""
    import numpy as np

    from experiments.calibration.abc import PARAMETERS
    from experiments.calibration.ensemble import _get
    from experiments.scenario.loader import load_scenario

    base = load_scenario("baseline").model_dump(mode="json")
    w = frame["weight"].to_numpy()
    out = []
    for p in PARAMETERS:
        v = frame[p.key].to_numpy()
        q05, q50, q95 = (_weighted_quantile(v, w, q) for q in (0.05, 0.5, 0.95))
        out.append({
            "key": p.key, "label": p.label, "prior": (p.low, p.high),
            "baseline": float(_get(base, p.key)), "mean": float(np.average(v, weights=w)),
            "q05": q05, "q50": q50, "q95": q95, "shrink": (q95 - q05) / (p.high - p.low),
        })
    return out


def format_calibration(table: list[dict[str, Any]], meta: dict[str, Any], command: str) -> str:
    """The calibration section of docs/validation.md (markdown)."""
    from experiments.calibration.abc import CALIBRATION_FACTS

    facts = ", ".join(f"{k} ({fid})" for k, fid, _, _ in CALIBRATION_FACTS)
    eps = ", ".join(f"{e:.2f}" for e in meta["epsilons"])
    lines = [
        "## Calibration: a posterior ensemble (ABC-SMC)",
        "",
        f"Command: `{command}` ({meta['simulations']} simulations, {meta['duration_s']:.0f} s, "
        f"{meta['executor']}). Calibration statistics: {facts}. Epsilon by generation: {eps}. "
        f"The last generation's {meta['accepted']} accepted parameter sets are "
        "`runs/calibration/posterior.parquet`.",
        "",
        "| parameter | key | prior (uniform) | baseline | posterior mean "
        "| posterior 5% - 50% - 95% | 90% width / prior range |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lo, hi = r["prior"]
        lines.append(
            f"| {r['label']} | `{r['key']}` | {lo:g} - {hi:g} | {r['baseline']:g} | "
            f"{r['mean']:.3g} | {r['q05']:.3g} - {r['q50']:.3g} - {r['q95']:.3g} | "
            f"{r['shrink']:.0%} |"
        )
    return "\n".join(lines)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from experiments.batch.executors import make_executor, warm_up
    from experiments.calibration.abc import run_abc
    from experiments.errors import UserError
    from experiments.validation.validate import update_doc_section

    if args.population < 2 or args.generations < 1:
        raise UserError("--population must be at least 2 and --generations at least 1")
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} is a file; choose a directory")
    import pyabc  # noqa: F401  (configures its loggers on import; quieten them after)

    for name in ("ABC", "ABC.History", "ABC.Sampler", "ABC.Distance", "ABC.Epsilon"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warm_up(args.workers, args.dask)
    executor = make_executor(args.workers, args.dask)
    t0 = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            history = run_abc(args.population, args.generations, executor, f"{tmp}/abc.db",
                              seed=args.seed)
            frame = _posterior_frame(history)
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
    args.out.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(args.out / "posterior.parquet")
    (args.out / "calibration.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    table = compute_posterior_table(frame)
    command = (f"compute-market calibrate --population {args.population} "
               f"--generations {args.generations}")
    text = format_calibration(table, meta, command)
    print(text)
    if not args.no_doc:
        update_doc_section(args.doc, "calibration", text)
        print(f"Wrote the calibration section of {args.doc}", file=sys.stderr)
    print(f"Wrote {args.out / 'posterior.parquet'} ({frame.height} parameter sets)")
    return 0
