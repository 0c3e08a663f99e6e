"""Typed, validated parameters of one scenario (the whole model configuration).

Every field carries its unit in its name. A scenario TOML file maps one-to-one onto
`ScenarioParams`; loading, `extends` and `--set` overrides live in `experiments.scenario`.
Unknown keys are errors (``extra="forbid"``) so a typo never passes silently.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

FIRM_NAMES = ("Nvidia", "AMD", "OpenAI", "Amazon", "Microsoft", "Oracle")
MARKETS = ("accelerators", "cloud", "frontier_ai")

NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
Frac = Annotated[float, Field(ge=0.0, le=1.0)]
Delta = Annotated[float, Field(ge=0.0, lt=1.0)]


def param(default: Any = ..., *, unit: str, doc: str, **constraints: Any) -> Any:
    """A scenario key in one place: its default, unit, meaning and bounds.

    `doc` is the meaning shown in docs/scenarios.md (generated from this schema); `unit` is
    the unit shown beside it ("-" for a pure number, "fraction", "USD B", "GW", "months"...);
    `constraints` are pydantic's (`ge`, `le`, `gt`, `lt`, `min_length`...). Use
    `default_factory=` through `constraints` for mutable defaults.
    """
    if "default_factory" in constraints:
        return Field(description=doc, json_schema_extra={"unit": unit}, **constraints)
    return Field(default, description=doc, json_schema_extra={"unit": unit}, **constraints)


class Strict(BaseModel):
    """Base for every parameter block: unknown keys are errors, values are validated on set."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def _check_month(value: str) -> str:
    if not MONTH_RE.match(value):
        raise ValueError(f"expected a month as 'YYYY-MM', got {value!r}")
    return value


Month = Annotated[str, Field(pattern=MONTH_RE.pattern)]


class Mode(StrEnum):
    """What the model runs: the full market, or one docking case (a textbook special case
    with a closed form, run by the market model as `experiments.docking_model` builds it)."""

    MARKET = "market"
    COURNOT = "cournot"
    RUBINSTEIN = "rubinstein"
    NASH = "nash"
    DOUBLE_MARGINALIZATION = "double_marginalization"
    OUTSIDE_OPTION = "outside_option"


class SimulationParams(Strict):
    """Clock of the run: one step is one month starting at `start`."""

    start: Month = "2025-01"
    steps: Annotated[int, Field(ge=1, le=600)] = 72
    mode: Mode = Mode.MARKET
    history_cutoff: Month | None = param(
        None,
        unit="YYYY-MM",
        doc="Last month of replayed history: dated announcements after it are dropped and the"
        " agents decide everything later (default: the latest dated announcement).",
    )
    description: str = ""
    source: str = ""


class Role(StrEnum):
    VENDOR = "vendor"
    CLOUD = "cloud"
    LAB = "lab"


class FirmParams(Strict):
    """Initial balance sheet and behaviour of one of the six firms.

    Role-specific fields are ignored by the other roles (a vendor has no compute ambition).
    """

    role: Role
    cash_usd_b: NonNeg = 0.0
    debt_usd_b: NonNeg = 0.0
    valuation_usd_b: NonNeg = 0.0
    other_revenue_usd_b_per_year: NonNeg = 0.0
    other_margin: Frac = 0.3
    discount_factor: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.95
    # physical starting point (clouds and labs)
    powered_gw: NonNeg = 0.0
    installed_gw: NonNeg = 0.0
    installed_mix: dict[str, Frac] = Field(default_factory=dict)
    pipeline_gw: NonNeg = 0.0
    build_gw_per_year: NonNeg = 0.0
    build_growth_per_year: Annotated[float, Field(ge=-0.5, le=3.0)] = 0.0
    max_debt_to_revenue: NonNeg = 3.0
    # vendors
    markup: NonNeg = 1.0
    financing_appetite_frac_cash: Frac = 0.0
    financing_hurdle: NonNeg = 0.0
    # clouds
    lease_margin: NonNeg = 0.3
    # labs
    compute_ambition_gw: list[tuple[Month, NonNeg]] = Field(default_factory=list)
    revenue_usd_b_per_gw_year: NonNeg = 10.0
    opex_usd_b_per_year: NonNeg = 0.0
    opex_growth_per_year: Annotated[float, Field(ge=-0.5, le=5.0)] = 0.0
    funding_runway_months: Annotated[int, Field(ge=1, le=120)] = 12
    round_size_months_of_burn: Pos = 18.0
    max_supplier_share: Frac = 1.0
    source: str = ""


