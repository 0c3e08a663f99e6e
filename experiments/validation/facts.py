"""Stylised facts of 2024-2026 as checkable metrics of a run (pattern-oriented validation).

Each `Fact` names a metric computed from a run's output tables (`compute_fact_metrics`), the
band that `../shared/calibration/facts.md` supports, and the row it comes from. An ensemble of
baseline runs passes a fact when the mean of its metric over the seeds lies in the band
(Grimm et al. 2005, "Pattern-oriented modeling of agent-based complex systems", Science 310:
several weak patterns at once, each from an independent source). Indicator metrics (0 or 1 per
run) are averaged into the share of runs showing the pattern.

Bands: the published figure with the spread that the sources themselves give (a range where
facts.md quotes one; about +-25% around a single point estimate, since facts.md's figures are
announcements and outlooks, not measurements). No band was widened after seeing the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from experiments.run.results import Results
from experiments.validation.story import classify_d1, compute_story

__all__ = ["FACTS", "Fact", "compute_fact_metrics", "compute_vendor_circularity"]

VENDORS = ("Nvidia", "AMD")
CLOUDS = ("Amazon", "Microsoft", "Oracle")


@dataclass(frozen=True)
class Fact:
    """One stylised fact as a metric with a target band [low, high] (inclusive)."""

    key: str
    number: int
    text: str
    metric: str
    low: float
    high: float
    source: str
    unit: str = ""

    def compute_pass(self, mean: float) -> bool:
        """True when the ensemble mean lies in the band."""
        return math.isfinite(mean) and self.low <= mean <= self.high

    @property
    def band(self) -> str:
        """The band as text (`>= x` when open above)."""
        if math.isinf(self.high):
            return f">= {self.low:g}"
        return f"{self.low:g} - {self.high:g}"


INF = math.inf
FACTS: tuple[Fact, ...] = (
    Fact("nvidia_value_share_2025", 1, "Nvidia keeps most of the accelerator market",
         "Nvidia share of accelerator revenue, 2025", 0.75, 0.95,
         "facts 'Nvidia share of all AI chips' (~80%+, Reuters; seed 001)"),
    Fact("nvidia_value_share_2026", 1, "... eroding slowly as custom ASICs ramp",
         "Nvidia share of accelerator revenue, 2026", 0.70, 0.85,
         "facts 'Share outlook' (70-80% of revenue in 2026, TrendForce)"),
    Fact("amd_value_share_2026", 1, "AMD stays in single digits",
         "AMD share of accelerator revenue, 2026", 0.03, 0.10,
         "facts 'Share outlook' (AMD 5-8%); AMD DC segment $16.6B vs Nvidia $193.7B (FY25)"),
    Fact("supply_capped_months", 2, "Shipments capped by supply through 2026",
         "share of months 2025-04..2026-12 with packaging requests >= capacity and backlog > 0",
         0.9, 1.0, "facts stylised fact 2; 'CoWoS capacity', 'HBM ... sold out'"),
    Fact("openai_compute_gw_2025_12", 3, "Lab revenue follows deployed capacity",
         "OpenAI compute in use, 2025-12", 1.5, 2.5, "facts 'OpenAI compute and revenue' (~1.9 GW)",
         "GW"),
    Fact("openai_revenue_2025_12", 3, "... ~$10B a year per GW",
         "OpenAI annualised revenue, 2025-12", 18.0, 30.0,
         "facts 'OpenAI compute and revenue' (> $20B annualised)", "$B/yr"),
    Fact("signed_gw_2025", 4, "Signed commitments far exceed delivered capacity",
         "GW of OpenAI deals announced in 2025 (supply, cloud, GW-linked equity)", 20.0, 40.0,
         "facts 'OpenAI commitments' (~30 GW); D1-D6", "GW"),
    Fact("signed_to_delivered_2025", 4, "... (~30 GW signed vs ~2 GW delivered)",
         "signed GW / OpenAI compute in use at 2025-12", 8.0, 25.0,
         "facts stylised fact 4 (30 / 2 = 15)"),
    Fact("first_gw_year", 4, "First GW of the 2025 deals lands in H2 2026",
         "date the first GW of the 2025 deals is deployed (decimal year)", 2026.5, 2027.0,
         "facts D1, D2 (first GW H2 2026)"),
    Fact("loi_stalls_binding_proceeds", 5, "A non-binding LOI stalls and shrinks while a "
         "binding first tranche proceeds", "share of runs: D1 stalled or restructured and D2 "
         "delivers", 0.8, 1.0, "facts D1b, D1c, D2"),
    Fact("d1_restructured_usd_b", 5, "... ($100B milestone plan -> ~$30B one-off equity)",
         "one-off equity replacing D1", 22.5, 37.5, "facts D1c (~$30B)", "$B"),
    Fact("vendor_circularity_2028", 6, "Vendor financing is circular",
         "chip payments back to investing vendors / their equity invested (to 2028)", 0.5, INF,
         "facts stylised fact 6; D1, D2, D11; seed 003"),
    Fact("nvidia_price_usd_b_per_gw_2026", 7, "~$35B of accelerator systems per GW",
         "Nvidia accelerator revenue per GW delivered, 2026", 26.0, 44.0,
         "facts 'Cost of 1 GW' (~$35B of Nvidia systems, Huang)", "$B/GW"),
    Fact("capital_usd_b_per_gw", 7, "~$40-60B of capital per GW",
         "accelerator price per GW (2026) + capex per GW powered (2025-2030)", 40.0, 60.0,
         "facts 'Cost of 1 GW' ($50B, Huang; > $40B, Altman)", "$B/GW"),
    Fact("cloud_share_drift", 9, "Cloud shares drift slowly",
         "largest yearly change of a hyperscaler's AI-cloud share, 2025-06 -> 2026-06", 0.0, 0.05,
         "facts 'Cloud infrastructure shares' (AWS 29->28%, Azure 20->21% in a quarter)"),
    Fact("openai_valuation_2025_10", 10, "OpenAI's valuation rises ($157B -> ~$840B)",
         "OpenAI valuation, 2025-10", 400.0, 650.0, "facts 'OpenAI valuation' ($500B)", "$B"),
    Fact("openai_valuation_2026_02", 10, "...", "OpenAI valuation, 2026-02", 650.0, 1000.0,
         "facts 'OpenAI valuation', D7 ($730B pre / ~$840B post)", "$B"),
    Fact("openai_loss_2026", 10, "OpenAI's losses widen",
         "OpenAI operating loss 2026 (capex excluded)", 12.0, 25.0,
         "facts 'OpenAI burn' ($17B projected 2026)", "$B"),
    Fact("openai_loss_2027", 10, "...", "OpenAI operating loss 2027 (capex excluded)", 25.0,
         45.0, "facts 'OpenAI burn' ($35B projected 2027)", "$B"),
    Fact("no_remedy_by_2026_02", 10, "Authorities impose no structural remedy through early "
         "2026", "share of runs with no deal blocked before 2026-03", 0.9, 1.0,
         "facts 'Antitrust context' (FTC 6(b), CMA, EU: no action)"),
)
"""The stylised facts of facts.md that the model covers, in facts.md's order."""

