"""The seeds' story over an ensemble of baseline runs (a section of docs/validation.md).

For each run: what became of the Nvidia-OpenAI letter of intent (D1), whether AMD's binding
tranche (D2) proceeded, OpenAI's chip suppliers and clouds at the end, Nvidia's accelerator
share through 2026, when the first GW of the 2025 deals was deployed, and OpenAI's revenue,
burn and valuation against the figures of experiments/calibration/facts.toml.
`compute-market story --seeds 20` prints the table.
"""

from __future__ import annotations

import statistics
from collections import Counter

import polars as pl

from experiments.run.results import Results
from world.contracts import DealStatus
from world.ledger import FlowKind
from world.params import DealKind

DEALS_2025 = ("D1", "D2", "D2-rest", "D3", "D4", "D5", "D6")
INFLOW_KINDS_NOT_EARNED = (
    FlowKind.FUNDING_ROUND, FlowKind.EQUITY_INVESTMENT, FlowKind.DEBT_DRAW, FlowKind.INITIAL
)
"""Money OpenAI receives that is not earned (excluded from its burn)."""
OPERATING_OUTFLOWS = (FlowKind.OPEX, FlowKind.CLOUD_PAYMENT, FlowKind.DEBT_SERVICE)
"""OpenAI's outflows that make its operating loss (chips and capex excluded)."""
STORY_YEARS = (2025, 2026, 2027)
SIGNED = (DealStatus.ACTIVE, DealStatus.COMPLETED, DealStatus.DEFAULTED)


def classify_d1(deals: pl.DataFrame) -> str:
    """`full plan` (the milestone deal signed), `restructured` (replaced by a one-off stake),
    `stalled` (still stalled or abandoned at the end), or `blocked`."""
    row = deals.filter(pl.col("deal_id") == "D1").row(0, named=True)
    status = row["status"]
    if status in SIGNED or row["step_signed"] is not None:
        return "full plan"
    if status == DealStatus.RENEGOTIATED:
        return "restructured"
    if status == DealStatus.BLOCKED:
        return "blocked"
    return "stalled"


def _month(frame: pl.DataFrame, month: str) -> pl.DataFrame:
    return frame.filter(pl.col("date").dt.strftime("%Y-%m") == month)


def _with_year(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("date").dt.year().alias("year"))


def compute_nvidia_shares(shares: pl.DataFrame) -> dict[int, tuple[float, float]]:
    """Nvidia's yearly share of accelerator quantity (GW) and of value (USD), by year."""
    acc = _with_year(shares.filter(pl.col("market") == "accelerators"))
    by_year = acc.group_by("year", "firm").agg(
        pl.col("quantity").sum(), pl.col("value_usd_b").sum()
    )
    totals = by_year.group_by("year").agg(
        pl.col("quantity").sum().alias("q"), pl.col("value_usd_b").sum().alias("v")
    )
    nv = by_year.filter(pl.col("firm") == "Nvidia").join(totals, on="year")
    return {
        r["year"]: (r["quantity"] / r["q"], r["value_usd_b"] / r["v"])
        for r in nv.iter_rows(named=True)
    }


def compute_first_gw_month(openai: pl.DataFrame, deals: pl.DataFrame, flows: pl.DataFrame) -> str:
    """First month ('YYYY-MM', or 'never') in which OpenAI's own deployed GW plus the GW it
    leases under the 2025 deals (cloud payment x 12 / the deal's price per GW-year) reach 1."""
    prices = dict(zip(deals["deal_id"], deals["price_usd_b_per_gw"], strict=True))
    leased = (
        flows.filter(
            (pl.col("kind") == FlowKind.CLOUD_PAYMENT) & pl.col("deal_id").is_in(DEALS_2025)
        )
        .with_columns(
            (
                pl.col("amount_usd_b")
                * 12.0
                / pl.col("deal_id").replace_strict(prices, default=1.0)
            ).alias("gw")
        )
        .group_by("step")
        .agg(pl.col("gw").sum())
    )
    new_gw = (
        openai.select("step", "date", "deployed_gw")
        .join(leased, on="step", how="left")
        .with_columns((pl.col("deployed_gw") + pl.col("gw").fill_null(0.0)).alias("new_gw"))
    )
    first = new_gw.filter(pl.col("new_gw") >= 1.0)
    return first["date"][0].strftime("%Y-%m") if len(first) else "never"


def compute_burn(flows: pl.DataFrame) -> tuple[dict[int, float], dict[int, float]]:
    """OpenAI's yearly burn (all outflows minus earned inflows) and operating loss (operating
    outflows minus revenue), USD B, for `STORY_YEARS`."""
    out_oa = _with_year(flows.filter(pl.col("source") == "OpenAI"))
    in_oa = _with_year(
        flows.filter(
            (pl.col("target") == "OpenAI") & ~pl.col("kind").is_in(INFLOW_KINDS_NOT_EARNED)
        )
    )
    opex = out_oa.filter(pl.col("kind").is_in(OPERATING_OUTFLOWS))
    earned = in_oa.filter(pl.col("kind") == FlowKind.REVENUE)

    def _net(paid: pl.DataFrame, got: pl.DataFrame, year: int) -> float:
        return (
            paid.filter(pl.col("year") == year)["amount_usd_b"].sum()
            - got.filter(pl.col("year") == year)["amount_usd_b"].sum()
        )

    burn = {y: _net(out_oa, in_oa, y) for y in STORY_YEARS}
    op_loss = {y: _net(opex, earned, y) for y in STORY_YEARS}
    return burn, op_loss


