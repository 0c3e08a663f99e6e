"""`compute-market backtest --cutoff YYYY-MM --seeds N`: the out-of-sample backtest of
`experiments.validation.backtest` (registered in `experiments.cli.main.SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "format_backtest"]

DOC = Path("docs/validation.md")


def add_parser(sub: Any) -> None:
    """Register `compute-market backtest`."""
    p = sub.add_parser(
        "backtest",
        help="hold out the announcements after a cutoff and score the deals the agents make",
        description="Run a scenario (default: baseline) over seeds 1..N with "
        "simulation.history_cutoff at the cutoff, so the dated deal announcements after it are "
        "left out, and score each held-out announcement (a hit when the model signs a deal of "
        "the same kind between the same parties within 6 months and a factor 2 in size) and "
        "the held-out target facts. Prints a scorecard, writes backtest.parquet (one row per "
        "run and announcement) and scorecard.csv to --out and the section of docs/validation.md.",
    )
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario (default baseline)")
    p.add_argument("--cutoff", default="2025-09", help="last month kept, YYYY-MM (default 2025-09)")
    p.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--out", type=Path, help="output directory (default runs/backtest-<cutoff>)")
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="do not write the doc section")
    p.set_defaults(handler=_cmd_backtest)


def _check_args(args: argparse.Namespace) -> None:
    from experiments.errors import UserError
    from experiments.scenario.loader import load_scenario

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.cutoff):
        raise UserError(f"--cutoff must be a month YYYY-MM (got {args.cutoff!r})")
    if args.seeds < 1:
        raise UserError(f"--seeds must be at least 1 (got {args.seeds})")
    load_scenario(args.scenario, [f"simulation.history_cutoff='{args.cutoff}'"])


def _cmd_backtest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from experiments.batch.ensemble import map_runs
    from experiments.errors import UserError
    from experiments.scenario.loader import load_scenario
    from experiments.validation.backtest import backtest_task, compute_held_out, summarize
    from experiments.validation.validate import update_doc_section

    _check_args(args)
    held = compute_held_out(load_scenario(args.scenario), args.cutoff)
    if not held:
        raise UserError(f"nothing is held out: no announcement of {args.scenario} is dated "
                        f"after --cutoff {args.cutoff}")
    t0 = time.perf_counter()
    tasks = [(args.scenario, args.cutoff, s) for s in range(1, args.seeds + 1)]
    outs = map_runs(backtest_task, tasks, workers=args.workers, label="backtest runs")
    per_run, card = summarize(held, outs)
    table = Table(title=f"Backtest at cutoff {args.cutoff} ({args.seeds} seeds)")
    for col in ("item", "month", "held out", "model", "hit rate", "result"):
        table.add_column(col)
    for r in card.iter_rows(named=True):
        rate = "" if math.isnan(r["hit_rate"]) else f"{r['hit_rate']:.0%}"
        table.add_row(r["item"], r["month"], r["expected"], r["model"], rate,
                      "[green]hit[/green]" if r["hit"] else "[red]miss[/red]")
    Console(file=sys.stdout, width=140).print(table)
    out = args.out or Path("runs") / f"backtest-{args.cutoff}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        per_run.write_parquet(out / "backtest.parquet")
        card.write_csv(out / "scorecard.csv")
    except OSError as exc:
        raise UserError(
            f"cannot write {out}: {exc.strerror or exc}; choose another --out"
        ) from None
    command = "compute-market backtest" + (f" {args.scenario}" if args.scenario != "baseline"
                                           else "")
    command += f" --cutoff {args.cutoff} --seeds {args.seeds}"
    if not args.no_doc:
        update_doc_section(args.doc, "backtest", format_backtest(card, command))
        print(f"Wrote the backtest section of {args.doc}")
    hits = int(card["hit"].sum())
    print(f"{hits}/{card.height} held-out items hit ({time.perf_counter() - t0:.0f} s); "
          f"wrote {out / 'backtest.parquet'} and {out / 'scorecard.csv'}")
    return 0


def format_backtest(card: Any, command: str) -> str:
    """The backtest section of docs/validation.md (markdown)."""
    hits = int(card["hit"].sum())
    lines = [
        "## Backtest: announcements held out",
        "",
        f"Command: `{command}`. Hit: the agents sign a deal of the same kind between the same "
        "parties within 6 months of the announcement and within a factor 2 of its size, in at "
        "least half the runs (D1b: the letter of intent is not signed by 2025-12); a held-out "
        "target hits when the mean over the runs is in its band. "
        "Per-run rows: `runs/backtest-<cutoff>/backtest.parquet`.",
        "",
        f"**{hits} of {card.height} held-out items hit.**",
        "",
        "| item | what | month | held out | model | hit rate | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in card.iter_rows(named=True):
        rate = "" if math.isnan(r["hit_rate"]) else f"{r['hit_rate']:.0%}"
        lines.append(f"| {r['item']} | {r['what']} | {r['month']} | {r['expected']} | "
                     f"{r['model']} | {rate} | {'hit' if r['hit'] else '**miss**'} |")
    return "\n".join(lines)