NOT_COVERED = (
    (8, "Physical lags dominate timing (12-36 months to build, years for grid connection)",
     "build and interconnection times are inputs (sites distributions), not outputs; their "
     "effect shows only through fact 4 (first GW in H2 2026)"),
    (9, "... while the market grows ~30% a year; Oracle grows fastest by backlog",
     "facts' 30% is all cloud infrastructure revenue, the model's cloud market is AI capacity "
     "only; the model keeps no backlog of non-OpenAI cloud customers, so Oracle's backlog "
     "concentration cannot be computed"),
    (10, "Financing depends on strategic investors",
     "covered qualitatively (D7, D1c rounds are events); no metric separates strategic from "
     "financial money in a round"),
)
"""Parts of facts.md's stylised facts the model does not cover, and why."""


def _year_share(shares: pl.DataFrame, year: int, firm: str) -> float:
    acc = shares.filter((pl.col("market") == "accelerators") & (pl.col("date").dt.year() == year))
    total = acc["value_usd_b"].sum()
    mine = acc.filter(pl.col("firm") == firm)["value_usd_b"].sum()
    return mine / total if total > 0 else math.nan


def _at(frame: pl.DataFrame, month: str) -> pl.DataFrame:
    return frame.filter(pl.col("date").dt.strftime("%Y-%m") == month)


def compute_vendor_circularity(results: Results, until: str = "2028-12") -> float:
    """Money that returns to investing chip vendors as chip purchases, per dollar invested.

    Rule: for each vendor (Nvidia, AMD) and each firm it paid equity into up to `until`, the chip
    payments from that firm to the vendor over the same period, summed, divided by the equity
    invested (nan when no vendor invested). 1 means every dollar invested came back as purchases.
    """
    flows = results.tables["flows"].filter(pl.col("date").dt.strftime("%Y-%m") <= until)
    eq = flows.filter((pl.col("kind") == "equity_investment") & pl.col("source").is_in(VENDORS))
    invested = eq["amount_usd_b"].sum()
    if invested <= 0:
        return math.nan
    pairs = set(zip(eq["source"], eq["target"], strict=True))
    chips = flows.filter(pl.col("kind") == "chip_payment")
    back = sum(
        chips.filter((pl.col("source") == investee) & (pl.col("target") == vendor))[
            "amount_usd_b"
        ].sum()
        for vendor, investee in sorted(pairs)
    )
    return back / invested


