"""Typed, validated parameters of one scenario (the whole model configuration).

Every field carries its unit in its name. A scenario TOML file maps one-to-one onto
`ScenarioParams`; loading, `extends` and `--set` overrides live in `experiments.scenario.loader`.
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
    """What the model runs: the full market, or one docking special case (issue 6)."""

    MARKET = "market"
    COURNOT = "cournot"
    RUBINSTEIN = "rubinstein"
    NASH = "nash"
    DOUBLE_MARGINALIZATION = "double_marginalization"


class SimulationParams(Strict):
    """Clock of the run: one step is one month starting at `start`."""

    start: Month = "2025-01"
    steps: Annotated[int, Field(ge=1, le=600)] = 72
    mode: Mode = Mode.MARKET
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
    valuation_multiple: Pos = 10.0
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

    Sources: facts.md 'Accelerator power', 'Unit prices', 'Cost of 1 GW'.
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


class SitesParams(Strict):
    """Pool of candidate datacenter sites.

    Sources: facts.md 'Sites', 'Grid interconnection', 'Build times'.
    """

    n_sites: Annotated[int, Field(ge=1, le=1_000_000)] = 800
    regions: list[str] = Field(default_factory=lambda: ["us_east", "us_south", "us_west", "us_mid"])
    grid_power_gw: Distribution = Distribution(mean=0.6, cv=0.8, low=0.05, high=5.0)
    interconnect_wait_months: Distribution = Distribution(mean=30.0, cv=0.6, low=0.0, high=96.0)
    permit_months: Distribution = Distribution(mean=6.0, cv=0.5, low=1.0, high=36.0)
    build_months: Distribution = Distribution(mean=18.0, cv=0.35, low=9.0, high=48.0)
    capex_usd_b_per_gw: Distribution = Distribution(mean=12.0, cv=0.2, low=6.0, high=30.0)
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
    # docking modes only (issue 6): linear inverse final demand P = intercept - slope x Q
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
    markup_backlog_slope: NonNeg = 0.3
    markup_cap: NonNeg = 4.0
    exclusivity_allowed: bool = True
    source: str = ""


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
    # docking modes only (issue 6): the surplus bargained over and the two parties' terms
    surplus_usd_b: Pos = 100.0
    discount_factors: tuple[Delta, Delta] = (0.9, 0.9)
    bargaining_weights: tuple[Pos, Pos] = (0.5, 0.5)
    disagreement_usd_b: tuple[NonNeg, NonNeg] = (0.0, 0.0)
    source: str = ""


class VendorsParams(Strict):
    """Chip sellers of the docking modes (issue 6); ignored by the market mode.

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
    vguppi_threshold: float = param(
        0.05, unit="fraction", ge=0.0, le=1.0,
        doc="upstream vGUPPI at or above which a vertical link gives an incentive to raise "
        "rivals' input price (Moresi and Salop 2013; the 5% safe harbour of GUPPI practice)",
    )
    margin_over_input_price: float = param(
        0.5, unit="fraction", ge=0.0, le=5.0,
        doc="downstream margin per unit over the input price rivals pay (M_D / W_R of the "
        "vGUPPI): a cloud's 30% lease margin on ~4 years of lease at ~15 USD B/GW-year over "
        "accelerators at ~35 USD B/GW is about 0.5",
    )
    upstream_margin_over_price: float = param(
        0.4, unit="fraction", ge=0.0, le=5.0,
        doc="supplier's margin on the input over the downstream price (the (W_R - MC_U) / P_D "
        "of the downstream vGUPPI): a ~75% chip gross margin (Reuters 2025) on ~35 USD B/GW "
        "over ~60 USD B of lease revenue per GW over its life is about 0.4",
    )
    exclusive_share: float = param(
        0.3, unit="fraction", ge=0.0, le=1.0,
        doc="foreclosed share of a market at or above which exclusive contracts raise a "
        "concern (EU Vertical Block Exemption 30%; US case law 30-50%)",
    )
    exclusive_min_months: int = param(
        12, unit="months", ge=0, le=120,
        doc="shortest exclusive term that can raise a concern (exclusives of a year or less "
        "are easily terminated: Tampa Electric 1961 on duration)",
    )
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


class ScenarioParams(Strict):
    """A whole scenario: what one run of the model needs besides its seed."""

    name: str = "unnamed"
    seed: Annotated[int, Field(ge=0)] = 0
    extends: str = ""
    simulation: SimulationParams = SimulationParams()
    firms: dict[str, FirmParams] = Field(default_factory=dict)
    catalog: CatalogParams = CatalogParams()
    foundry: FoundryParams = FoundryParams()
    sites: SitesParams = SitesParams()
    demand: DemandParams = DemandParams()
    market: MarketParams = MarketParams()
    negotiation: NegotiationParams = NegotiationParams()
    regulator: RegulatorParams = RegulatorParams()
    vendors: VendorsParams = VendorsParams()
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
        end = month_index(self.simulation.start) + self.simulation.steps
        start = month_index(self.simulation.start)
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
