"""Facts of 2024-2026 as checkable metrics of a run (pattern-oriented validation).

Each `Check` names a metric computed from a run's output tables (`compute_fact_metrics`) and the
row of the fact table `experiments/calibration/facts.toml` it is compared with. The row's role
decides what the check is worth:

- **target** (no scenario parameter was set from the fact): scored. An ensemble of baseline runs
  passes when the mean of the metric over the seeds lies in the row's band (Grimm et al. 2005,
  "Pattern-oriented modeling of agent-based complex systems", Science 310: several weak
  patterns at once, each from an independent source).
- **input** (a parameter was set from the fact, named in the row's `sets`): reported beside its
  band to show the parameter does what it was set for, never scored: reproducing an input
  is no evidence.

Indicator metrics (0 or 1 per run) are averaged into the share of runs showing the pattern.
Checks that could not fail were removed (see `REMOVED`). Target bands live in facts.toml; an
input check states its own band (the published figure with the spread the sources give, or
about +-25% around a single point estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from experiments.calibration.facts import Role, get_fact
from experiments.run.results import Results
from experiments.validation.story import classify_d1, compute_story

__all__ = [
    "FACTS", "NOT_COVERED", "REMOVED", "Check", "compute_fact_metrics", "compute_oracle_fastest",
    "compute_vendor_circularity",
]

VENDORS = ("Nvidia", "AMD")
CLOUDS = ("Amazon", "Microsoft", "Oracle")
INF = math.inf


@dataclass(frozen=True)
class Check:
    """One metric of a run compared with one row of facts.toml.

    `low`/`high` are used only for inputs (a target's band is the row's band).
    """

    key: str
    fact_id: str
    text: str
    metric: str
    unit: str = ""
    low: float = -INF
    high: float = INF

    @property
    def role(self) -> Role:
        """The fact's role: only targets are scored."""
        return get_fact(self.fact_id).role

    @property
    def bounds(self) -> tuple[float, float]:
        """The inclusive band [low, high]: the fact's for a target, the check's for an input."""
        return get_fact(self.fact_id).band if self.role is Role.TARGET else (self.low, self.high)

    @property
    def source(self) -> str:
        """The fact row and its publication."""
        return get_fact(self.fact_id).cite

    def compute_pass(self, mean: float) -> bool:
        """True when the ensemble mean lies in the band."""
        low, high = self.bounds
        return math.isfinite(mean) and low <= mean <= high

    @property
    def band(self) -> str:
        """The band as text (`>= x` when open above)."""
        low, high = self.bounds
        if math.isinf(high):
            return f">= {low:g}"
        return f"{low:g} - {high:g}"