def _decimal_year(month: str) -> float:
    if month == "never":
        return math.nan
    year, mon = month.split("-")
    return int(year) + (int(mon) - 1) / 12.0


def compute_fact_metrics(results: Results) -> dict[str, float]:
    """Every `FACTS` metric of one run, by key (floats; indicators are 0.0 or 1.0)."""
    t = results.tables
    shares, phys, deals, firms = t["shares"], t["physical"], t["deals"], t["firms"]
    story = compute_story(results)
    out: dict[str, float] = {
        "nvidia_value_share_2025": _year_share(shares, 2025, "Nvidia"),
        "nvidia_value_share_2026": _year_share(shares, 2026, "Nvidia"),
        "amd_value_share_2026": _year_share(shares, 2026, "AMD"),
    }
    window = phys.filter(
        pl.col("date").dt.strftime("%Y-%m").is_between(pl.lit("2025-04"), pl.lit("2026-12"))
    )
    capped = (window["wafer_requests"] >= 0.999 * window["foundry_capacity"]) & (
        window["backlog_gw"] > 0
    )
    out["supply_capped_months"] = float(capped.mean()) if window.height else math.nan
    oai = firms.filter(pl.col("firm") == "OpenAI").sort("step")
    dec = _at(oai, "2025-12")
    compute = float(dec["compute_gw"][0]) if dec.height else math.nan
    out["openai_compute_gw_2025_12"] = compute
    out["openai_revenue_2025_12"] = float(dec["revenue_usd_b_per_year"][0]) if dec.height else 0.0
    start = results.manifest.get("start_month", "2025-01")
    first_2025 = 12 * (2025 - int(start[:4])) - (int(start[5:7]) - 1)
    signed = deals.filter(
        (pl.col("target") == "OpenAI")
        & pl.col("step_proposed").is_between(max(first_2025, 1), first_2025 + 11)
        & (pl.col("origin") == "event")
    )["gw"].sum()
    out["signed_gw_2025"] = signed
    out["signed_to_delivered_2025"] = signed / compute if compute > 0 else math.nan
    out["first_gw_year"] = _decimal_year(story["first_gw_2025_deals"])
    d1 = classify_d1(deals) if "D1" in deals["deal_id"] else "absent"
    out["loi_stalls_binding_proceeds"] = float(
        d1 in ("stalled", "restructured") and bool(story["d2_proceeds"])
    )
    out["d1_restructured_usd_b"] = story["d1_restructured_usd_b"]
    out["vendor_circularity_2028"] = compute_vendor_circularity(results)
    acc26 = shares.filter((pl.col("market") == "accelerators") & (pl.col("date").dt.year() == 2026))
    nv = acc26.filter(pl.col("firm") == "Nvidia")
    out["nvidia_price_usd_b_per_gw_2026"] = (
        nv["value_usd_b"].sum() / nv["quantity"].sum() if nv["quantity"].sum() > 0 else math.nan
    )
    chip_price = (
        acc26["value_usd_b"].sum() / acc26["quantity"].sum()
        if acc26["quantity"].sum() > 0
        else math.nan
    )
    capex = t["flows"].filter(pl.col("kind") == "capex")["amount_usd_b"].sum()
    powered = phys.sort("step")["powered_gw"]
    added = float(powered[-1] - powered[0]) if len(powered) else 0.0
    out["capital_usd_b_per_gw"] = chip_price + (capex / added if added > 0 else math.nan)
    cloud = shares.filter(pl.col("market") == "cloud")
    a, b = _at(cloud, "2025-06"), _at(cloud, "2026-06")
    drift = [
        abs(b.filter(pl.col("firm") == f)["share"].sum() - a.filter(pl.col("firm") == f)["share"]
            .sum())
        for f in CLOUDS
    ]
    out["cloud_share_drift"] = max(drift) if a.height and b.height else math.nan
    for key, month in (("openai_valuation_2025_10", "2025-10"),
                       ("openai_valuation_2026_02", "2026-02")):
        row = _at(oai, month)
        out[key] = float(row["valuation_usd_b"][0]) if row.height else math.nan
    out["openai_loss_2026"] = story["operating_loss_2026_usd_b"]
    out["openai_loss_2027"] = story["operating_loss_2027_usd_b"]
    reviews = t["reviews"]
    blocked = reviews.filter(
        (pl.col("decision") == "blocked") & (pl.col("date").dt.strftime("%Y-%m") < "2026-03")
    ).height if reviews.height else 0
    out["no_remedy_by_2026_02"] = float(blocked == 0)
    return out
