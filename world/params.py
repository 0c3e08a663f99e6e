"""Typed, validated parameters of one scenario (the whole model configuration).

Every field carries its unit in its name and is declared with `param(default, unit=...,
doc=..., <bounds>)`, so its meaning, unit, default and bounds live in one place: the scenario
keys of docs/scenarios.md are generated from this schema (`compute-market docs scenarios`).
Every number has a finite lower and upper bound (entries of lists, tuples and tables too, via
`bounded`), and `Strict` refuses inf and NaN everywhere. A scenario TOML file maps one-to-one
onto `ScenarioParams`; loading, `extends` and `--set` overrides live in
`experiments.scenario.loader`. Unknown keys are errors (``extra="forbid"``) so a typo never
passes silently.

This module is longer than the house's ~400 lines on purpose: it is one declarative table of
every key (mostly `param(...)` declarations, no logic to read through), and keeping the whole
schema in one file is what makes it the single source the docs and the checks read.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

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


def bounded(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Any:
    """A float type between `low` and `high` (for list, tuple and table entries; a key itself
    states its bounds through `param`). Open ends exclude the bound."""
    lo = {"gt": low} if low_open else {"ge": low}
    hi = {"lt": high} if high_open else {"le": high}
    return Annotated[float, Field(**lo, **hi)]


class Strict(BaseModel):
    """Base for every parameter block: unknown keys are errors, values are validated on set,
    and infinite or NaN numbers are refused everywhere (``allow_inf_nan=False``)."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )


def _check_month(value: str) -> str:
    if not MONTH_RE.match(value):
        raise ValueError(f"expected a month as 'YYYY-MM', got {value!r}")
    return value


Month = Annotated[str, Field(pattern=MONTH_RE.pattern)]

FIRST_YEAR, LAST_YEAR = 2000, 2100
"""Years a run may start in: the model's calendar, catalog and facts cover the 2020s."""

SOURCE_DOC = "Where the section's values come from (report, article, paper)."


class Mode(StrEnum):
    """What the model runs: the full market, or one docking case (a textbook special case
    with a closed form, run by the market model as `experiments.validation.docking_model`
    builds it; docs/validation.md)."""

    MARKET = "market"
    COURNOT = "cournot"
    RUBINSTEIN = "rubinstein"
    NASH = "nash"
    DOUBLE_MARGINALIZATION = "double_marginalization"
    OUTSIDE_OPTION = "outside_option"


class SimulationParams(Strict):
    """Clock of the run: one step is one month starting at `start`."""

    start: Month = param(
        "2025-01", unit="month",
        doc=f"Calendar month of step 0 (first day of the month is the `date`); a year from "
        f"{FIRST_YEAR} to {LAST_YEAR}.",
    )
    steps: int = param(
        72, unit="months", ge=1, le=600,
        doc="Horizon: number of monthly steps (`--steps` overrides, dropping later events).",
    )
    mode: Mode = param(
        Mode.MARKET, unit="-",
        doc="`market` (the full model) or a docking case, a textbook special case with a closed "
        "form (`cournot`, `rubinstein`, `nash`, `double_marginalization`, `outside_option`), "
        "run by the market model with `[components]` off "
        "(`experiments/validation/docking_model.py`).",
    )
    history_cutoff: Month | None = param(
        None, unit="month",
        doc="Last month of replayed history: dated deal announcements after it are left out of "
        "the run, so the agents must make (or miss) them (backtests); empty keeps every event "
        "and the agents decide on their own after the latest dated announcement.",
    )
    description: str = param(
        "", unit="-",
        doc="Free text; its first line is shown by `compute-market scenarios`.",
    )
    source: str = param("", unit="-", doc=SOURCE_DOC)

    @field_validator("start")
    @classmethod
    def _plausible_year(cls, value: str) -> str:
        year = int(value[:4])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"start year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
        return value


class Role(StrEnum):
    VENDOR = "vendor"
    CLOUD = "cloud"
    LAB = "lab"


GwPath = list[tuple[Month, bounded(0.0, 500.0)]]
"""A [month, GW] path; 500 GW is far above any firm's plan (OpenAI's 2025 letters total ~30 GW)."""