FACTS: tuple[Check, ...] = (
    # ---- targets: no parameter was set from these facts
    Check("loi_stalls_binding_proceeds", "sf5", "A non-binding LOI stalls while a binding "
          "first tranche proceeds", "share of runs: D1 stalled or restructured and D2 delivers",
          "share of runs"),
    Check("vendor_circularity_2028", "sf6", "Vendor financing is circular",
          "chip purchases returning to investing vendors, directly or through the clouds the "
          "investee rents from / their equity invested (to 2028)"),
    Check("cloud_share_drift", "cloud_share_drift", "Cloud shares drift slowly",
          "largest yearly change of a hyperscaler's AI-cloud share, 2025-06 -> 2026-06"),
    Check("oracle_fastest_cloud_growth", "oracle_fastest_growth", "Oracle grows fastest",
          "share of runs where Oracle's AI-cloud capacity grows most (relative), 2025-06 -> "
          "2027-06", "share of runs"),
    Check("openai_valuation_2025_10", "openai_valuation_2025_10", "OpenAI's valuation rises",
          "OpenAI valuation, 2025-10", "$B"),
    # ---- inputs: reported, not scored
    Check("nvidia_value_share_2025", "nvidia_ai_chip_share", "Nvidia keeps most of the "
          "accelerator market", "Nvidia share of accelerator revenue, 2025", "", 0.75, 0.95),
    Check("nvidia_value_share_2026", "share_outlook_2026", "... eroding slowly as custom ASICs "
          "ramp", "Nvidia share of accelerator revenue, 2026", "", 0.70, 0.85),
    Check("amd_value_share_2026", "amd_share_2026", "AMD stays in single digits",
          "AMD share of accelerator revenue, 2026", "", 0.03, 0.10),
    Check("nvidia_accel_revenue_2025", "nvidia_dc_revenue", "Nvidia's data-center revenue",
          "Nvidia accelerator revenue, 2025", "$B", 145.0, 242.0),
    Check("supply_capped_months", "sf2", "Shipments capped by supply through 2026",
          "share of months 2025-04..2026-12 with packaging requests >= capacity and backlog > 0",
          "", 0.9, 1.0),
    Check("openai_compute_gw_2025_12", "openai_compute_revenue", "Lab compute, 2025",
          "OpenAI compute in use, 2025-12", "GW", 1.5, 2.5),
    Check("openai_revenue_2025_12", "openai_compute_revenue", "~$10B a year per GW",
          "OpenAI annualised revenue, 2025-12", "$B/yr", 18.0, 30.0),
    Check("first_gw_year", "sf4", "First GW of the 2025 deals lands in H2 2026",
          "date the first GW of the 2025 deals is deployed (decimal year)", "", 2026.5, 2027.0),
    Check("nvidia_equity_openai_2025", "D8", "Nvidia stays out of OpenAI's 2025 rounds",
          "Nvidia equity paid into OpenAI in 2025", "$B", 0.0, 1.0),
    Check("d1_restructured_usd_b", "D1c", "$100B milestone plan -> ~$30B one-off equity",
          "one-off equity replacing D1", "$B", 22.5, 37.5),
    Check("nvidia_price_usd_b_per_gw_2026", "cost_per_gw", "~$35B of accelerator systems per GW",
          "Nvidia accelerator revenue per GW delivered, 2026", "$B/GW", 26.0, 44.0),
    Check("capital_usd_b_per_gw", "cost_per_gw", "~$40-60B of capital per GW",
          "accelerator price per GW (2026) + capex per GW powered (2025-2030)", "$B/GW",
          40.0, 60.0),
    Check("openai_valuation_2026_02", "openai_valuation_2026_02", "... to ~$840B",
          "OpenAI valuation, 2026-02", "$B", 650.0, 1000.0),
    Check("openai_loss_2026", "openai_burn", "OpenAI's losses widen",
          "OpenAI operating loss 2026 (capex excluded)", "$B", 12.0, 25.0),
    Check("openai_loss_2027", "openai_burn", "...", "OpenAI operating loss 2027 (capex excluded)",
          "$B", 25.0, 45.0),
)
"""Every check, targets first."""

REMOVED = (
    ("signed GW of OpenAI deals in 2025 (20-40 GW) and signed / delivered",
     "the sum of the GW of the dated events: the model cannot miss it"),
    ("no deal blocked before 2026-03", "the baseline's regime is `none`, under which nothing is "
     "ever blocked: the check could not fail (the regime is an input, facts.toml ftc_6b_report)"),
)
"""Checks of earlier versions that could not fail, and why they were removed."""

NOT_COVERED = (
    ("sf8", "Physical lags dominate timing (12-36 months to build, years for grid connection)",
     "build and interconnection times are inputs (sites distributions), not outputs"),
    ("cloud_shares", "the cloud market grows ~30% a year",
     "facts' 30% is all cloud infrastructure revenue, the model's cloud market is AI capacity "
     "only"),
    ("sf10", "Financing depends on strategic investors",
     "no metric separates strategic from financial money in a round"),
    ("us_dc_electricity", "US datacenter electricity 325-580 TWh in 2028",
     "all US datacenters, the model has AI compute only"),
)
"""Target facts the model does not cover, and why."""


def _year_share(shares: pl.DataFrame, year: int, firm: str) -> float:
    acc = shares.filter((pl.col("market") == "accelerators") & (pl.col("date").dt.year() == year))
    total = acc["value_usd_b"].sum()
    mine = acc.filter(pl.col("firm") == firm)["value_usd_b"].sum()
    return mine / total if total > 0 else math.nan


def _at(frame: pl.DataFrame, month: str) -> pl.DataFrame:
    return frame.filter(pl.col("date").dt.strftime("%Y-%m") == month)


