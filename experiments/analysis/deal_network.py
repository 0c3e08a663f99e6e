"""Who signs with whom: the endogenous deal network over seeds (docs/validation.md).

`compute_pair_table` runs a scenario over seeds and counts, for every (source, target, kind)
pair, the negotiated deals the firms signed: in how many seeds the pair signed at least once,
how many deals a seed signs on average, the median month of the first signing and the median
price and surplus. `format_pair_table` turns it into the markdown table of docs/validation.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from world.calendar import step_date

__all__ = ["compute_pair_table", "format_pair_table"]


def compute_pair_table(scenario: str, seeds: Sequence[int],
                       overrides: Sequence[str] = ()) -> pl.DataFrame:
    """Signed endogenous supply and cloud-capacity deals by pair over `seeds`.

    Columns: source, target, kind, seeds (with at least one signed deal), deals_per_seed,
    first_signed (median over the seeds that signed, 'YYYY-MM'), price_usd_b_per_gw and
    surplus_usd_b (medians over the signed deals). Sorted by seeds, then deals, descending.
    """
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    frames = []
    start = None
    for seed in seeds:
        params = load_scenario(scenario, list(overrides), seed=seed)
        start = params.simulation.start
        deals = run(params).tables["deals"]
        frames.append(
            deals.filter(
                (pl.col("origin") == "endogenous")
                & pl.col("kind").is_in(["supply", "cloud_capacity"])
                & pl.col("step_signed").is_not_null()
            ).with_columns(pl.lit(seed).alias("seed"))
        )
    signed = pl.concat(frames, how="diagonal_relaxed")
    n = max(len(seeds), 1)
    first = signed.group_by("source", "target", "kind", "seed").agg(
        pl.col("step_signed").min().alias("first"))
    table = (
        signed.group_by("source", "target", "kind")
        .agg(
            pl.col("seed").n_unique().alias("seeds"),
            (pl.len() / n).alias("deals_per_seed"),
            pl.col("price_usd_b_per_gw").median().alias("price_usd_b_per_gw"),
            pl.col("surplus_usd_b").median().alias("surplus_usd_b"),
        )
        .join(first.group_by("source", "target", "kind").agg(
            pl.col("first").median().alias("first_step")), on=["source", "target", "kind"])
        .sort(["seeds", "deals_per_seed", "source", "target"], descending=[True, True, False,
                                                                             False])
    )
    months = [str(step_date(start, int(s)))[:7] for s in table["first_step"]]
    return table.with_columns(pl.Series("first_signed", months)).drop("first_step")


def format_pair_table(table: pl.DataFrame, n_seeds: int) -> str:
    """Markdown rows of `compute_pair_table`."""
    lines = [
        f"| seller | buyer | kind | seeds signing (of {n_seeds}) | deals per seed | "
        "median first signing | median price (USD B/GW; cloud: per GW-year) | "
        "median surplus (USD B) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.iter_rows(named=True):
        lines.append(
            f"| {r['source']} | {r['target']} | {r['kind']} | {r['seeds']} | "
            f"{r['deals_per_seed']:.1f} | {r['first_signed']} | {r['price_usd_b_per_gw']:.1f} | "
            f"{r['surplus_usd_b']:.1f} |"
        )
    return "\n".join(lines)
