"""The results table of docs/antitrust.md ('Shipped what-ifs and their results').

Runs every shipped what-if against its reference on seeds 1-10 (paired, as
`compute-market compare`), on a process pool; `compute-market docs antitrust` rewrites the
table between the `<!-- begin:whatif-table -->` and `<!-- end:whatif-table -->` markers.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl

from experiments.analysis.compare import compute_comparison, run_pair
from experiments.scenario.loader import load_scenario

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "antitrust.md"
BEGIN, END = "<!-- begin:whatif-table -->", "<!-- end:whatif-table -->"
PAIRS = (
    ("baseline", "what_if/block_nvidia_openai"),
    ("baseline", "what_if/no_vendor_financing"),
    ("what_if/investor_exclusivity", "what_if/exclusivity_banned"),
    ("baseline", "what_if/exclusivity_banned"),
    ("baseline", "what_if/fair_packaging"),
    ("baseline", "what_if/microsoft_divests_2026"),
    ("baseline", "what_if/block_amazon_openai_equity"),
    ("baseline", "what_if/interoperability"),
    ("baseline", "what_if/guidelines_2023_minority"),
    ("baseline", "what_if/packaging_disruption"),
    ("baseline", "what_if/ai_revenue_slowdown"),
    ("baseline", "what_if/regime_strict"),
    ("baseline", "what_if/cap_equity"),
)
COLUMNS = (
    ("Nvidia accel. share", "share accelerators Nvidia"),
    ("HHI accel.", "hhi accelerators"),
    ("MHHI accel.", "mhhi accelerators"),
    ("MHHI cloud", "mhhi cloud"),
    ("accel. price $B/GW", "price accelerators"),
    ("$k/PFLOP/s", "price_usd_k_per_pflops accelerators"),
    ("foreclosure accel.", "foreclosure_share accelerators"),
    ("foreclosure cloud", "foreclosure_share cloud"),
    ("deployed GW", "deployed_gw"),
    ("Nvidia circularity", "circularity Nvidia"),
    ("OpenAI suppliers", "openai_suppliers"),
    ("fringe chips GW (cum.)", "fringe_cum_gw accelerators"),
    ("deals blocked", "deals_blocked"),
)


def _fmt(x: float) -> str:
    if x == 0 or math.isnan(x):
        return "0" if x == 0 else "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def _compare(pair: tuple[str, str], seeds: int) -> pl.DataFrame:
    ref, var = (load_scenario(name) for name in pair)
    return compute_comparison(run_pair(ref, var, range(1, seeds + 1)))


def build_table(seeds: int, workers: int) -> str:
    """The markdown table: one row per what-if, then the baseline levels."""
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_compare, PAIRS, [seeds] * len(PAIRS)))
    head = "| what-if (vs reference) | " + " | ".join(c for c, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    base_levels: dict[str, float] = {}
    for (ref, var), cmp in zip(PAIRS, results, strict=True):
        by = {r["metric"]: r for r in cmp.iter_rows(named=True)}
        cells = []
        for _, metric in COLUMNS:
            r = by.get(metric)
            if r is None:
                cells.append("n/a")
                continue
            if ref == "baseline":
                base_levels[metric] = r["reference_mean"]
            if r["excludes_zero"] and not math.isnan(r["ci_low"]):
                cells.append(
                    f"**{_fmt(r['mean_diff'])}** [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
                )
            elif r["excludes_zero"]:
                cells.append(f"**{_fmt(r['mean_diff'])}**")
            else:
                cells.append(_fmt(r["mean_diff"]))
        lines.append(f"| `{var}` vs `{ref}` | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "| baseline level | "
        + " | ".join(_fmt(base_levels.get(m, math.nan)) for _, m in COLUMNS)
        + " |"
    )
    return "\n".join(lines)


def render(text: str, table: str, commit: str, seeds: int) -> str:
    """`text` (the whole docs/antitrust.md) with the table between the markers replaced.

    Raises:
        ValueError: the markers are missing.
    """
    if BEGIN not in text or END not in text:
        raise ValueError(f"markers {BEGIN!r} and {END!r} not found")
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    return (
        text[:a] + f"\n(computed at commit {commit}, seeds 1-{seeds})\n\n" + table + "\n"
        + text[b:]
    )