def compute_vendor_circularity(results: Results, until: str = "2028-12",
                               via_clouds: bool = True) -> float:
    """Money that returns to investing chip vendors as purchases of their chips, per dollar
    invested, up to `until` (nan when no vendor invested).

    Rule: for each vendor (Nvidia, AMD) and each firm it paid equity into, what comes back is
    the firm's own chip payments to the vendor plus, with `via_clouds`, its part of what the
    clouds it rents from (Amazon, Microsoft, Oracle) paid the vendor for chips: each cloud's
    chip payments to the vendor x the firm's cloud payments to that cloud / everything the
    cloud received (cloud payments and revenue). What comes back from a firm counts up to what
    was invested in it (money returns; it does not multiply). Summed over the pairs and
    divided by the equity invested: 1 means every dollar came back as purchases.

    The lease route is the one the fact describes: "OpenAI will use this money to rent
    Nvidia's GPUs and build its infrastructure with the chipmaker's technology" (French press
    2025-09-23, on the Nvidia-OpenAI letter of intent). `via_clouds=False` counts direct
    purchases only (reported beside it in docs/validation.md).
    """
    flows = results.tables["flows"].filter(pl.col("date").dt.strftime("%Y-%m") <= until)
    eq = flows.filter((pl.col("kind") == "equity_investment") & pl.col("source").is_in(VENDORS))
    invested = eq["amount_usd_b"].sum()
    if invested <= 0:
        return math.nan
    paid = {(src, dst, kind): amount for src, dst, kind, amount in flows.group_by(
        "source", "target", "kind").agg(pl.col("amount_usd_b").sum()).iter_rows()}
    received = {c: sum(v for (_, dst, kind), v in paid.items()
                       if dst == c and kind in ("cloud_payment", "revenue")) for c in CLOUDS}
    back = 0.0
    for vendor, investee in sorted(set(zip(eq["source"], eq["target"], strict=True))):
        came = paid.get((investee, vendor, "chip_payment"), 0.0)
        if via_clouds:
            for cloud in CLOUDS:
                if cloud != investee and received[cloud] > 0:
                    part = paid.get((investee, cloud, "cloud_payment"), 0.0) / received[cloud]
                    came += paid.get((cloud, vendor, "chip_payment"), 0.0) * part
        put = eq.filter((pl.col("source") == vendor) & (pl.col("target") == investee))[
            "amount_usd_b"].sum()
        back += min(put, came)
    return back / invested


def compute_oracle_fastest(shares: pl.DataFrame, start: str = "2025-06",
                           end: str = "2027-06") -> float:
    """1.0 when Oracle's AI-cloud capacity grows most, relative to its own size, of the three
    hyperscalers from `start` to `end` (GW in the cloud market's `quantity`); 0.0 when another
    grows faster; nan when a hyperscaler has no capacity at `start` or a month is missing."""
    cloud = shares.filter(pl.col("market") == "cloud")
    a, b = _at(cloud, start), _at(cloud, end)
    growth = {}
    for firm in CLOUDS:
        q0 = a.filter(pl.col("firm") == firm)["quantity"].sum()
        q1 = b.filter(pl.col("firm") == firm)["quantity"].sum()
        if q0 <= 0 or not b.height:
            return math.nan
        growth[firm] = q1 / q0
    return float(max(growth, key=lambda f: growth[f]) == "Oracle")


def _decimal_year(month: str) -> float:
    if month == "never":
        return math.nan
    year, mon = month.split("-")
    return int(year) + (int(mon) - 1) / 12.0


def compute_fact_metrics(results: Results) -> dict[str, float]:
    """Every `FACTS` metric of one run, by key (floats; indicators are 0.0 or 1.0)."""
    t = results.tables
    shares, phys, firms = t["shares"], t["physical"], t["firms"]
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
    flows = t["flows"]
    nv_eq = flows.filter(
        (pl.col("kind") == "equity_investment") & (pl.col("source") == "Nvidia")
        & (pl.col("target") == "OpenAI") & (pl.col("date").dt.year() == 2025)
    )
    out["nvidia_equity_openai_2025"] = float(nv_eq["amount_usd_b"].sum())
    acc25 = shares.filter((pl.col("market") == "accelerators") & (pl.col("date").dt.year() == 2025))
    out["nvidia_accel_revenue_2025"] = float(
        acc25.filter(pl.col("firm") == "Nvidia")["value_usd_b"].sum()
    )
    out.update(_deal_and_price_metrics(results, story))
    return out


def _deal_and_price_metrics(results: Results, story: dict) -> dict[str, float]:
    """The deal, financing, price, cloud and OpenAI-path metrics of `compute_fact_metrics`."""
    t = results.tables
    shares, phys, deals = t["shares"], t["physical"], t["deals"]
    oai = t["firms"].filter(pl.col("firm") == "OpenAI").sort("step")
    out: dict[str, float] = {}
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
    out["oracle_fastest_cloud_growth"] = compute_oracle_fastest(shares)
    return out