class FirmParams(Strict):
    """Initial balance sheet and behaviour of one of the six firms.

    Role-specific fields are ignored by the other roles (a vendor has no compute ambition).
    Upper bounds are a few times the largest real firm (Amazon's ~$600B revenue, Nvidia's
    ~$4,000B valuation in 2025), so a typo of a few orders of magnitude is refused.
    """

    role: Role = param(
        unit="-", doc="`vendor` (ChipVendor), `cloud` (CloudProvider) or `lab` (AILab)."
    )
    cash_usd_b: float = param(
        0.0, unit="USD B", ge=0.0, le=5_000.0,
        doc="Opening cash (booked as an `initial` flow from Investors at step 0).",
    )
    debt_usd_b: float = param(
        0.0, unit="USD B", ge=0.0, le=5_000.0,
        doc="Opening drawn debt (interest at the capital market's rate for the firm, "
        "`[capital]`, paid to Lenders once a month).",
    )
    valuation_usd_b: float = param(
        0.0, unit="USD B", ge=0.0, le=50_000.0,
        doc="Opening valuation (equity deals without a valuation use it).",
    )
    other_revenue_usd_b_per_year: float = param(
        0.0, unit="USD B per year", ge=0.0, le=5_000.0,
        doc="Revenue of the firm's non-AI business (retail, Office, gaming...), booked monthly "
        "from Customers.",
    )
    other_margin: float = param(
        0.3, unit="fraction", ge=0.0, le=1.0,
        doc="Margin on that other business: (1 - margin) of it is paid to Suppliers as opex.",
    )
    discount_factor: float = param(
        0.95, unit="per month", gt=0.0, lt=1.0,
        doc="Per-round discount factor in bargaining (patience; a lab's falls with urgency).",
    )
    # physical starting point (clouds and labs)
    powered_gw: float = param(
        0.0, unit="GW", ge=0.0, le=200.0,
        doc="Datacenter capacity already powered at the start (a legacy site).",
    )
    installed_gw: float = param(
        0.0, unit="GW", ge=0.0, le=200.0, doc="Accelerators already installed at the start."
    )
    installed_mix: dict[str, bounded(0.0, 1.0)] = param(
        unit="fraction by designer", default_factory=dict,
        doc="Designer -> fraction of `installed_gw` (sums to <= 1; default all Nvidia).",
    )
    pipeline_gw: float = param(
        0.0, unit="GW", ge=0.0, le=200.0,
        doc="Datacenters under construction at the start (planned 12 months before it on the "
        "best free sites; they come online in the first months).",
    )
    build_gw_per_year: float = param(
        0.0, unit="GW per year", ge=0.0, le=100.0,
        doc="Clouds: new capacity planned per year at the start.",
    )
    build_growth_per_year: float = param(
        0.0, unit="per year", ge=-0.5, le=3.0, doc="Clouds: yearly growth of that build rate."
    )
    max_debt_to_revenue: float = param(
        3.0, unit="x annual revenue", ge=0.0, le=50.0,
        doc="Debt capacity: debt may reach this multiple of trailing annual revenue.",
    )
    # vendors
    markup: float = param(
        1.0, unit="x unit cost", ge=0.0, le=20.0,
        doc="Not read by the market model: vendors set Bertrand-Nash prices (`market.markup_cap` "
        "bounds them); kept so older scenarios still load.",
    )
    financing_appetite_frac_cash: float = param(
        0.0, unit="fraction of cash", ge=0.0, le=1.0,
        doc="Most of its cash the firm puts into one funding round of a customer lab (vendor "
        "financing).",
    )
    financing_hurdle: float = param(
        0.0, unit="USD per USD invested", ge=0.0, le=10.0,
        doc="Net benefit per dollar (margin on returning purchases + equity return - risk) a "
        "strategic investment must beat.",
    )
    # clouds
    lease_margin: float = param(
        0.3, unit="fraction of lease price", ge=0.0, le=1.0,
        doc="Clouds: margin on capacity leased to labs (its cost of capacity is the lease price "
        "x (1 - margin)).",
    )
    # labs
    compute_ambition_gw: GwPath = param(
        unit="GW", default_factory=list,
        doc="Labs: target compute path, [month, GW] pairs (interpolated).",
    )
    revenue_usd_b_per_gw_year: float = param(
        10.0, unit="USD B per GW-year", ge=0.0, le=1_000.0,
        doc="Not read by the market model: a lab's revenue is what its served compute sells for "
        "in the AI-services market (`demand.frontier_price_usd_b_per_gw_year`); kept so older "
        "scenarios still load.",
    )
    opex_usd_b_per_year: float = param(
        0.0, unit="USD B per year", ge=0.0, le=5_000.0,
        doc="Labs: operating costs besides compute at the start.",
    )
    opex_growth_per_year: float = param(
        0.0, unit="per year", ge=-0.5, le=5.0, doc="Labs: yearly growth of those costs."
    )
    funding_runway_months: int = param(
        12, unit="months", ge=1, le=120,
        doc="Labs: raise a round when cash covers fewer months of outflows than this.",
    )
    round_size_months_of_burn: float = param(
        18.0, unit="months of outflows", gt=0.0, le=240.0,
        doc="Labs: size of a round in months of outflows.",
    )
    max_supplier_share: float = param(
        1.0, unit="fraction", ge=0.0, le=1.0,
        doc="Buyers: share of installed chips from one designer above which diversification "
        "weighs against it.",
    )
    source: str = param("", unit="-", doc="Where the firm's values come from.")