class Product(Strict):
    """One accelerator generation.

    Sources: accelerator power (H100 700 W, B200 ~1,000 W, MI355X 1,400 W), unit prices
    (CNBC: H100 $25-30k, Blackwell $30-40k), cost of 1 GW (Huang, Aug 2025: ~$50B).
    """

    name: str
    vendor: str
    release: Month
    pflops_dense: Pos
    kw_per_unit: Pos
    unit_cost_usd_k: Pos
    system_price_usd_k: Pos
    units_per_wafer: Pos
    source: str = ""


class CatalogParams(Strict):
    products: list[Product] = Field(default_factory=list)
    source: str = ""


class AllocationRule(StrEnum):
    """How scarce packaging capacity is split among chip designers (a policy lever)."""

    PRO_RATA = "pro_rata"
    PRIORITY = "priority"
    UNIFORM = "uniform"


class FoundryParams(Strict):
    """Advanced-packaging (CoWoS-like) capacity path and its allocation rule."""

    capacity_wafers_per_month: list[tuple[Month, NonNeg]] = Field(default_factory=list)
    allocation_rule: AllocationRule = AllocationRule.PRO_RATA
    priority_order: list[str] = Field(default_factory=list)
    yield_frac: Frac = 0.9
    unlimited: bool = False
    source: str = ""


class Distribution(Strict):
    """A lognormal-by-mean draw (mean and coefficient of variation), clipped to [low, high]."""

    mean: Pos
    cv: NonNeg = 0.5
    low: NonNeg = 0.0
    high: Pos = 1e9

    @model_validator(mode="after")
    def _ordered(self) -> Distribution:
        if not self.low <= self.mean <= self.high:
            raise ValueError("need low <= mean <= high")
        return self


class CapitalParams(Strict):
    """Outside capital: investor appetite, the equity pool, the cost of debt and equity, the
    cash-flow valuation and the distress ladder (`world.capital`; docs/odd.md 'Capital')."""

    outside_equity_usd_b_per_year: list[tuple[Month, NonNeg]] = param(
        unit="USD B per year",
        doc="Outside (non-strategic) equity offered to the named labs at appetite 1.",
        default_factory=lambda: [("2025-01", 40.0), ("2026-01", 60.0), ("2030-12", 120.0)],
    )
    pool_cap_months: float = param(
        12.0,
        unit="months",
        doc="Unspent outside equity kept as dry powder, at most this many months of flow.",
        ge=1.0,
        le=60.0,
    )
    price_impact: float = param(
        0.5,
        unit="-",
        doc="Price impact k of a raise: pre-money = value / (1 + k x raise / pool).",
        ge=0.0,
        le=5.0,
    )
    appetite_persistence: float = param(
        0.9,
        unit="per month",
        doc="AR(1) coefficient of log investor appetite.",
        ge=0.0,
        le=0.999,
    )
    appetite_return_weight: float = param(
        1.0,
        unit="-",
        doc="Response of log appetite's level to the sector's excess revenue growth.",
        ge=0.0,
        le=10.0,
    )
    reference_growth: float = param(
        0.5,
        unit="per year",
        doc="Sector revenue growth (log, year on year) investors already expect.",
        ge=-1.0,
        le=3.0,
    )
    appetite_shock_sd: float = param(
        0.08,
        unit="per month",
        doc="Standard deviation of the monthly shock to log appetite.",
        ge=0.0,
        le=1.0,
    )
    risk_free_rate: float = param(
        0.04,
        unit="per year",
        doc="Risk-free rate (US Treasuries, 2025).",
        ge=0.0,
        le=0.2,
    )
    equity_premium: float = param(
        0.06,
        unit="per year",
        doc="Equity risk premium at appetite 1 and no burn.",
        ge=0.0,
        le=0.3,
    )
    burn_premium: float = param(
        0.08,
        unit="per year",
        doc="Added to the equity premium per unit of burn / revenue (capped at 2).",
        ge=0.0,
        le=0.3,
    )
    debt_spread: float = param(
        0.015,
        unit="per year",
        doc="Credit spread of an unlevered firm that burns no cash.",
        ge=0.0,
        le=0.2,
    )
    leverage_spread: float = param(
        0.02,
        unit="per year",
        doc="Spread added per unit of debt / annual revenue.",
        ge=0.0,
        le=0.2,
    )
    burn_spread: float = param(
        0.03,
        unit="per year",
        doc="Spread added per unit of burn / revenue (capped at 2).",
        ge=0.0,
        le=0.3,
    )
    horizon_years: int = param(
        10,
        unit="years",
        doc="Years of projected cash flows before the terminal value.",
        ge=2,
        le=30,
    )
    terminal_growth: float = param(
        0.03,
        unit="per year",
        doc="Long-run revenue growth after the horizon.",
        ge=0.0,
        le=0.05,
    )
    target_margin: float = param(
        0.35,
        unit="fraction",
        doc="Free-cash-flow margin a firm converges to by the horizon (kept if already higher).",
        ge=0.0,
        le=0.9,
    )
    growth_half_life_years: float = param(
        2.0,
        unit="years",
        doc="Half-life of the fade of revenue growth towards the terminal rate in valuations.",
        ge=0.25,
        le=20.0,
    )
    growth_cap: float = param(
        1.0,
        unit="per year",
        doc="Most first-year revenue growth investors pay for.",
        ge=0.0,
        le=5.0,
    )
    defer_months: int = param(
        1,
        unit="months",
        doc="Slip of a distressed firm's unfinished datacenters for each month in distress.",
        ge=0,
        le=12,
    )
    renegotiate_after_months: int = param(
        2,
        unit="months",
        doc="Months in distress before the firm cuts its newest supply contract.",
        ge=1,
        le=24,
    )
    default_after_months: int = param(
        4,
        unit="months",
        doc="Months in distress before the firm defaults on its newest purchase contract.",
        ge=1,
        le=36,
    )
    source: str = ""


