"""The checks of docs/validation.md: stylised facts over seeds, and the docking table.

`fact_metrics_task` and `summarize_facts` score each target fact of
`experiments.validation.facts` (mean over the seeds inside the band; input facts are shown,
not scored); `format_docking` writes the textbook cases of `experiments.validation.docking`.
`update_doc_section` writes one section of a document (between ``<!-- begin:NAME -->`` and
``<!-- end:NAME -->`` markers; the rest of the file is kept). The commands are
`experiments/cli/validate.py` and `experiments/cli/docking.py`; they exit `CHECKS_FAILED` when a
check fails.
"""

from __future__ import annotations

import math
import platform
import statistics
from pathlib import Path
from typing import Any

from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from experiments.validation.docking import TOLERANCE
from experiments.validation.facts import FACTS, NOT_COVERED, REMOVED, compute_fact_metrics

__all__ = [
    "CHECKS_FAILED", "DOC", "fact_metrics_task", "format_docking", "format_facts",
    "format_value",
    "summarize_facts", "update_doc_section",
]

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
    return compute_fact_metrics(run(load_scenario(scenario, list(overrides), seed=seed)))


def _quantile(values: list[float], q: float) -> float:
    vals = sorted(values)
    if not vals:
        return math.nan
    pos = q * (len(vals) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def summarize_facts(rows: list[dict[str, float]]) -> list[dict[str, Any]]:
    """Per check: role, mean and 5-95% range over the runs (nan runs left out), band, pass."""
    out = []
    for check in FACTS:
        vals = [r[check.key] for r in rows if math.isfinite(r.get(check.key, math.nan))]
        mean = statistics.fmean(vals) if vals else math.nan
        out.append({
            "fact": check, "role": check.role.value, "mean": mean,
            "p05": _quantile(vals, 0.05), "p95": _quantile(vals, 0.95), "n": len(vals),
            "ok": check.compute_pass(mean),
        })
    return out


def format_value(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    if 1900 < x < 2200:  # a decimal year
        return f"{x:.2f}"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _rows(summary: list[dict[str, Any]], role: str, verdict: tuple[str, str]) -> list[str]:
    lines = [
        "| stylised fact | metric | band | model mean | model 5-95% | result | fact (source) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        if s["role"] != role:
            continue
        f = s["fact"]
        unit = f" {f.unit}" if f.unit else ""
        lines.append(
            f"| {f.text} | {f.metric} | {f.band}{unit} | {format_value(s['mean'])} | "
            f"{format_value(s['p05'])} - {format_value(s['p95'])} | "
            f"{verdict[0] if s['ok'] else verdict[1]} | "
            f"{f.source} |"
        )
    return lines


def format_facts(summary: list[dict[str, Any]], n_runs: int, command: str) -> str:
    """The facts section of docs/validation.md (markdown): scored targets, then inputs."""
    targets = [s for s in summary if s["role"] == "target"]
    passed = sum(s["ok"] for s in targets)
    missed = [s["fact"].key for s in targets if not s["ok"]]
    flat = [s["fact"].key for s in targets if s["n"] > 1 and s["p05"] == s["p95"]]
    lines = [
        "## Facts: targets (scored) and inputs (reported)",
        "",
        f"Command: `{command}` ({n_runs} runs of the baseline, seeds 1-{n_runs}; "
        f"{platform.python_version()}). Facts and sources: "
        "`experiments/calibration/facts.toml`; metrics: `experiments/validation/facts.py`. "
        "A *target* is a fact no parameter was set from; it passes when the mean over the runs "
        "lies in its band. An *input* is a fact a parameter was set from: it is shown to check "
        "that the parameter does what it was set for, and not scored.",
        "",
        f"**{passed} of {len(targets)} targets pass**"
        + (f"; missed: {', '.join(missed)}." if missed else ".")
        + (f" {len(flat)} of them ({', '.join(flat)}) take the same value in every run: the "
           "history before 2026 is mostly replayed, so seeds barely move them." if flat else ""),
        "",
        "### Targets",
        "",
        *_rows(summary, "target", ("pass", "**MISS**")),
        "",
        "### Inputs (not scored)",
        "",
        *_rows(summary, "input", ("reproduced", "**not reproduced**")),
        "",
        "Removed because they could not fail:",
        "",
    ]
    lines += [f"- {what}: {why}." for what, why in REMOVED]
    lines += ["", "Targets the model does not cover:", ""]
    lines += [f"- {fact_id}, {text}: {why}." for fact_id, text, why in NOT_COVERED]
    return "\n".join(lines)


def format_docking(table: Any) -> str:
    """The docking section of docs/validation.md (markdown) from `compute_docking_table`."""
    lines = [
        "## Docking: textbook equilibria",
        "",
        "Command: `compute-market docking`. Each case runs a shipped scenario of "
        "`experiments/scenarios/docking/` (with the `--set` overrides shown) through "
        "`experiments.run.runner.run`, which builds the market model (`world.model`) with the "
        "fringe, physical layer, dated events and regulator switched off (`[components]`) and "
        "the case's textbook market (`world.textbook`) as one more component "
        "(`experiments/validation/docking_model.py`); the firms play it in their own monthly "
        "decisions (`agents.textbook`: the vendors' and clouds' best responses; "
        "`agents.negotiation` for `rubinstein`; for `nash` and `outside_option` a link's terms "
        "(`world.bargaining`) struck by `agents.contracting`, as every market contract is; "
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
