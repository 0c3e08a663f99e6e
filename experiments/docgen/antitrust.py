"""The what-if section of docs/antitrust.md: every shipped what-if against its reference.

`compute_whatif_table` runs each shipped what-if paired with its reference on the same seeds
(`experiments.analysis.compare`); `build_section` turns the comparisons into the Markdown
written between the ``<!-- begin:whatif-table -->`` and ``<!-- end:whatif-table -->`` markers:
the table of headline effects at the last month and, per what-if, its theory of harm and what
the model says (the headline effects the seeds resolve). ``compute-market whatifs
--write-docs docs/antitrust.md`` (`experiments.cli.whatifs`) writes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from experiments.analysis.compare import compute_comparison, run_pairs
from experiments.analysis.compare_text import format_number
from experiments.scenario.loader import load_scenario

__all__ = ["BEGIN", "COLUMNS", "END", "SECTION", "WHATIFS", "build_section",
           "compute_whatif_table"]

SECTION = "whatif-table"
"""Name of the section in docs/antitrust.md (its ``begin:``/``end:`` markers)."""
BEGIN, END = f"<!-- begin:{SECTION} -->", f"<!-- end:{SECTION} -->"
BASE = "baseline"
WHATIFS: tuple[tuple[str, str, str], ...] = (
    (BASE, "what_if/block_nvidia_openai",
     "vertical partial ownership and circular financing: the dominant chip vendor's stake in "
     "its largest customer may tie the customer's chip demand to the vendor (input and "
     "customer foreclosure, 2023 Merger Guidelines 5-6)"),
    (BASE, "what_if/no_vendor_financing",
     "circular financing: vendors' money comes back as chip purchases, tying buyers' demand "
     "and inflating the vendors' sales"),
    ("what_if/investor_exclusivity", "what_if/exclusivity_banned",
     "exclusive dealing by investors forecloses rival suppliers from the investee's demand "
     "(Whinston 1990; Segal & Whinston 2000)"),
    (BASE, "what_if/exclusivity_banned",
     "as above, in a world without investor exclusivity (a placebo: nothing to ban)"),
    (BASE, "what_if/fair_packaging",
     "access to a bottleneck input: pro-rata packaging allocation favours the designer with "
     "the largest backlog"),
    (BASE, "what_if/microsoft_divests_2026",
     "partial ownership of a downstream rival (Microsoft in OpenAI, both selling cloud "
     "capacity) softens competition (O'Brien & Salop 2000); divestiture as the remedy"),
    (BASE, "what_if/block_amazon_openai_equity",
     "a cloud's stake in a lab that also builds cloud capacity: horizontal overlap through a "
     "minority stake (MHHI in cloud)"),
    (BASE, "what_if/interoperability",
     "switching costs (software lock-in) protect the incumbent vendor (Farrell & Klemperer "
     "2007); an interoperability remedy"),
    (BASE, "what_if/guidelines_2023_minority",
     "silent minority stakes still change incentives: reviewing them under the 2023 screens "
     "(MHHI, vGUPPI, foreclosure)"),
    (BASE, "what_if/packaging_disruption",
     "none, a supply shock: who absorbs scarce packaging capacity"),
    (BASE, "what_if/ai_revenue_slowdown",
     "none, a demand shock: who can still honour multi-year commitments"),
    (BASE, "what_if/regime_strict",
     "vendor financing by a dominant supplier raises rivals' costs of reaching its customers "
     "(Salop & Scheffman 1983): blocked under the strict regime"),
    (BASE, "what_if/cap_equity", "partial ownership softens competition: a 5% cap on stakes"),
)
"""(reference, what-if, theory of harm) of each shipped what-if."""
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Nvidia accel. share (pp)", "share accelerators Nvidia"),
    ("HHI accel.", "hhi accelerators"),
    ("MHHI - HHI cloud", "mhhi_minus_hhi cloud"),
    ("accel. price (USD B/GW)", "price accelerators"),
    ("USD k/PFLOP/s", "price_usd_k_per_pflops accelerators"),
    ("foreclosure accel. (pp)", "foreclosure_share accelerators"),
    ("foreclosure cloud (pp)", "foreclosure_share cloud"),
    ("unaffil. price accel.", "unaffiliated_price accelerators"),
    ("deployed GW", "deployed_gw"),
    ("Nvidia circularity (pp)", "circularity Nvidia"),
    ("fringe chips GW (cum.)", "fringe_cum_gw accelerators"),
    ("deals blocked", "deals_blocked"),
)
"""(column title, comparison label) of the table."""


def _cell(row: dict | None) -> str:
    if row is None:
        return "n/a"
    diff = format_number(row["mean_diff"])
    if row["exact"]:
        return f"**{diff}** (exact)" if abs(row["mean_diff"]) > 1e-9 else "0"
    if row["significant"]:
        return f"**{diff}** [{format_number(row['ci_low'])}, {format_number(row['ci_high'])}]"
    return diff


def _says(rows: dict[str, dict]) -> str:
    """The headline effects the seeds resolve, largest t first, as one sentence."""
    hits = []
    for title, label in COLUMNS:
        r = rows.get(label)
        if r is None or not (r["significant"] or (r["exact"] and abs(r["mean_diff"]) > 1e-9)):
            continue
        width = (r["ci_high"] - r["ci_low"]) or 0.0
        strength = math.inf if r["exact"] else abs(r["mean_diff"]) / max(width, 1e-12)
        base = format_number(r["reference_mean"])
        hits.append((strength, f"{title} {format_number(r['mean_diff'])} (from {base})"))
    if not hits:
        return "no headline metric moves beyond seed noise."
    hits.sort(key=lambda h: -h[0])
    return "; ".join(text for _, text in hits[:5]) + "."


def build_section(table: pl.DataFrame, seeds: int, commit: str) -> str:
    """The Markdown between the markers from the comparisons of all what-ifs (`table`: the
    output of `compute_comparison` with every pair, at every month)."""
    last = table.filter(pl.col("step") == pl.col("step").max())
    when = f"{last['date'][0]:%Y-%m}" if last.height else "?"
    lines = [f"(computed at commit {commit}, seeds 1-{seeds}, month {when}; **bold**: resolved "
             "by the seeds after a Holm adjustment, with the 95% interval)", "",
             "| what-if (vs reference) | " + " | ".join(t for t, _ in COLUMNS) + " |",
             "|" + "---|" * (len(COLUMNS) + 1)]
    notes, levels = [], {}
    for ref, var, harm in WHATIFS:
        pair = last.filter((pl.col("reference") == ref) & (pl.col("variant") == var))
        rows = {r["label"]: r for r in pair.iter_rows(named=True)}
        if ref == BASE:
            levels.update({lab: r["reference_mean"] for lab, r in rows.items()})
        lines.append(f"| `{var}` vs `{ref}` | "
                     + " | ".join(_cell(rows.get(lab)) for _, lab in COLUMNS) + " |")
        notes.append(f"- **`{var}` vs `{ref}`**. Theory of harm: {harm}. The model: "
                     f"{_says(rows)}")
    lines += ["", "| baseline level | " + " | ".join(
        format_number(levels.get(lab, math.nan)) for _, lab in COLUMNS) + " |", "", *notes]
    return "\n".join(lines)


def compute_whatif_table(seeds: Sequence[int], workers: int = 1) -> pl.DataFrame:
    """The comparisons of every shipped what-if with its reference on `seeds`, every month
    (`compute_comparison` columns; the what-ifs sharing a reference run together, so the
    reference runs once per seed)."""
    by_ref: dict[str, list[str]] = {}
    for ref, var, _ in WHATIFS:
        by_ref.setdefault(ref, []).append(var)
    tables = []
    for ref, variants in by_ref.items():
        runs = run_pairs(load_scenario(ref), [load_scenario(v) for v in variants], list(seeds),
                         workers=workers)
        tables.append(compute_comparison(runs))
    return pl.concat(tables)