class RoadmapVendor(Strict):
    """One chip designer's roadmap beyond its announced products (`world.roadmap`)."""

    cadence_months: float = param(
        12.0,
        unit="months",
        doc="Mean months between two generations.",
        ge=3.0,
        le=60.0,
    )
    release_cv: float = param(
        0.25,
        unit="-",
        doc="Coefficient of variation of the gap between generations (lognormal).",
        ge=0.0,
        le=2.0,
    )
    perf_per_gw_step: float = param(
        1.3,
        unit="-",
        doc="Mean factor on PFLOP/s per GW from one generation to the next.",
        ge=0.5,
        le=4.0,
    )
    perf_cv: float = param(
        0.15,
        unit="-",
        doc="Coefficient of variation of that factor (lognormal).",
        ge=0.0,
        le=2.0,
    )
    cost_per_gw_step: float = param(
        1.05,
        unit="-",
        doc="Factor on unit cost (and list price) per generation at equal power per chip.",
        ge=0.5,
        le=4.0,
    )
    source: str = ""


class RoadmapParams(Strict):
    """Uncertain product roadmaps: later release dates and performance drawn from the seed."""

    certain_until: Month = param(
        "2026-12",
        unit="month",
        doc="Announced products released after this month slip by a random delay.",
    )
    announced_delay_cv: float = param(
        0.3,
        unit="-",
        doc="CV of an announced later product's lead time from `certain_until` (lognormal).",
        ge=0.0,
        le=2.0,
    )
    through: Month = param("2030-12", unit="month", doc="Generations are drawn up to this month.")
    vendors: dict[str, RoadmapVendor] = param(
        unit="-",
        doc="Roadmap of each chip designer (by catalog vendor name).",
        default_factory=dict,
    )
    source: str = ""


