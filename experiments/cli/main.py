"""The `compute-market` command line: one registry of subcommands, each loaded only when used.

`SUBCOMMANDS` lists every subcommand as ``Command(name, module, help)``; the module, under
``experiments/cli/``, holds that command's code (its arguments and the handler that calls the
domain functions of `experiments`). ``compute-market --help`` lists them all from the registry
alone; only the module of the command being run is imported, so the start-up stays light (no
matplotlib, mesa or polars for ``--help``). This is why the command modules are imported by
name (`importlib`) rather than at the top of this file.

A command module (``experiments/cli/NAME.py``) defines:

- ``DESCRIPTION``: the paragraph shown by ``compute-market NAME --help``;
- ``add_arguments(parser)``: adds its arguments to an argparse parser;
- ``handle(args) -> int``: runs the command and returns the exit code.

A module that adds its own parser (several commands in one module, or an existing
``add_x_parser(subparsers)`` function that calls ``subparsers.add_parser(NAME, ...)`` and sets
``handler``) is registered as ``"module:function"`` instead. Either way, adding a subcommand is
one line in `SUBCOMMANDS` (or `register_subcommand` from a plug-in).

Exit codes: 0 success; 2 a user mistake (one line ``compute-market: error: ...`` on stderr,
nothing written); 1 a bug (traceback, and no half-written run directory); 130 interrupted.
Some commands add their own (`validate` and `docking` exit 3 when a check fails).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, NoReturn

from experiments.errors import UserError

__all__ = ["SUBCOMMANDS", "Command", "build_parser", "main", "register_subcommand"]

PROG = "compute-market"
Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, where its code is, and its one-line help.

    `module` is a command module (``experiments.cli.run``) or ``module:function`` for a
    function that adds the subcommand's parser itself.
    """

    name: str
    module: str
    help: str

    def load(self, sub: Any) -> None:
        """Import the command's code and add its full parser to `sub` (argparse subparsers)."""
        module_name, _, adder = self.module.partition(":")
        module = importlib.import_module(module_name)
        if adder:
            getattr(module, adder)(sub)
            return
        p = sub.add_parser(self.name, help=self.help, description=module.DESCRIPTION)
        module.add_arguments(p)
        p.set_defaults(handler=module.handle)


SUBCOMMANDS: list[Command] = [
    Command("run", "experiments.cli.run",
            "run one scenario and write its tables, manifest and share figure"),
    Command("scenarios", "experiments.cli.scenarios", "list the shipped scenarios"),
    Command("batch", "experiments.cli.batch",
            "run a batch of scenario variants x seeds into a resumable results store"),
    Command("summarize", "experiments.cli.summarize",
            "ensemble statistics of a batch (mean, median, 5-95%% band)"),
    Command("compare", "experiments.cli.compare",
            "paired what-if comparison of scenarios over seeds: effects with intervals and "
            "adjusted p-values, every month"),
    Command("whatifs", "experiments.cli.whatifs",
            "run every shipped antitrust what-if against its reference; write the results "
            "section of docs/antitrust.md"),
    Command("plot", "experiments.cli.plot", "draw a figure of a run, batch or comparison"),
    Command("report", "experiments.cli.report",
            "write a self-contained HTML report of a run, batch or comparison"),
    Command("app", "experiments.cli.app",
            "start the interactive app (in your browser, on this machine only)"),
    Command("story", "experiments.cli.story",
            "the seeds' story over N baseline seeds (markdown)"),
    Command("validate", "experiments.cli.validate",
            "check the baseline against the facts of 2024-2026 over N seeds"),
    Command("docking", "experiments.cli.docking",
            "run the docking cases (Cournot, Rubinstein, Nash, outside option, double "
            "marginalisation)"),
    Command("sensitivity", "experiments.cli.sensitivity",
            "Morris screening, then Sobol indices, of the baseline's main parameters"),
    Command("discover", "experiments.cli.discover:add_discover_parser",
            "scenario discovery on a batch: which inputs lead to an outcome (PRIM, CART)"),
    Command("feature-scores", "experiments.cli.discover:add_feature_scores_parser",
            "rank the varied inputs of a batch by how much they move chosen outcomes"),
    Command("backtest", "experiments.cli.backtest",
            "hold out the announcements after a cutoff and score the deals the agents make"),
    Command("calibrate", "experiments.cli.calibrate",
            "fit the uncertain parameters to the facts by ABC-SMC; write the ensemble"),
    Command("widening", "experiments.cli.widening",
            "how much a calibrated ensemble widens a comparison's intervals (markdown)"),
    Command("docs", "experiments.cli.docs",
            "regenerate the generated key tables of docs/scenarios.md"),
]
"""Registered subcommands, in help order."""


def register_subcommand(name: str, module: str, help: str) -> None:
    """Register a subcommand (replacing one of the same name).

    Args:
        name: the subcommand's name, e.g. ``batch``.
        module: the importable module with ``DESCRIPTION``, ``add_arguments`` and ``handle``,
            or ``module:function`` for a function adding the subcommand's parser itself.
        help: one line shown by ``compute-market --help``.
    """
    SUBCOMMANDS[:] = [c for c in SUBCOMMANDS if c.name != name]
    SUBCOMMANDS.append(Command(name, module, help))


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors become `UserError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _version() -> str:
    try:
        return metadata.version("compute-market")
    except metadata.PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version`` that reads the installed version only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        print(f"{PROG} {_version()}")
        parser.exit()


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand.

    Args:
        load: names of the commands whose modules are imported and whose arguments are added
            (default: all). The others get a parser with their help line only.
    """
    parser = _Parser(
        prog=PROG,
        description="Agent-based simulation of the AI-compute market: chip supply, cloud "
        "capacity and equity deals over a physical layer.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for cmd in SUBCOMMANDS:
        if load is None or cmd.name in load:
            cmd.load(sub)
        else:
            sub.add_parser(cmd.name, help=cmd.help)
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
def _command_name(argv: Sequence[str]) -> str | None:
    """The subcommand in `argv`: the first word that is not an option (the top-level options
    take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 ok, 1 a bug, 2 a user mistake, 130 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        name = _command_name(argv)
        parser = build_parser(load=[name] if name else [])
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
    except BrokenPipeError:
        # the reader of stdout went away (`compute-market ... | head`): stop quietly, as a
        # filter does; stdout is pointed at devnull so the interpreter's final flush is silent
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
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
