"""`compute-market validate` and `compute-market docking`: the checks of docs/validation.md.

`validate` runs the baseline over N seeds and checks each stylised fact of `experiments.facts`
(mean over the seeds inside the band); `docking` runs the textbook cases of
`experiments.docking`. Each writes its own section of docs/validation.md (between
``<!-- begin:NAME -->`` and ``<!-- end:NAME -->`` markers; the rest of the file is kept) and
exits 3 when a check fails (0 when all pass, 2 for a usage mistake).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_docking_parser", "add_validate_parser", "summarize_facts", "update_doc_section"]

DOC = Path("docs/validation.md")
CHECKS_FAILED = 3
"""Exit code when a fact or a docking case fails."""


def update_doc_section(path: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- begin:name -->`` and ``<!-- end:name -->`` in `path`
    (append the section, or create the file, when the markers are missing)."""
    begin, end = f"<!-- begin:{name} -->", f"<!-- end:{name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Validation\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def fact_metrics_task(scenario: str, overrides: tuple[str, ...], seed: int) -> dict[str, float]:
    """Worker: one run of `scenario` and its stylised-fact metrics."""
    from experiments.facts import compute_fact_metrics
    from experiments.runner import run
    from experiments.scenario import load_scenario

    return compute_fact_metrics(run(load_scenario(scenario, list(overrides), seed=seed)))