class SitesParams(Strict):
    """Pool of candidate datacenter sites.

    Sources: 700-800 candidate sites screened (Stargate), LBNL interconnection queues (median
    ~5 years), build times (200 MW in ~12 months at Abilene; ~3 years for a large campus).
    """

    n_sites: Annotated[int, Field(ge=1, le=1_000_000)] = 800
    regions: list[str] = Field(default_factory=lambda: ["us_east", "us_south", "us_west", "us_mid"])
    grid_power_gw: Distribution = Distribution(mean=0.6, cv=0.8, low=0.05, high=5.0)
    interconnect_wait_months: Distribution = Distribution(mean=30.0, cv=0.6, low=0.0, high=96.0)
    permit_months: Distribution = Distribution(mean=6.0, cv=0.5, low=1.0, high=36.0)
    build_months: Distribution = Distribution(mean=18.0, cv=0.35, low=9.0, high=48.0)
    capex_usd_b_per_gw: Distribution = Distribution(mean=12.0, cv=0.2, low=6.0, high=30.0)
    build_overrun: Distribution = param(
        Distribution(mean=1.0, cv=0.0, low=0.5, high=3.0),
        unit="-",
        doc="Realised / announced time to power of a datacenter, drawn when it is planned.",
    )
    unlimited: bool = False
    source: str = ""


class DemandParams(Strict):
    """Demand and supply from outside the six firms (the fringe), and final-demand terms."""

    fringe_accel_gw_per_year: list[tuple[Month, NonNeg]] = Field(default_factory=list)
    fringe_cloud_gw: list[tuple[Month, NonNeg]] = Field(default_factory=list)
    fringe_lab_revenue_usd_b_per_year: list[tuple[Month, NonNeg]] = Field(default_factory=list)
    opening_backlog_gw: dict[str, NonNeg] = Field(default_factory=dict)
    fringe_chip_price_usd_b_per_gw: Pos = 25.0
    cloud_price_usd_b_per_gw_year: Pos = 12.0
    revenue_multiplier: Pos = 1.0
    frontier_demand_gw: list[tuple[Month, NonNeg]] = param(
        unit="GW",
        doc="Reference path of the demand A_t for served frontier-AI compute: the GW users"
        " buy at the reference price (the path the growth shocks move around).",
        default_factory=lambda: [("2025-01", 1.6), ("2030-12", 50.0)],
    )
    frontier_price_usd_b_per_gw_year: float = param(
        10.5,
        unit="USD B per GW-year",
        doc="Reference end-user price P_ref of one GW-year of served frontier-AI compute.",
        gt=0.5,
        le=200.0,
    )
    frontier_elasticity: float = param(
        1.5, unit="-", doc="Price elasticity e of demand for AI services.", ge=0.2, le=5.0
    )
    growth_sd_per_year: float = param(
        0.2,
        unit="per year",
        doc="Standard deviation of the yearly log shock to AI-services demand (a random walk"
        " around the reference path, one draw a month from the seed).",
        ge=0.0,
        le=1.0,
    )
    cloud_tenant_gw: list[tuple[Month, NonNeg]] = param(
        unit="GW",
        doc="Cloud capacity tenants outside the named labs lease at the reference lease price.",
        default_factory=lambda: [("2025-01", 7.5), ("2030-12", 30.0)],
    )
    cloud_elasticity: float = param(
        1.0, unit="-", doc="Price elasticity of tenants' demand for cloud capacity.",
        ge=0.2, le=5.0,
    )
    fringe_cloud_supply_elasticity: float = param(
        0.5,
        unit="-",
        doc="Elasticity of the fringe clouds' capacity to last month's lease price"
        " relative to the reference (their path is the capacity at the reference price).",
        ge=0.0,
        le=3.0,
    )
    price_floor_frac: float = param(
        0.25, unit="x reference", doc="Lowest lease and AI-services price, as a fraction of"
        " the reference price.", ge=0.01, le=1.0,
    )
    price_cap_frac: float = param(
        4.0, unit="x reference", doc="Highest lease and AI-services price, as a multiple of the"
        " reference price.", ge=1.0, le=50.0,
    )
    # docking cases only: linear inverse final demand P = intercept - slope x Q
    intercept: Pos = 100.0
    slope: Pos = 1.0
    source: str = ""