class Product(Strict):
    """One accelerator generation.

    Sources: each product's `source` in experiments/scenarios/baseline.toml (vendor specs, press).
    """

    name: str = param(unit="-", doc="Product name (e.g. `B200`).")
    vendor: str = param(unit="-", doc="Designer: a firm name, or `Other chips` for the fringe.")
    release: Month = param(
        unit="month", doc="First month it ships; a designer sells its newest released product."
    )
    pflops_dense: float = param(
        unit="PFLOP/s per unit", gt=0.0, le=1_000.0, doc="Dense performance per accelerator."
    )
    kw_per_unit: float = param(
        unit="kW per unit", gt=0.0, le=100.0,
        doc="All-in facility power per accelerator (chip + CPU, network, cooling share); "
        "converts units to GW.",
    )
    unit_cost_usd_k: float = param(
        unit="USD thousands per unit", gt=0.0, le=10_000.0,
        doc="Cost to make one unit (the designer pays it at production).",
    )
    system_price_usd_k: float = param(
        unit="USD thousands per unit", gt=0.0, le=10_000.0,
        doc="List price of one unit as part of a system.",
    )
    units_per_wafer: float = param(
        unit="units per wafer", gt=0.0, le=1_000.0,
        doc="Good packages per advanced-packaging wafer.",
    )
    source: str = param("", unit="-", doc="Where the product's figures come from.")


class CatalogParams(Strict):
    """Accelerator generations on sale (`[[catalog.products]]`)."""

    products: list[Product] = param(
        unit="-", default_factory=list,
        doc="Accelerator generations, one `[[catalog.products]]` table each.",
    )
    source: str = param("", unit="-", doc="Where the catalog comes from.")


class AllocationRule(StrEnum):
    """How scarce packaging capacity is split among chip designers (a policy lever)."""

    PRO_RATA = "pro_rata"
    PRIORITY = "priority"
    UNIFORM = "uniform"


class FoundryParams(Strict):
    """Advanced-packaging (CoWoS-like) capacity path and its allocation rule."""

    capacity_wafers_per_month: list[tuple[Month, bounded(0.0, 5_000_000.0)]] = param(
        unit="wafers per month", default_factory=list,
        doc="Packaging capacity path, [month, wafers/month] pairs (interpolated; flat beyond "
        "the ends); at most 5 million a month (about 25x TSMC's 2026 CoWoS plan).",
    )
    allocation_rule: AllocationRule = param(
        AllocationRule.PRO_RATA, unit="-",
        doc="How scarce capacity is split among designers: `pro_rata` to requests, `priority` "
        "(in `priority_order`), `uniform` (equal split, capped by requests). A policy lever.",
    )
    priority_order: list[str] = param(
        unit="-", default_factory=list,
        doc="Designers served first under `priority`, in order.",
    )
    yield_frac: float = param(
        0.9, unit="fraction", ge=0.0, le=1.0, doc="Share of packaged units that are good."
    )
    unlimited: bool = param(
        False, unit="-", doc="Docking: infinite capacity, every request served."
    )
    source: str = param("", unit="-", doc="Where the path comes from.")