def _quantile(values: list[float], q: float) -> float:
    vals = sorted(values)
    if not vals:
        return math.nan
    pos = q * (len(vals) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def summarize_facts(rows: list[dict[str, float]]) -> list[dict[str, Any]]:
    """Per fact: mean and 5-95% range over the runs (nan runs left out), band, pass."""
    from experiments.facts import FACTS

    out = []
    for fact in FACTS:
        vals = [r[fact.key] for r in rows if math.isfinite(r.get(fact.key, math.nan))]
        mean = statistics.fmean(vals) if vals else math.nan
        out.append({
            "fact": fact, "mean": mean, "p05": _quantile(vals, 0.05),
            "p95": _quantile(vals, 0.95), "n": len(vals), "ok": fact.compute_pass(mean),
        })
    return out


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if 1900 < x < 2200:  # a decimal year
        return f"{x:.2f}"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def format_facts(summary: list[dict[str, Any]], n_runs: int, command: str) -> str:
    """The stylised-facts section of docs/validation.md (markdown)."""
    from experiments.facts import NOT_COVERED

    passed = sum(s["ok"] for s in summary)
    lines = [
        "## Stylised facts (pattern-oriented validation)",
        "",
        f"Command: `{command}` ({n_runs} runs of the baseline, seeds 1-{n_runs}; "
        f"{platform.python_version()}). A fact passes when the mean over the runs lies in the "
        "target band; the 5-95% range shows the spread across seeds. Metrics and bands: "
        "`experiments/facts.py`.",
        "",
        f"**{passed} of {len(summary)} facts pass.**",
        "",
        "| # | stylised fact | metric | target | model mean | model 5-95% | result | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        f = s["fact"]
        unit = f" {f.unit}" if f.unit else ""
        lines.append(
            f"| {f.number} | {f.text} | {f.metric} | {f.band}{unit} | {_fmt(s['mean'])} | "
            f"{_fmt(s['p05'])} - {_fmt(s['p95'])} | {'pass' if s['ok'] else '**FAIL**'} | "
            f"{f.source} |"
        )
    lines += ["", "Not covered by the model:", ""]
    for number, text, why in NOT_COVERED:
        lines.append(f"- fact {number}, {text}: {why}.")
    return "\n".join(lines)


def _print_summary(summary: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Stylised facts (mean over seeds must lie in the target band)")
    for col in ("#", "metric", "target", "mean", "5-95%", "result"):
        table.add_column(col)
    for s in summary:
        f = s["fact"]
        table.add_row(str(f.number), f.key, f.band, _fmt(s["mean"]),
                      f"{_fmt(s['p05'])} - {_fmt(s['p95'])}",
                      "[green]pass[/green]" if s["ok"] else "[red]FAIL[/red]")
    Console(file=sys.stdout, width=120).print(table)


def _cmd_validate(args: argparse.Namespace) -> int:
    from experiments.ensemble import map_runs
    from experiments.errors import UserError
    from experiments.scenario import load_scenario

    if args.seeds < 1:
        raise UserError(f"--seeds must be at least 1 (got {args.seeds})")
    load_scenario(args.scenario, args.overrides)  # fail fast on a bad scenario or --set
    t0 = time.perf_counter()
    tasks = [(args.scenario, tuple(args.overrides), seed) for seed in range(1, args.seeds + 1)]
    rows = map_runs(fact_metrics_task, tasks, workers=args.workers, label="baseline runs")
    summary = summarize_facts(rows)
    _print_summary(summary)
    failed = [s["fact"].key for s in summary if not s["ok"]]
    command = "compute-market validate" + (f" --seeds {args.seeds}" if args.seeds != 50 else "")
    if args.scenario != "baseline":
        command += f" {args.scenario}"
    command += "".join(f" --set {o}" for o in args.overrides)
    if not args.no_doc:
        update_doc_section(args.doc, "facts", format_facts(summary, args.seeds, command))
        print(f"Wrote the stylised-facts section of {args.doc}")
    print(f"{len(summary) - len(failed)}/{len(summary)} facts pass "
          f"({time.perf_counter() - t0:.0f} s)" + (f"; failed: {', '.join(failed)}" if failed
                                                   else ""))
    return CHECKS_FAILED if failed else 0


def add_validate_parser(sub: Any) -> None:
    """Register `compute-market validate`."""
    p = sub.add_parser(
        "validate",
        help="check the baseline against the stylised facts of 2024-2026 over N seeds",
        description="Run a scenario (default: baseline) over seeds 1..N and check each "
        "stylised fact of facts.md the model covers; write the table to docs/validation.md. "
        "Exit code 3 if a fact fails.",
    )
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario (default baseline)")
    p.add_argument("--seeds", type=int, default=50, help="number of seeds (default 50)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key (value read as TOML; repeatable)")
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="print only, do not write the doc")
    p.set_defaults(handler=_cmd_validate)


def format_docking(table: Any) -> str:
    """The docking section of docs/validation.md (markdown) from `compute_docking_table`."""
    from experiments.docking import TOLERANCE

    lines = [
        "## Docking: textbook equilibria",
        "",
        "Command: `compute-market docking`. Each case runs a shipped scenario of "
        "`experiments/scenarios/docking/` (with the `--set` overrides shown) through "
        "`experiments.runner.run`, which builds the market model (`world.model`) with the "
        "fringe, physical layer, dated events and regulator switched off (`[components]`) and "
        "the case's textbook market (`world.textbook`) as one more component; the firms play "
        "it in their own monthly decisions (`agents.textbook`: the vendors' and clouds' best "
        "responses; `agents.negotiation` for `rubinstein`; for `nash` and `outside_option` "
        "a link's terms (`world.bargaining`) struck by `agents.contracting`, as every market "
        "contract is; "
        "docs/odd.md 7.14). Required: relative error <= "
        f"{TOLERANCE:.1%} (`tests/experiments/test_docking.py` checks the same cases).",
        "",
        "Closed forms (a = `demand.intercept`, b = `demand.slope`, c = `vendors.marginal_costs`, "
        "S = `negotiation.surplus_usd_b`):",
        "",
        "- Cournot, N firms: q_i = (a - (N+1) c_i + sum c) / ((N+1) b), P = (a + sum c)/(N+1); "
        "a firm with q_i <= 0 exits and the rest re-solve (Tirole 1988, ch. 5).",
        "- Rubinstein (1982): proposer gets S (1 - d_r) / (1 - d_p d_r).",
        "- Generalised Nash (1950): seller gets d_s + w_s / (w_s + w_b) (S - d_s - d_b).",
        "- Outside option (Binmore, Rubinstein and Wolinsky 1986; Horn and Wolinsky 1988): a "
        "buyer valuing one GW at v = `negotiation.buyer_value_usd_b` with an alternative "
        "supplier at p_alt = `negotiation.alternative_price_usd_b` pays "
        "c + w_s / (w_s + w_b) (min(p_alt, v) - c); struck by alternating offers in rounds of "
        "a week, so the simulated price lies within about 0.2% of it.",
        "- Double marginalisation (Spengler 1950): separate w = (a+c)/2, P = (3a+c)/4, "
        "Q = (a-c)/(4b); integrated P = (a+c)/2, Q = (a-c)/(2b).",
        "",
        "| case (`--set`) | quantity | closed form | simulated | relative error | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.iter_rows(named=True):
        lines.append(
            f"| {r['case']} | {r['quantity']} | {r['closed_form']:.6g} | {r['simulated']:.6g} | "
            f"{r['rel_error']:.1e} | {'pass' if r['ok'] else '**FAIL**'} |"
        )
    return "\n".join(lines)


def _cmd_docking(args: argparse.Namespace) -> int:
    from experiments.docking import compute_docking_table

    table = compute_docking_table()
    text = format_docking(table)
    print(text)
    if not args.no_doc:
        update_doc_section(args.doc, "docking", text)
        print(f"Wrote the docking section of {args.doc}")
    return 0 if table["ok"].all() else CHECKS_FAILED


def add_docking_parser(sub: Any) -> None:
    """Register `compute-market docking`."""
    p = sub.add_parser(
        "docking",
        help="run the docking cases (Cournot, Rubinstein, Nash, outside option, double "
        "marginalisation)",
        description="Run the textbook docking cases and compare with their closed forms; "
        "write the table to docs/validation.md. Exit code 3 if a case is off by more than 0.5%.",
    )
    p.add_argument("--doc", type=Path, default=DOC, help=f"document to update (default {DOC})")
    p.add_argument("--no-doc", action="store_true", help="print only, do not write the doc")
    p.set_defaults(handler=_cmd_docking)