class MarketParams(Strict):
    """Logit order split and backlog pricing (DESIGN 'Markets')."""

    price_sensitivity: NonNeg = 4.0
    cuda_lockin: NonNeg = 1.0
    relationship_bonus: NonNeg = 0.5
    lead_time_weight: NonNeg = 0.05
    diversification: NonNeg = 0.5
    markup_cap: NonNeg = 4.0
    defer_utility: float = param(
        0.0,
        unit="-",
        doc="Logit utility of deferring a chip order (the outside option), against"
        " u = lock-in + ... - price_sensitivity x ln(price / buyer's value).",
        ge=-20.0,
        le=20.0,
    )
    chip_life_years: float = param(
        4.0, unit="years", doc="Years of lease income a buyer counts in its value of a GW of"
        " chips.", gt=0.5, le=10.0,
    )
    facility_cost_usd_b_per_gw_year: float = param(
        1.5,
        unit="USD B per GW-year",
        doc="Datacenter and power cost of running a GW, netted from the lease price in the"
        " buyer's value of chips.",
        ge=0.0,
        le=20.0,
    )
    exclusivity_allowed: bool = True
    source: str = ""


class FringeParams(Strict):
    """The firms outside the named six, by market: a few named fringe firms with fixed shares
    of their market's fringe quantity, and a remainder of small firms with Zipf sizes
    (`world.fringe`)."""

    chips: dict[str, Frac] = param(
        unit="share of fringe",
        doc="Named fringe chip designers and their share of the fringe's accelerators.",
        default_factory=dict,
    )
    clouds: dict[str, Frac] = param(
        unit="share of fringe",
        doc="Named fringe clouds and their share of the fringe's cloud capacity.",
        default_factory=dict,
    )
    labs: dict[str, Frac] = param(
        unit="share of fringe",
        doc="Named fringe labs and their share of the fringe's frontier-AI compute.",
        default_factory=dict,
    )
    small_firms: int = param(
        20, unit="firms", doc="Small firms sharing the remainder of each fringe.", ge=1, le=10_000
    )
    zipf_exponent: float = param(
        1.0,
        unit="-",
        doc="Size of the k-th small firm proportional to k^-exponent (0: equal sizes).",
        ge=0.0,
        le=4.0,
    )
    source: str = ""

    @model_validator(mode="after")
    def _shares(self) -> FringeParams:
        for market in ("chips", "clouds", "labs"):
            if sum(getattr(self, market).values()) > 1.0 + 1e-9:
                raise ValueError(f"fringe.{market}: the named shares sum to more than 1")
        return self


class NegotiationParams(Strict):
    """Alternating offers, letters of intent and due diligence (DESIGN 'Negotiation')."""

    max_rounds: Annotated[int, Field(ge=1, le=50)] = 6
    estimate_noise_sd: NonNeg = 0.1
    diligence_months: Annotated[int, Field(ge=0, le=24)] = 3
    min_financing_ratio: NonNeg = 0.5
    max_burn_to_revenue: NonNeg = 1.5
    min_frontier_share: Frac = 0.2
    restructure_frac: Frac = 0.3
    stall_months_to_abandon: Annotated[int, Field(ge=1, le=60)] = 9
    search_every_months: Annotated[int, Field(ge=1, le=60)] = 3
    investor_exclusivity: bool = False
    """A lab's new compute contract with a firm holding equity in it is exclusive in its kind
    (the investor's string, as Microsoft's Azure exclusivity until 2025, facts D5)."""
    bargaining_weights: tuple[Pos, Pos] = param(
        (0.5, 0.5),
        unit="-",
        doc="Nash bargaining weights (seller, buyer) of every negotiated contract; a side's"
        " per-round patience scales with its weight (`agents.negotiation`).",
    )
    # docking cases only: the surplus bargained over and the two parties' terms
    surplus_usd_b: Pos = 100.0
    discount_factors: tuple[Delta, Delta] = (0.9, 0.9)
    disagreement_usd_b: tuple[NonNeg, NonNeg] = (0.0, 0.0)
    buyer_value_usd_b: float = param(
        50.0,
        unit="USD B per GW",
        doc="Docking case outside_option: what one GW is worth to the buyer (v).",
        gt=0.0,
        le=1000.0,
    )
    alternative_price_usd_b: float = param(
        30.0,
        unit="USD B per GW",
        doc="Docking case outside_option: price of the buyer's alternative supplier (p_alt).",
        ge=0.0,
        le=1000.0,
    )
    source: str = ""


class VendorsParams(Strict):
    """Chip sellers of the docking cases; ignored by the market.

    `marginal_costs` has one entry per seller (N = its length), in the units of the demand
    intercept; `integrated` merges the vendor and the cloud in `double_marginalization`.
    """

    marginal_costs: Annotated[list[NonNeg], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [10.0, 10.0]
    )
    integrated: bool = False
    source: str = ""