class Distribution(Strict):
    """A lognormal-by-mean draw (mean and coefficient of variation), clipped to [low, high].

    Values are in the unit of the key the distribution belongs to; each key of `[sites]` also
    caps `mean` and `high` at a plausible maximum of its own (`SitesParams.MAX_BY_KEY`), and a
    distribution given there without `high` is clipped at that maximum.
    """

    mean: float = param(
        unit="unit of the key", gt=0.0, le=10_000.0,
        doc="Mean of the lognormal draw (in the unit of the field it belongs to).",
    )
    cv: float = param(
        0.5, unit="-", ge=0.0, le=10.0,
        doc="Coefficient of variation (sd / mean); 0 = every site gets the mean.",
    )
    low: float = param(
        0.0, unit="unit of the key", ge=0.0, le=10_000.0,
        doc="Draws are clipped below at this value.",
    )
    high: float = param(
        10_000.0, unit="unit of the key", gt=0.0, le=10_000.0,
        doc="Draws are clipped above at this value.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Distribution:
        if not self.low <= self.mean <= self.high:
            raise ValueError("need low <= mean <= high")
        return self


class CapitalParams(Strict):
    """Outside capital: investor appetite, the equity pool, the cost of debt and equity, the
    cash-flow valuation and the distress ladder (`world.capital`; docs/odd.md 'Capital')."""

    outside_equity_usd_b_per_year: list[tuple[Month, bounded(0.0, 5_000.0)]] = param(
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
        doc="Operating margin (after depreciation) a firm converges to by the horizon (kept if"
        " already higher).",
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
    expectation_weight: float = param(
        0.1,
        unit="per month",
        doc="Weight w of adaptive growth expectations: each month investors move their expected"
        " growth of a firm w of the way to the growth they observe.",
        ge=0.01,
        le=1.0,
    )
    facility_life_years: float = param(
        20.0,
        unit="years",
        doc="Years over which a datacenter's capex is depreciated in valuations.",
        ge=5.0,
        le=50.0,
    )
    opening_chip_cost_usd_b_per_gw: float = param(
        32.0,
        unit="USD B per GW",
        doc="Gross cost of a GW of accelerators installed before the run (written off over"
        " `market.chip_life_years` as if bought evenly over that life).",
        ge=0.0,
        le=200.0,
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
    source: str = param("", unit="-", doc="Where the capital market's values come from.")


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
    source: str = param(
        "", unit="-",
        doc="Where this vendor's roadmap comes from (announcements, record).",
    )


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
    source: str = param("", unit="-", doc="Where the roadmap rules come from.")


class SitesParams(Strict):
    """Pool of candidate datacenter sites.

    Sources: the `source` of `[sites]` in experiments/scenarios/baseline.toml.
    """

    MAX_BY_KEY: ClassVar[dict[str, float]] = {
        "grid_power_gw": 20.0,
        "interconnect_wait_months": 240.0,
        "permit_months": 120.0,
        "build_months": 120.0,
        "capex_usd_b_per_gw": 200.0,
        "build_overrun": 10.0,
    }
    """Largest plausible `mean` and `high` of each distribution (a 20 GW site is ~4x the
    largest announced campus; 20 years of waiting; ~15x today's ~$12B per GW; a build taking
    10x its announced time)."""

    n_sites: int = param(
        800, unit="count", ge=1, le=100_000,
        doc="Number of candidate sites drawn into the pool.",
    )
    regions: list[str] = param(
        unit="-", default_factory=lambda: ["us_east", "us_south", "us_west", "us_mid"],
        doc="Region names; each site's region is drawn uniformly.",
    )
    grid_power_gw: Distribution = param(
        Distribution(mean=0.6, cv=0.8, low=0.05, high=5.0), unit="GW",
        doc="Distribution of a site's available grid power (mean and high at most 20 GW).",
    )
    interconnect_wait_months: Distribution = param(
        Distribution(mean=30.0, cv=0.6, low=0.0, high=96.0), unit="months",
        doc="Distribution of the wait for grid connection (mean and high at most 240 months).",
    )
    permit_months: Distribution = param(
        Distribution(mean=6.0, cv=0.5, low=1.0, high=36.0), unit="months",
        doc="Distribution of permitting time (mean and high at most 120 months).",
    )
    build_months: Distribution = param(
        Distribution(mean=18.0, cv=0.35, low=9.0, high=48.0), unit="months",
        doc="Distribution of construction time (a site is powered after max(interconnect wait, "
        "permit + build)); mean and high at most 120 months.",
    )
    capex_usd_b_per_gw: Distribution = param(
        Distribution(mean=12.0, cv=0.2, low=6.0, high=30.0), unit="USD B per GW",
        doc="Distribution of construction cost per GW (mean and high at most 200 USD B per GW).",
    )
    build_overrun: Distribution = param(
        Distribution(mean=1.0, cv=0.0, low=0.5, high=3.0), unit="-",
        doc="Realised / announced time to power of a datacenter, drawn when it is planned (mean "
        "and high at most 10).",
    )
    unlimited: bool = param(False, unit="-", doc="Docking: infinite grid power, no waits.")
    source: str = param("", unit="-", doc="Where the distributions come from.")

    @model_validator(mode="after")
    def _plausible_draws(self) -> SitesParams:
        for key, cap in self.MAX_BY_KEY.items():
            dist: Distribution = getattr(self, key)
            if "high" not in dist.model_fields_set and dist.high > cap:
                # a distribution given without `high` is clipped at the key's maximum
                dist = dist.model_copy(update={"high": cap})
                self.__dict__[key] = dist
            for end in ("mean", "high"):
                if getattr(dist, end) > cap:
                    raise ValueError(
                        f"{key}.{end} = {getattr(dist, end):g} is above the plausible maximum "
                        f"{cap:g}"
                    )
        return self


class DemandParams(Strict):
    """Demand and supply from outside the six firms (the fringe), and final-demand terms."""

    fringe_accel_gw_per_year: GwPath = param(
        unit="GW per year", default_factory=list,
        doc="Chip orders of buyers outside the six firms (Google, Meta, xAI, neoclouds) at the "
        "reference demand, [month, GW/yr] path (scaled by the AI-services demand index and "
        "`fringe_demand` shocks).",
    )
    fringe_cloud_gw: GwPath = param(
        unit="GW", default_factory=list,
        doc="AI cloud capacity of the fringe clouds at the reference lease price, [month, GW] "
        "path (it moves with the lease price).",
    )
    fringe_lab_revenue_usd_b_per_year: list[tuple[Month, bounded(0.0, 50_000.0)]] = param(
        unit="USD B per year", default_factory=list,
        doc="The fringe labs' plan: their revenue at the reference AI-services price, "
        "[month, USD B/yr] path; they start with it / P_ref GW of compute, then rent what pays "
        "at the lease price.",
    )
    opening_backlog_gw: dict[str, bounded(0.0, 500.0)] = param(
        unit="GW by chip designer", default_factory=dict,
        doc="Open chip orders at the start, by designer (placed by `Other buyers` before the "
        "run).",
    )
    fringe_chip_price_usd_b_per_gw: float = param(
        25.0, unit="USD B per GW", gt=0.0, le=1_000.0,
        doc="Price of fringe (`Other chips`) accelerators.",
    )
    cloud_price_usd_b_per_gw_year: float = param(
        12.0, unit="USD B per GW-year", gt=0.0, le=1_000.0,
        doc="Reference lease price r_ref of AI cloud capacity (tenants' demand is "
        "`cloud_tenant_gw` at this price).",
    )
    revenue_multiplier: float = param(
        1.0, unit="x", gt=0.0, le=100.0,
        doc="Scales users' demand for AI services (and the demand derived from it); "
        "`lab_revenue` shocks multiply it.",
    )
    frontier_demand_gw: GwPath = param(
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
    cloud_tenant_gw: GwPath = param(
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
    # docking modes only: linear inverse final demand P = intercept - slope x Q
    intercept: float = param(
        100.0, unit="price units", gt=0.0, le=1e6,
        doc="Docking modes: intercept a of the inverse demand p = a - b Q.",
    )
    slope: float = param(
        1.0, unit="price per unit of quantity", gt=0.0, le=1e6,
        doc="Docking modes: slope b of the inverse demand p = a - b Q.",
    )
    source: str = param("", unit="-", doc="Where the demand paths come from.")


class MarketParams(Strict):
    """Logit order split and backlog pricing (docs/odd.md 'Markets')."""

    price_sensitivity: float = param(
        4.0, unit="utility per log(USD/PFLOP)", ge=0.0, le=50.0,
        doc="Logit weight on log price per PFLOP/s in a buyer's utility.",
    )
    cuda_lockin: float = param(
        1.0, unit="utility", ge=0.0, le=50.0,
        doc="Utility bonus of Nvidia chips (software lock-in, the CUDA moat; an "
        "`interoperability` intervention scales it).",
    )
    relationship_bonus: float = param(
        0.5, unit="utility", ge=0.0, le=50.0,
        doc="Utility bonus of a designer the buyer has an active supply deal with.",
    )
    lead_time_weight: float = param(
        0.05, unit="utility per month", ge=0.0, le=10.0,
        doc="Utility penalty per month of lead time (backlog / output, capped at 24).",
    )
    diversification: float = param(
        0.5, unit="utility", ge=0.0, le=50.0,
        doc="Utility penalty on a designer whose share of the buyer's installed chips exceeds "
        "its `max_supplier_share`.",
    )
    markup_cap: float = param(
        4.0, unit="x unit cost", ge=0.0, le=50.0,
        doc="Highest markup over unit cost a vendor's Bertrand-Nash price may reach (price <= "
        "cost x (1 + markup_cap)).",
    )
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
    exclusivity_allowed: bool = param(
        True, unit="-",
        doc="Not read by the model yet (use a `ban_exclusivity` intervention).",
    )
    source: str = param("", unit="-", doc="Where the market parameters come from.")


class FringeParams(Strict):
    """The firms outside the named six, by market: a few named fringe firms with fixed shares
    of their market's fringe quantity, and a remainder of small firms with Zipf sizes
    (`world.fringe`)."""

    chips: dict[str, bounded(0.0, 1.0)] = param(
        unit="share of fringe",
        doc="Named fringe chip designers and their share of the fringe's accelerators.",
        default_factory=dict,
    )
    clouds: dict[str, bounded(0.0, 1.0)] = param(
        unit="share of fringe",
        doc="Named fringe clouds and their share of the fringe's cloud capacity.",
        default_factory=dict,
    )
    labs: dict[str, bounded(0.0, 1.0)] = param(
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
    source: str = param(
        "", unit="-", doc="Where the fringe's named firms and shares come from."
    )

    @model_validator(mode="after")
    def _shares(self) -> FringeParams:
        for market in ("chips", "clouds", "labs"):
            if sum(getattr(self, market).values()) > 1.0 + 1e-9:
                raise ValueError(f"fringe.{market}: the named shares sum to more than 1")
        return self


class NegotiationParams(Strict):
    """Alternating offers, letters of intent and due diligence (docs/odd.md 'Negotiation')."""

    max_rounds: int = param(
        6, unit="rounds", ge=1, le=50, doc="Most alternating-offer rounds before an impasse."
    )
    estimate_noise_sd: float = param(
        0.1, unit="fraction (sd)", ge=0.0, le=5.0,
        doc="Sd of each side's relative error on the pie and of the checker's error in due "
        "diligence (a draw below -0.95 is floored there).",
    )
    diligence_months: int = param(
        3, unit="months", ge=0, le=24,
        doc="Months from a letter of intent to the diligence verdict.",
    )
    min_financing_ratio: float = param(
        0.5, unit="ratio", ge=0.0, le=100.0,
        doc="Diligence test: (cash + expected funding) / commitments must reach this.",
    )
    max_burn_to_revenue: float = param(
        1.5, unit="ratio", ge=0.0, le=100.0,
        doc="Diligence test: burn / revenue must not exceed this.",
    )
    min_frontier_share: float = param(
        0.2, unit="fraction", ge=0.0, le=1.0,
        doc="Diligence test: the counterparty's frontier-AI share must reach this.",
    )
    restructure_frac: float = param(
        0.3, unit="fraction", ge=0.0, le=1.0,
        doc="A deal failing one test is restructured to this fraction of its size.",
    )
    stall_months_to_abandon: int = param(
        9, unit="months", ge=1, le=60, doc="A stalled deal is abandoned after this long."
    )
    search_every_months: int = param(
        3, unit="months", ge=1, le=60, doc="Labs look for new compute deals this often."
    )
    investor_exclusivity: bool = param(
        False, unit="-",
        doc="A lab's new compute contract with a firm holding equity in it is exclusive in its "
        "kind (the investor's string, as Microsoft's Azure exclusivity until 2025).",
    )
    bargaining_weights: tuple[bounded(0.0, 1_000.0, low_open=True),
                              bounded(0.0, 1_000.0, low_open=True)] = param(
        (0.5, 0.5), unit="-",
        doc="Nash bargaining weights (seller, buyer) of every negotiated contract; a side's "
        "per-round patience scales with its weight (`agents.negotiation`).",
    )
    # docking modes only: the surplus bargained over and the two parties' terms
    surplus_usd_b: float = param(
        100.0, unit="USD B", gt=0.0, le=1e6,
        doc="Docking (`rubinstein`, `nash`): the pie bargained over.",
    )
    discount_factors: tuple[bounded(0.0, 1.0, high_open=True),
                            bounded(0.0, 1.0, high_open=True)] = param(
        (0.9, 0.9), unit="per round",
        doc="Docking: (seller, buyer) per-round discount factors.",
    )
    disagreement_usd_b: tuple[bounded(0.0, 1e6), bounded(0.0, 1e6)] = param(
        (0.0, 0.0), unit="USD B",
        doc="Docking (`nash`): (seller, buyer) disagreement payoffs.",
    )
    buyer_value_usd_b: float = param(
        50.0, unit="USD B per GW", gt=0.0, le=1000.0,
        doc="Docking case outside_option: what one GW is worth to the buyer (v).",
    )
    alternative_price_usd_b: float = param(
        30.0, unit="USD B per GW", ge=0.0, le=1000.0,
        doc="Docking case outside_option: price of the buyer's alternative supplier (p_alt).",
    )
    source: str = param("", unit="-", doc="Where the thresholds come from.")


class VendorsParams(Strict):
    """Chip sellers of the docking modes; ignored by the market mode.

    `marginal_costs` has one entry per seller (N = its length), in the units of the demand
    intercept; `integrated` merges the vendor and the cloud in `double_marginalization`.
    """

    marginal_costs: list[bounded(0.0, 1e6)] = param(
        unit="price units", min_length=1, max_length=50,
        default_factory=lambda: [10.0, 10.0],
        doc="Docking: one marginal cost per seller (N = length).",
    )
    integrated: bool = param(
        False, unit="-", doc="Docking (`double_marginalization`): vendor and cloud merged."
    )
    source: str = param("", unit="-", doc="Where the docking values come from.")


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

    regime: Regime = param(
        Regime.NONE, unit="-",
        doc="Merger-control regime: `none`, `hsr_2010`, `guidelines_2023`, `strict` "
        "(docs/antitrust.md).",
    )
    review_months: int = param(
        1, unit="months", ge=0, le=24, doc="First-phase review time of a reportable deal."
    )
    phase2_months: int = param(
        6, unit="months", ge=0, le=24,
        doc="Extra months of an in-depth (second-phase) review.",
    )
    foreclosure_share: float = param(
        0.5, unit="fraction", ge=0.0, le=1.0,
        doc="Vertical screen: supplier share above which a link may foreclose rivals (2023 "
        "Guidelines, guideline 5).",
    )
    financing_share: float = param(
        0.3, unit="fraction", ge=0.0, le=1.0,
        doc="`strict`: vendor share above which vendor financing of a customer is blocked.",
    )
    vguppi_threshold: float = param(
        0.05, unit="fraction", ge=0.0, le=1.0,
        doc="Upstream vGUPPI at or above which a vertical link gives an incentive to raise "
        "rivals' input price (Moresi and Salop 2013; the 5% safe harbour of GUPPI practice).",
    )
    margin_over_input_price: float = param(
        0.5, unit="fraction", ge=0.0, le=5.0,
        doc="Downstream margin per unit over the input price rivals pay (M_D / W_R of the "
        "vGUPPI): a cloud's 30% lease margin on ~4 years of lease at ~15 USD B/GW-year over "
        "accelerators at ~35 USD B/GW is about 0.5.",
    )
    upstream_margin_over_price: float = param(
        0.4, unit="fraction", ge=0.0, le=5.0,
        doc="Supplier's margin on the input over the downstream price (the (W_R - MC_U) / P_D "
        "of the downstream vGUPPI): a ~75% chip gross margin (Reuters 2025) on ~35 USD B/GW "
        "over ~60 USD B of lease revenue per GW over its life is about 0.4.",
    )
    exclusive_share: float = param(
        0.3, unit="fraction", ge=0.0, le=1.0,
        doc="Foreclosed share of a market at or above which exclusive contracts raise a "
        "concern (EU Vertical Block Exemption 30%; US case law 30-50%).",
    )
    exclusive_min_months: int = param(
        12, unit="months", ge=0, le=120,
        doc="Shortest exclusive term that can raise a concern (exclusives of a year or less "
        "are easily terminated: Tampa Electric 1961 on duration).",
    )
    source: str = param("", unit="-", doc="Where the regime comes from.")


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
    cloud_capacity, investor for equity and warrant. Terms follow docs/odd.md 'Contracts'.
    """

    date: Month = param(
        unit="month",
        doc="Month of the announcement (up to 24 months before the start: then an initial "
        "position, active at step 0).",
    )
    kind: EventKind = param(
        EventKind.DEAL, unit="-",
        doc="`deal` (enters the deal pipeline) or `shock` (multiplies a `target`).",
    )
    id: str = param("", unit="-", doc="Deal id (unique; interventions name it in `deal_id`).")
    deal_kind: DealKind | None = param(
        None, unit="-", doc="`supply`, `cloud_capacity`, `equity` or `warrant` (deals)."
    )
    source_firm: str = param(
        "", unit="-",
        doc="Seller / investor / issuer (vendor for supply, cloud for cloud_capacity).",
    )
    target_firm: str = param("", unit="-", doc="Buyer / investee / holder.")
    stage: Literal["proposed", "loi", "definitive"] = param(
        "loi", unit="-",
        doc="Stage it enters at: `proposed`, `loi` (then due diligence) or `definitive`.",
    )
    binding: bool = param(False, unit="-", doc="A definitive, enforceable commitment.")
    gw: float = param(
        0.0, unit="GW", ge=0.0, le=500.0, doc="Facility power covered."
    )
    value_usd_b: float = param(
        0.0, unit="USD B", ge=0.0, le=10_000.0,
        doc="Total value (equity amount; contract value).",
    )
    price_usd_b_per_gw: float = param(
        0.0, unit="USD B per GW", ge=0.0, le=1_000.0,
        doc="Price per GW (per GW-year for cloud capacity); 0 = derived from value, GW and "
        "duration.",
    )
    duration_months: int = param(
        0, unit="months", ge=0, le=240, doc="Delivery or lease term (0 = one-off)."
    )
    start: Month | None = param(
        None, unit="month",
        doc="First month of delivery or lease (default: the announcement).",
    )
    equity_pct: float = param(
        0.0, unit="percent", ge=0.0, le=100.0,
        doc="Stake in the investee (equity) or warrant size.",
    )
    voting: bool = param(True, unit="-", doc="Whether the stake carries votes.")
    exclusive: bool = param(
        False, unit="-", doc="The target may deal in this kind only with the source."
    )
    tranches: int = param(
        0, unit="count", ge=0, le=100,
        doc="Number of milestone payments (equity) or vesting steps (warrant).",
    )
    gw_per_tranche: float = param(
        0.0, unit="GW", ge=0.0, le=500.0,
        doc="Tranche k is due once k x this GW of the source's chips are deployed by the "
        "target since signing.",
    )
    valuation_usd_b: float = param(
        0.0, unit="USD B", ge=0.0, le=50_000.0, doc="Post-money valuation of an equity deal."
    )
    target: ShockTarget | None = param(
        None, unit="-",
        doc="Shocks: `foundry_capacity`, `lab_revenue` or `fringe_demand`.",
    )
    multiplier: float = param(
        1.0, unit="x", ge=0.0, le=100.0,
        doc="Shocks: factor applied to the target from `date` on.",
    )
    source: str = param("", unit="-", doc="Where the event comes from (report, article).")

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

    kind: InterventionKind = param(
        unit="-",
        doc="`block_deal`, `ban_exclusivity`, `cap_equity`, `no_vendor_financing`, "
        "`allocation_rule`, `interoperability`, `divestiture`, `nonvoting_reportable`.",
    )
    date: Month | None = param(
        None, unit="month", doc="Month it takes effect (default: the start)."
    )
    deal_id: str = param(
        "", unit="-", doc="`block_deal`: the event id of the deal to block."
    )
    deal_kind: DealKind | None = param(
        None, unit="-", doc="`block_deal`: the kind of deal to block (with `parties`)."
    )
    parties: list[str] = param(
        unit="-", default_factory=list,
        doc="Firms concerned: [source, target] for `block_deal`, [owner, firm] for "
        "`divestiture`; empty = all.",
    )
    max_equity_pct: float = param(
        100.0, unit="percent", ge=0.0, le=100.0, doc="`cap_equity`: largest stake allowed."
    )
    allocation_rule: AllocationRule | None = param(
        None, unit="-", doc="`allocation_rule`: the rule imposed on the foundry."
    )
    lockin_factor: float = param(
        1.0, unit="x cuda_lockin", ge=0.0, le=1.0,
        doc="`interoperability`: multiplies `market.cuda_lockin`.",
    )
    source: str = param("", unit="-", doc="Where the lever comes from.")


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

    name: str = param(
        "unnamed", unit="-",
        doc="Scenario name (default: the file's path under experiments/scenarios without "
        ".toml, e.g. `what_if/no_vendor_financing`). Written to every table.",
    )
    seed: int = param(
        0, unit="-", ge=0, le=2**63 - 1,
        doc="Default seed of the run (`--seed` or `run(params, rng=...)` overrides it). All "
        "randomness flows from it; it is stored as a 64-bit integer in every table.",
    )
    extends: str = param(
        "", unit="-",
        doc="Parent scenario: a shipped name or a path relative to this file. See 'How a "
        "scenario is resolved'.",
    )
    simulation: SimulationParams = param(
        SimulationParams(), unit="-", doc="Section `[simulation]`."
    )
    components: ComponentsParams = param(
        ComponentsParams(), unit="-",
        doc="Section `[components]`: which parts of the market model exist (all on in the "
        "market; off in the docking cases).",
    )
    firms: dict[str, FirmParams] = param(
        unit="-", default_factory=dict,
        doc="Sections `[firms.<Name>]`, one per firm (Nvidia, AMD, OpenAI, Amazon, Microsoft, "
        "Oracle); a firm left out is not in the run.",
    )
    catalog: CatalogParams = param(
        CatalogParams(), unit="-", doc="Section `[catalog]` with `[[catalog.products]]`."
    )
    foundry: FoundryParams = param(FoundryParams(), unit="-", doc="Section `[foundry]`.")
    sites: SitesParams = param(SitesParams(), unit="-", doc="Section `[sites]`.")
    demand: DemandParams = param(DemandParams(), unit="-", doc="Section `[demand]`.")
    market: MarketParams = param(MarketParams(), unit="-", doc="Section `[market]`.")
    fringe: FringeParams = param(
        FringeParams(), unit="-",
        doc="Section `[fringe]`: the named fringe firms and the small ones.",
    )
    negotiation: NegotiationParams = param(
        NegotiationParams(), unit="-", doc="Section `[negotiation]`."
    )
    regulator: RegulatorParams = param(
        RegulatorParams(), unit="-", doc="Section `[regulator]`."
    )
    vendors: VendorsParams = param(
        VendorsParams(), unit="-", doc="Section `[vendors]` (docking modes only)."
    )
    capital: CapitalParams = param(
        CapitalParams(), unit="-",
        doc="Section `[capital]`: outside equity and debt, their prices, valuation from cash "
        "flows, distress.",
    )
    roadmap: RoadmapParams = param(
        RoadmapParams(), unit="-",
        doc="Section `[roadmap]` with `[roadmap.vendors.<Name>]`: uncertain release dates and "
        "performance of later accelerator generations.",
    )
    events: list[EventParams] = param(
        unit="-", default_factory=list,
        doc="List `[[events]]`: dated deal announcements and shocks.",
    )
    interventions: list[InterventionParams] = param(
        unit="-", default_factory=list, doc="List `[[interventions]]`: antitrust levers."
    )

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
