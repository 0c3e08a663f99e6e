"""The `compute-market` command line.

Subcommands are registered in `SUBCOMMANDS` as ``(name, add_parser)`` pairs; ``add_parser``
receives argparse's subparsers object, adds its parser and sets ``handler`` (a function of the
parsed arguments returning the exit code). Adding a subcommand is two lines: import its
``add_parser`` function and append ``("name", add_parser)`` to `SUBCOMMANDS` (or call
`register_subcommand` from the module that defines it).

Exit codes: 0 success; 2 a user mistake (one line ``compute-market: error: ...`` on stderr,
nothing written); 1 a bug (traceback, and no half-written run directory); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from experiments.analysis.compare import add_parser as add_compare_parser
from experiments.cli.batch import add_batch_parser, add_summarize_parser
from experiments.cli.figures import add_app_parser, add_plot_parser, add_report_parser
from experiments.errors import UserError
from experiments.validation.sensitivity import add_parser as add_sensitivity_parser
from experiments.validation.story import add_parser as add_story_parser
from experiments.validation.validate import add_docking_parser, add_validate_parser

__all__ = ["SUBCOMMANDS", "build_parser", "main", "register_subcommand"]

PROG = "compute-market"
Handler = Callable[[argparse.Namespace], int]
AddParser = Callable[[Any], None]


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors become `UserError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("compute-market")
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- run


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run one scenario and write its tables, manifest and share figure",
        description="Run one scenario (default: baseline) and write a run directory with the "
        "output tables (Parquet), manifest.json and shares.png.",
    )
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
        help="run directory to write (default: runs/<scenario>-seed<N>)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.set_defaults(handler=_cmd_run)


def default_out_dir(name: str, seed: int) -> Path:
    """Default run directory of a scenario and seed: ``runs/<name>-seed<N>`` ('/' -> '-')."""
    return Path("runs") / f"{name.replace('/', '-')}-seed{seed}"


def _cmd_run(args: argparse.Namespace) -> int:
    from experiments.run.lock import OutputLock
    from experiments.run.results import check_out_dir
    from experiments.scenario.loader import load_scenario

    params = load_scenario(args.scenario, args.overrides, seed=args.seed, steps=args.steps)
    out = args.out if args.out is not None else default_out_dir(params.name, params.seed)
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


def _run_locked(args: argparse.Namespace, params: Any, out: Path, lock: Any) -> int:
    from rich.console import Console

    from experiments.figures.plots import plot_share_panels, save_figure
    from experiments.run.results import check_out_dir
    from experiments.run.runner import run

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


def summary_lines(results: Any) -> list[str]:
    """Short readable summary of a run (rich markup): final shares and HHI per market, deployed
    GW and energy, OpenAI's valuation, deals by status."""
    import polars as pl

    from world.params import MARKETS

    m = results.manifest
    lines = [
        f"[bold]{m.get('scenario')}[/bold]  seed {m.get('seed')}  {m.get('steps')} months "
        f"from {m.get('start_month')}  ({m.get('duration_s', 0):.1f} s, run {m.get('run_id')})"
    ]
    shares, markets = results.tables["shares"], results.tables["markets"]
    if shares.height:
        last = shares["step"].max()
        date = shares.filter(pl.col("step") == last)["date"][0]
        lines.append(f"Final market shares ({date:%Y-%m}):")
        for market in MARKETS:
            rows = shares.filter((pl.col("step") == last) & (pl.col("market") == market))
            pairs = sorted(zip(rows["firm"], rows["share"], strict=True), key=lambda r: -r[1])
            hhi = markets.filter((pl.col("step") == last) & (pl.col("market") == market))["hhi"]
            hhi_txt = f"HHI {hhi[0]:>6,.0f}" if len(hhi) else "HHI      -"
            lines.append(f"  {market:<14}{hhi_txt}   {_fmt_shares(pairs)}")
    phys = results.tables["physical"]
    if phys.height:
        p = phys.sort("step").row(-1, named=True)
        if p.get("energy_twh_per_year") is not None:
            energy = f"{p['energy_twh_per_year']:.0f} TWh/year"
        else:
            energy = f"{p['energy_twh']:.1f} TWh in the last month"
        lines.append(
            f"Deployed {p['deployed_gw']:.1f} GW (powered {p['powered_gw']:.1f} GW), "
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


# --------------------------------------------------------------------------- scenarios


def _add_scenarios(sub: Any) -> None:
    p = sub.add_parser(
        "scenarios",
        help="list the shipped scenarios",
        description="List the shipped scenarios, one per line: name and description.",
    )
    p.set_defaults(handler=_cmd_scenarios)


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from experiments.scenario.loader import list_scenarios

    rows = list_scenarios()
    if not rows:
        print("no shipped scenarios found (experiments/scenarios/ is empty)")
        return 0
    width = max(len(name) for name, _ in rows)
    for name, desc in rows:
        print(f"{name:<{width}}  {desc}".rstrip())
    return 0


# --------------------------------------------------------------------------- registry, main

SUBCOMMANDS: list[tuple[str, AddParser]] = [
    ("run", _add_run),
    ("scenarios", _add_scenarios),
    ("batch", add_batch_parser), ("summarize", add_summarize_parser),
    ("compare", add_compare_parser),
    ("plot", add_plot_parser),
    ("report", add_report_parser),
    ("app", add_app_parser),
    ("story", add_story_parser),
    ("validate", add_validate_parser),
    ("docking", add_docking_parser),
    ("sensitivity", add_sensitivity_parser),
]
"""Registered subcommands, in help order: (name, function adding its parser)."""


def register_subcommand(name: str, add_parser: AddParser) -> None:
    """Register a subcommand (replacing one of the same name).

    Args:
        name: the subcommand's name, e.g. ``batch``.
        add_parser: called with argparse's subparsers object; must add a parser named `name`
            and ``set_defaults(handler=...)`` with a function ``(args) -> exit code``.
    """
    SUBCOMMANDS[:] = [(n, f) for n, f in SUBCOMMANDS if n != name]
    SUBCOMMANDS.append((name, add_parser))


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = _Parser(
        prog=PROG,
        description="Agent-based simulation of the AI-compute market: chip supply, cloud "
        "capacity and equity deals over a physical layer.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for _name, add in SUBCOMMANDS:
        add(sub)
    return parser


MAX_SEED = 2**63 - 1
"""Largest seed: tables store seeds as signed 64-bit integers."""

ARG_LIMITS: dict[str, tuple[float, float, bool, str]] = {
    "seed": (0, MAX_SEED, False, "a seed is a whole number"),
    "first_seed": (0, MAX_SEED, False, "a seed is a whole number"),
    "seeds": (1, 100_000, False, "a number of seeds (replications) is"),
    "steps": (1, 600, False, "a number of months (simulation.steps) is"),
    "workers": (1, 1024, False, "a number of worker processes is"),
    "trajectories": (1, 10_000, False, "a number of trajectories is"),
    "n": (1, 1 << 20, False, "a sample size is"),
    "top": (1, 1000, False, "a number of parameters is"),
    "level": (0.0, 1.0, True, "an interval level is"),
    "port": (0, 65535, False, "a port is"),
}
"""Numeric arguments of any subcommand, by their destination name: (low, high, open interval,
what they are). Checked once for every command by `check_args`."""


def check_args(args: argparse.Namespace) -> None:
    """Check the numeric arguments against `ARG_LIMITS` (whatever the subcommand).

    Raises:
        UserError: one line naming the option, its value and the allowed range.
    """
    import math

    for dest, (low, high, open_, what) in ARG_LIMITS.items():
        value = getattr(args, dest, None)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        inside = low < value < high if open_ else low <= value <= high
        if not math.isfinite(value) or not inside:
            bounds = f"between {low:g} and {high:g}" if open_ else f"from {low:,} to {high:,}"
            flag = "--" + dest.replace("_", "-")
            raise UserError(f"{flag} {value}: {what} {bounds}")
    first, seeds = getattr(args, "first_seed", None), getattr(args, "seeds", None)
    if isinstance(first, int) and isinstance(seeds, int) and first + seeds - 1 > MAX_SEED:
        raise UserError(f"--first-seed {first} with --seeds {seeds}: the last seed would pass "
                        f"{MAX_SEED:,}; start lower")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 ok, 1 a bug, 2 a user mistake, 130 interrupted.
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            raise UserError(f"no command given; try `{PROG} run` or `{PROG} --help`")
        check_args(args)
        return handler(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except UserError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        detail = f"; {exc}" if str(exc) and not str(exc).startswith("SIG") else ""
        print(f"{PROG}: interrupted{detail}", file=sys.stderr)
        return 130
    except Exception as exc:
        traceback.print_exc()
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} -- this is a bug, not your "
            "mistake; please report it with the command you ran",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