class Regime(StrEnum):
    NONE = "none"
    HSR_2010 = "hsr_2010"
    GUIDELINES_2023 = "guidelines_2023"
    STRICT = "strict"


class RegulatorParams(Strict):
    """Merger control (agents.regulator; docs/antitrust.md).

    `review_months` is the first-phase review; a deal that raises a concern under the regime
    gets `phase2_months` more (an in-depth review, like an HSR second request). Screens:
    `foreclosure_share` is the input supplier's market share above which a vertical link may
    limit rivals' access (2023 Merger Guidelines, guideline 5: 50%); `financing_share` is the
    vendor share above which the `strict` regime blocks vendor financing of customers.
    """

    regime: Regime = Regime.NONE
    review_months: Annotated[int, Field(ge=0, le=24)] = 1
    phase2_months: Annotated[int, Field(ge=0, le=24)] = 6
    foreclosure_share: Frac = 0.5
    financing_share: Frac = 0.3
    source: str = ""


class DealKind(StrEnum):
    SUPPLY = "supply"
    CLOUD_CAPACITY = "cloud_capacity"
    EQUITY = "equity"
    WARRANT = "warrant"


class EventKind(StrEnum):
    DEAL = "deal"
    SHOCK = "shock"


class ShockTarget(StrEnum):
    FOUNDRY_CAPACITY = "foundry_capacity"
    LAB_REVENUE = "lab_revenue"
    FRINGE_DEMAND = "fringe_demand"


class EventParams(Strict):
    """A dated announcement (a deal entering the negotiation pipeline) or an exogenous shock.

    Deals: `source` pays (investor, chip buyer... see `payer`) and `target` is the counterparty;
    by convention `source` is the firm that gives money or chips: vendor for supply, cloud for
    cloud_capacity, investor for equity and warrant. Terms follow DESIGN 'Contracts'.
    """

    date: Month
    kind: EventKind = EventKind.DEAL
    id: str = ""
    deal_kind: DealKind | None = None
    source_firm: str = ""
    target_firm: str = ""
    stage: Literal["proposed", "loi", "definitive"] = "loi"
    binding: bool = False
    gw: NonNeg = 0.0
    value_usd_b: NonNeg = 0.0
    price_usd_b_per_gw: NonNeg = 0.0
    duration_months: Annotated[int, Field(ge=0, le=240)] = 0
    start: Month | None = None
    equity_pct: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
    voting: bool = True
    exclusive: bool = False
    tranches: Annotated[int, Field(ge=0, le=100)] = 0
    gw_per_tranche: NonNeg = 0.0
    valuation_usd_b: NonNeg = 0.0
    target: ShockTarget | None = None
    multiplier: NonNeg = 1.0
    source: str = ""

    @model_validator(mode="after")
    def _complete(self) -> EventParams:
        if self.kind is EventKind.DEAL:
            if self.deal_kind is None:
                raise ValueError("a deal event needs deal_kind")
            if not self.source_firm or not self.target_firm:
                raise ValueError("a deal event needs source_firm and target_firm")
        elif self.target is None:
            raise ValueError("a shock event needs target")
        return self


class InterventionKind(StrEnum):
    BLOCK_DEAL = "block_deal"
    BAN_EXCLUSIVITY = "ban_exclusivity"
    CAP_EQUITY = "cap_equity"
    NO_VENDOR_FINANCING = "no_vendor_financing"
    ALLOCATION_RULE = "allocation_rule"
    INTEROPERABILITY = "interoperability"
    DIVESTITURE = "divestiture"
    NONVOTING_REPORTABLE = "nonvoting_reportable"


class InterventionParams(Strict):
    """An antitrust lever applied from `date` (default: the start of the run)."""

    kind: InterventionKind
    date: Month | None = None
    deal_id: str = ""
    deal_kind: DealKind | None = None
    parties: list[str] = Field(default_factory=list)
    max_equity_pct: Annotated[float, Field(ge=0.0, le=100.0)] = 100.0
    allocation_rule: AllocationRule | None = None
    lockin_factor: Frac = 1.0
    source: str = ""