def compute_story(results: Results) -> dict:
    """The story metrics of one run (units in the keys)."""
    t = results.tables
    deals, firms, flows = t["deals"], t["firms"], t["flows"]
    openai = firms.filter(pl.col("firm") == "OpenAI").sort("step")
    d2 = deals.filter(pl.col("deal_id") == "D2").row(0, named=True)
    to_openai = deals.filter(pl.col("target") == "OpenAI")
    supply = to_openai.filter(
        (pl.col("kind") == DealKind.SUPPLY) & (pl.col("delivered_gw") > 0)
    )
    clouds = to_openai.filter(
        (pl.col("kind") == DealKind.CLOUD_CAPACITY) & (pl.col("status") == DealStatus.ACTIVE)
    )
    nv = compute_nvidia_shares(t["shares"])
    burn, op_loss = compute_burn(flows)
    restructured = deals.filter(
        (pl.col("parent_id") == "D1") & (pl.col("kind") == DealKind.EQUITY)
    )
    return {
        "seed": results.seed,
        **{f"operating_loss_{y}_usd_b": op_loss[y] for y in STORY_YEARS},
        "d1_outcome": classify_d1(deals),
        "d1_restructured_usd_b": restructured["value_usd_b"].sum(),
        "d2_proceeds": d2["status"] in (DealStatus.ACTIVE, DealStatus.COMPLETED)
        and d2["delivered_gw"] > 0,
        "chip_suppliers": supply["source"].n_unique(),
        "clouds": clouds["source"].n_unique(),
        "nvidia_qty_share_2025": nv.get(2025, (0.0, 0.0))[0],
        "nvidia_qty_share_2026": nv.get(2026, (0.0, 0.0))[0],
        "nvidia_rev_share_2026": nv.get(2026, (0.0, 0.0))[1],
        "first_gw_2025_deals": compute_first_gw_month(openai, deals, flows),
        "revenue_2025_12_usd_b_per_year": _month(openai, "2025-12")["revenue_usd_b_per_year"][0],
        **{f"burn_{y}_usd_b": burn[y] for y in STORY_YEARS},
        "valuation_2025_10_usd_b": _month(openai, "2025-10")["valuation_usd_b"][0],
        "valuation_2026_02_usd_b": _month(openai, "2026-02")["valuation_usd_b"][0],
    }


FACTS = {
    "nvidia_qty_share_2025": "~80%+ of all AI chips (facts.toml nvidia_ai_chip_share)",
    "nvidia_qty_share_2026": "70-80% (facts.toml share_outlook_2026)",
    "nvidia_rev_share_2026": "70-80% of revenue (facts.toml share_outlook_2026)",
    "revenue_2025_12_usd_b_per_year": "> $20B annualised (facts.toml openai_compute_revenue)",
    "burn_2025_usd_b": "> $8B (facts.toml openai_burn)",
    "burn_2026_usd_b": "~$17B projected (facts.toml openai_burn)",
    "burn_2027_usd_b": "~$35B projected (facts.toml openai_burn)",
    "operating_loss_2026_usd_b": "~$17B projected burn (facts.toml openai_burn), capex excluded",
    "operating_loss_2027_usd_b": "~$35B projected burn (facts.toml openai_burn), capex excluded",
    "valuation_2025_10_usd_b": "$500B (facts.toml openai_valuation_2025_10)",
    "valuation_2026_02_usd_b": "~$730B pre / ~$840B post (facts.toml openai_valuation_2026_02)",
    "chip_suppliers": "Nvidia, AMD, own chip (facts.toml D1-D3)",
    "clouds": "Microsoft, Oracle, Amazon (+ CoreWeave, outside the model) (facts.toml D4-D6)",
    "first_gw_2025_deals": "not before H2 2026 (facts.toml D1, D2, sf4)",
}


def format_story(rows: list[dict]) -> str:
    """A markdown report: outcome counts, then mean and range of each number vs facts."""
    n = len(rows)
    lines = [f"Runs: {n} seeds ({', '.join(str(r['seed']) for r in rows)}).", ""]
    d1 = Counter(r["d1_outcome"] for r in rows)
    lines.append("| outcome | runs |")
    lines.append("|---|---|")
    for k in ("full plan", "stalled", "restructured", "blocked"):
        lines.append(f"| Nvidia-OpenAI LOI (D1): {k} | {d1.get(k, 0)} / {n} |")
    lines.append(
        f"| AMD binding first tranche (D2) proceeds | {sum(r['d2_proceeds'] for r in rows)} / {n} |"
    )
    firsts = Counter(r["first_gw_2025_deals"] for r in rows)
    lines.append(
        "| first GW of the 2025 deals deployed | "
        + ", ".join(f"{k}: {v}" for k, v in sorted(firsts.items()))
        + " |"
    )
    lines += ["", "| metric | mean | min | max | facts |", "|---|---|---|---|---|"]
    keys = [
        "d1_restructured_usd_b",
        "chip_suppliers",
        "clouds",
        "nvidia_qty_share_2025",
        "nvidia_qty_share_2026",
        "nvidia_rev_share_2026",
        "revenue_2025_12_usd_b_per_year",
        "burn_2025_usd_b",
        "burn_2026_usd_b",
        "burn_2027_usd_b",
        "operating_loss_2025_usd_b",
        "operating_loss_2026_usd_b",
        "operating_loss_2027_usd_b",
        "valuation_2025_10_usd_b",
        "valuation_2026_02_usd_b",
    ]
    for k in keys:
        vals = [float(r[k]) for r in rows]
        lines.append(
            f"| {k} | {statistics.fmean(vals):.3g} | {min(vals):.3g} | {max(vals):.3g} "
            f"| {FACTS.get(k, '')} |"
        )
    return "\n".join(lines)
