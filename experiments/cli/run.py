"""`compute-market run`: run one scenario and write its run directory."""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console

from experiments.errors import UserError
from experiments.figures.plots import plot_share_panels, save_figure
from experiments.run.lock import OutputLock
from experiments.run.results import Results, check_out_dir
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from world.params import MARKETS

__all__ = ["DESCRIPTION", "add_arguments", "default_out_dir", "handle", "summary_lines"]

DESCRIPTION = (
    "Run one scenario (default: baseline) and write a run directory with the output tables "
    "(Parquet), manifest.json and shares.png."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``[SCENARIO] [--seed N] [--steps N] [--set KEY=VALUE]... [--out DIR] [--overwrite]``."""
    p.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        help="shipped scenario name (see `compute-market scenarios`) or path to a .toml file "
        "(default: baseline)",
    )
    p.add_argument("--seed", type=int, help="seed of the run (default: the scenario's seed)")
    p.add_argument("--steps", type=int, help="number of months to simulate (default: scenario's)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set firms.Nvidia.cash_usd_b=50 "
        "(value read as TOML; repeatable)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="run directory to write (default: runs/<scenario>-seed<N>; -<M>m is added for "
        "--steps M and -set-<hash> for --set overrides)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")


def default_out_dir(name: str, seed: int, overrides: Sequence[str] = (),
                    steps: int | None = None) -> Path:
    """Default run directory of a scenario and seed: ``runs/<name>-seed<N>`` ('/' -> '-');
    ``-<M>m`` is added for ``--steps M``, and ``-set-<h>`` for ``--set`` overrides, ``<h>``
    being 8 hex digits of the sha256 of the overrides in order. So a changed run never lands
    on (or overwrites) the plain run, and the same changes always find the same folder."""
    base = f"{name.replace('/', '-')}-seed{seed}"
    if steps is not None:
        base += f"-{int(steps)}m"
    if overrides:
        digest = hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
        base += f"-set-{digest}"
    return Path("runs") / base


def handle(args: argparse.Namespace) -> int:
    """Run the scenario, write the run directory and print a summary.

    The run directory is locked (`OutputLock`) from before the run until it is in place, so
    two commands writing the same ``--out`` at once cannot mix their files.
    """
    params = load_scenario(args.scenario, args.overrides, seed=args.seed, steps=args.steps)
    out = args.out if args.out is not None else default_out_dir(
        params.name, params.seed, args.overrides, args.steps)
    if out.is_file():
        check_out_dir(out, args.overwrite)
    try:
        lock = OutputLock(out, "run").acquire()  # held until the directory is in place
    except OSError as exc:
        raise UserError(
            f"cannot write the run directory {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    try:
        return _run_locked(args, params, out, lock)
    finally:
        lock.release()


def _run_locked(args: argparse.Namespace, params: Any, out: Path, lock: OutputLock) -> int:
    check_out_dir(out, args.overwrite)
    console = Console(file=sys.stdout, highlight=False)
    label = f"{params.name} (seed {params.seed}, {params.simulation.steps} months)"
    if sys.stdout.isatty():
        with console.status(f"Running {label}..."):
            results = run(params)
    else:
        results = run(params)
    fig = plot_share_panels(results)
    try:
        results.write(
            out, overwrite=args.overwrite, extra=lambda tmp: save_figure(fig, tmp / "shares.png"),
            lock=lock,
        )
    except OSError as exc:
        raise UserError(
            f"cannot write the run directory {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    for line in summary_lines(results):
        console.print(line, soft_wrap=True)
    console.print(
        f"Wrote [bold]{out}[/bold] ({len(results.tables)} tables, manifest.json, shares.png)",
        soft_wrap=True,
    )
    return 0


def _fmt_shares(rows: list[tuple[str, float]], top: int = 4) -> str:
    shown = [f"{firm} {share:.1%}" for firm, share in rows[:top]]
    rest = sum(share for _, share in rows[top:])
    if rest >= 0.0005:
        shown.append(f"others {rest:.1%}")
    return "  ".join(shown)


def _share_lines(results: Results) -> list[str]:
    shares, markets = results.tables["shares"], results.tables["markets"]
    if not shares.height:
        return []
    last = shares["step"].max()
    date = shares.filter(pl.col("step") == last)["date"][0]
    lines = [f"Final market shares ({date:%Y-%m}):"]
    for market in MARKETS:
        rows = shares.filter((pl.col("step") == last) & (pl.col("market") == market))
        pairs = sorted(zip(rows["firm"], rows["share"], strict=True), key=lambda r: -r[1])
        hhi = markets.filter((pl.col("step") == last) & (pl.col("market") == market))["hhi"]
        hhi_txt = f"HHI {hhi[0]:>6,.0f}" if len(hhi) else "HHI      -"
        lines.append(f"  {market:<14}{hhi_txt}   {_fmt_shares(pairs)}")
    return lines


def summary_lines(results: Any) -> list[str]:
    """Short readable summary of a run (rich markup): final shares and HHI per market, deployed
    GW and energy, OpenAI's valuation, deals by status."""
    m = results.manifest
    lines = [
        f"[bold]{m.get('scenario')}[/bold]  seed {m.get('seed')}  {m.get('steps')} months "
        f"from {m.get('start_month')}  ({m.get('duration_s', 0):.1f} s, run {m.get('run_id')})"
    ]
    lines += _share_lines(results)
    phys = results.tables["physical"]
    if phys.height:
        p = phys.sort("step").row(-1, named=True)
        if p.get("energy_twh_per_year") is not None:
            energy = f"{p['energy_twh_per_year']:.0f} TWh/year"
        else:
            energy = f"{p['energy_twh']:.1f} TWh in the last month"
        lines.append(
            f"Six named firms: deployed {p['deployed_gw']:.1f} GW (powered "
            f"{p['powered_gw']:.1f} GW), "
            f"{energy}, ~{p['homes_millions']:.1f} million US homes"
        )
    firms = results.tables["firms"]
    oai = firms.filter(pl.col("firm") == "OpenAI").sort("step")
    if oai.height:
        lines.append(f"OpenAI valuation ${oai['valuation_usd_b'][-1]:,.0f}B")
    deals = results.tables["deals"]
    if deals.height:
        counts = deals.group_by("status").len().sort(["len", "status"], descending=[True, False])
        text = ", ".join(f"{n} {s}" for s, n in counts.iter_rows())
        lines.append(f"Deals ({deals.height}): {text}")
    else:
        lines.append("Deals: none")
    return lines