class ComponentsParams(Strict):
    """Which parts of the market model a run switches on. The market runs with all of them;
    the docking cases switch them off so that a textbook game is played by the markets,
    bargaining and agents alone (`world.components`)."""

    fringe: bool = param(
        True,
        unit="on/off",
        doc="The firms outside the named six: fringe chip designers and buyers, fringe clouds"
        " and their tenants, fringe labs. Off: none of them exists (no fringe demand or supply).",
    )
    physical_layer: bool = param(
        True,
        unit="on/off",
        doc="Packaging capacity, site power and build times. Off: unlimited packaging"
        " (`foundry.unlimited`), unlimited sites (`sites.unlimited`), no build, permit or"
        " interconnection months and no build overruns.",
    )
    dated_events: bool = param(
        True,
        unit="on/off",
        doc="The scenario's dated announcements and shocks (`events`). Off: all are ignored,"
        " including the deals signed before the start.",
    )
    regulator: bool = param(
        True,
        unit="on/off",
        doc="Merger review. Off: no deal is reviewed; a definitive deal becomes active at once"
        " (explicit `interventions` still apply).",
    )


class ScenarioParams(Strict):
    """A whole scenario: what one run of the model needs besides its seed."""

    name: str = "unnamed"
    seed: Annotated[int, Field(ge=0)] = 0
    extends: str = ""
    simulation: SimulationParams = SimulationParams()
    components: ComponentsParams = ComponentsParams()
    firms: dict[str, FirmParams] = Field(default_factory=dict)
    catalog: CatalogParams = CatalogParams()
    foundry: FoundryParams = FoundryParams()
    sites: SitesParams = SitesParams()
    demand: DemandParams = DemandParams()
    market: MarketParams = MarketParams()
    fringe: FringeParams = FringeParams()
    negotiation: NegotiationParams = NegotiationParams()
    regulator: RegulatorParams = RegulatorParams()
    vendors: VendorsParams = VendorsParams()
    capital: CapitalParams = CapitalParams()
    roadmap: RoadmapParams = RoadmapParams()
    events: list[EventParams] = Field(default_factory=list)
    interventions: list[InterventionParams] = Field(default_factory=list)

    @field_validator("firms")
    @classmethod
    def _known_firms(cls, firms: dict[str, FirmParams]) -> dict[str, FirmParams]:
        for name in firms:
            if name not in FIRM_NAMES:
                raise ValueError(f"unknown firm {name!r}; firms are {', '.join(FIRM_NAMES)}")
        return firms

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioParams:
        if self.simulation.mode is Mode.COURNOT and len(self.vendors.marginal_costs) > len(
            FIRM_NAMES
        ):
            raise ValueError(
                f"vendors.marginal_costs: the cournot case plays at most {len(FIRM_NAMES)}"
                " sellers (one per firm name)"
            )
        end = month_index(self.simulation.start) + self.simulation.steps
        start = month_index(self.simulation.start)
        designers = {p.vendor for p in self.catalog.products}
        for name in sorted(self.roadmap.vendors):
            if self.catalog.products and name not in designers:
                raise ValueError(
                    f"roadmap.vendors.{name}: no catalog product has vendor {name!r}; "
                    f"roadmaps extend {sorted(designers)}"
                )
        for i, ev in enumerate(self.events):
            idx = month_index(ev.date)
            if not start - 24 <= idx < end:
                raise ValueError(
                    f"events[{i}].date {ev.date} is outside the horizon "
                    f"({self.simulation.start} + {self.simulation.steps} months)"
                )
            for key in ("source_firm", "target_firm"):
                firm = getattr(ev, key)
                if ev.kind is EventKind.DEAL and firm not in self.firms:
                    raise ValueError(f"events[{i}].{key}: unknown firm {firm!r}")
        for i, iv in enumerate(self.interventions):
            for p in iv.parties:
                if p not in self.firms:
                    raise ValueError(f"interventions[{i}].parties: unknown firm {p!r}")
            if iv.date is not None and not start <= month_index(iv.date) < end:
                raise ValueError(f"interventions[{i}].date {iv.date} is outside the horizon")
        return self


def month_index(month: str) -> int:
    """Months since year 0 for a 'YYYY-MM' string (2025-01 -> 24300)."""
    year, mon = _check_month(month).split("-")
    return int(year) * 12 + int(mon) - 1
