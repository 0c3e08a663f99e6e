"""Regenerate the key tables of docs/scenarios.md from the scenario schema (world/params.py).

    python -m uv run --frozen python docs/_gen_scenarios.py

Rewrites only the part of docs/scenarios.md between the GENERATED markers; the prose around
it is written by hand. Per key: type and valid range, default (read from the pydantic schema),
unit, the value the shipped baseline sets, and the meaning (from `MEANINGS` below, else the
attribute docstring in world/params.py). Keys without a meaning are listed on stderr: add one
to `MEANINGS` when you add a field. tests/test_docs.py checks that every schema field appears.
"""

from __future__ import annotations

import ast
import enum
import itertools
import sys
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from world import params as P  # noqa: E402

DOC = ROOT / "docs" / "scenarios.md"
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
BEGIN = "<!-- BEGIN GENERATED KEYS (docs/_gen_scenarios.py) -->"
END = "<!-- END GENERATED KEYS -->"

UNITS: dict[str, str] = {
    "seed": "-",
    "steps": "months",
    "start": "month",
    "discount_factor": "per month",
    "other_margin": "fraction",
    "markup": "x unit cost",
    "financing_hurdle": "USD per USD invested",
    "lease_margin": "fraction of lease price",
    "max_debt_to_revenue": "x annual revenue",
    "max_supplier_share": "fraction",
    "round_size_months_of_burn": "months of outflows",
    "pflops_dense": "PFLOP/s per unit",
    "kw_per_unit": "kW per unit",
    "units_per_wafer": "units per wafer",
    "yield_frac": "fraction",
    "opening_backlog_gw": "GW by chip designer",
    "revenue_multiplier": "x",
    "intercept": "price units",
    "slope": "price per unit of quantity",
    "price_sensitivity": "utility per log(USD/PFLOP)",
    "cuda_lockin": "utility",
    "relationship_bonus": "utility",
    "lead_time_weight": "utility per month",
    "diversification": "utility",
    "markup_cap": "x unit cost",
    "estimate_noise_sd": "fraction (sd)",
    "min_financing_ratio": "ratio",
    "max_burn_to_revenue": "ratio",
    "min_frontier_share": "fraction",
    "restructure_frac": "fraction",
    "foreclosure_share": "fraction",
    "financing_share": "fraction",
    "marginal_costs": "price units",
    "discount_factors": "per round",
    "bargaining_weights": "-",
    "multiplier": "x",
    "lockin_factor": "x cuda_lockin",
    "cv": "-",
    "equity_pct": "percent",
    "max_equity_pct": "percent",
    "tranches": "count",
    "n_sites": "count",
    "gw": "GW",
    "date": "month",
    "stall_months_to_abandon": "months",
    "max_rounds": "rounds",
}
"""Units of fields whose name has no unit suffix (suffix rules in `unit_of`)."""

SUFFIX_UNITS = (
    ("_usd_b_per_gw_year", "USD B per GW-year"),
    ("_usd_b_per_gw", "USD B per GW"),
    ("_usd_b_per_year", "USD B per year"),
    ("_usd_b", "USD B"),
    ("_usd_k", "USD thousands per unit"),
    ("_gw_per_year", "GW per year"),
    ("_per_year", "per year"),
    ("_gw", "GW"),
    ("_months", "months"),
    ("_wafers_per_month", "wafers per month"),
    ("_frac_cash", "fraction of cash"),
    ("_frac", "fraction"),
    ("_pct", "percent"),
)

MEANINGS: dict[str, str] = {
    # top level
    "ScenarioParams.name": "Scenario name (default: the file's path under experiments/scenarios"
    " without .toml, e.g. `what_if/no_vendor_financing`). Written to every table.",
    "ScenarioParams.seed": "Default seed of the run (`--seed` or `run(params, rng=...)` overrides"
    " it). All randomness flows from it.",
    "ScenarioParams.extends": "Parent scenario: a shipped name or a path relative to this file."
    " See 'How a scenario is resolved'.",
    "ScenarioParams.simulation": "Section `[simulation]`.",
    "ScenarioParams.components": "Section `[components]`: which parts of the market model exist"
    " (all on in the market; off in the docking cases).",
    "ScenarioParams.firms": "Sections `[firms.<Name>]`, one per firm (Nvidia, AMD, OpenAI, Amazon,"
    " Microsoft, Oracle); a firm left out is not in the run.",
    "ScenarioParams.catalog": "Section `[catalog]` with `[[catalog.products]]`.",
    "ScenarioParams.foundry": "Section `[foundry]`.",
    "ScenarioParams.sites": "Section `[sites]`.",
    "ScenarioParams.demand": "Section `[demand]`.",
    "ScenarioParams.market": "Section `[market]`.",
    "ScenarioParams.fringe": "Section `[fringe]`: the named fringe firms and the small ones.",
    "ScenarioParams.negotiation": "Section `[negotiation]`.",
    "ScenarioParams.regulator": "Section `[regulator]`.",
    "ScenarioParams.vendors": "Section `[vendors]` (docking modes only).",
    "ScenarioParams.capital": "Section `[capital]`: outside equity and debt, their prices,"
    " valuation from cash flows, distress.",
    "ScenarioParams.roadmap": "Section `[roadmap]` with `[roadmap.vendors.<Name>]`: uncertain"
    " release dates and performance of later accelerator generations.",
    "ScenarioParams.events": "List `[[events]]`: dated deal announcements and shocks.",
    "ScenarioParams.interventions": "List `[[interventions]]`: antitrust levers.",
    # simulation
    "SimulationParams.start": "Calendar month of step 0 (first day of the month is the `date`).",
    "SimulationParams.steps": "Horizon: number of monthly steps (`--steps` overrides, dropping"
    " later events).",
    "SimulationParams.mode": "`market` (the full model) or a docking case: a textbook special case"
    " with a closed form, run by the market model with `[components]` off"
    " (`experiments/docking_model.py`).",
    "SimulationParams.description": "Free text; its first line is shown by"
    " `compute-market scenarios`.",
    "SimulationParams.source": "Where the section's values come from (facts.md rows, papers).",
    # firms
    "FirmParams.role": "`vendor` (ChipVendor), `cloud` (CloudProvider) or `lab` (AILab).",
    "FirmParams.cash_usd_b": "Opening cash (booked as an `initial` flow from Investors at step 0).",
    "FirmParams.debt_usd_b": "Opening drawn debt (interest at the capital market's rate for the"
    " firm, `[capital]`, paid to Lenders once a month).",
    "FirmParams.valuation_usd_b": "Opening valuation (equity deals without a valuation use it).",
    "FirmParams.other_revenue_usd_b_per_year": "Revenue of the firm's non-AI business"
    " (retail, Office, gaming...), booked monthly from Customers.",
    "FirmParams.other_margin": "Margin on that other business: (1 - margin) of it is paid to"
    " Suppliers as opex.",
    "FirmParams.discount_factor": "Per-round discount factor in bargaining (patience; a lab's"
    " falls with urgency).",
    "FirmParams.powered_gw": "Datacenter capacity already powered at the start (a legacy site).",
    "FirmParams.installed_gw": "Accelerators already installed at the start.",
    "FirmParams.pipeline_gw": "Datacenters under construction at the start (planned 12 months"
    " before it on the best free sites; they come online in the first months).",
    "FirmParams.installed_mix": "Designer -> fraction of `installed_gw` (sums to <= 1;"
    " default all Nvidia).",
    "FirmParams.build_gw_per_year": "Clouds: new capacity planned per year at the start.",
    "FirmParams.build_growth_per_year": "Clouds: yearly growth of that build rate.",
    "FirmParams.max_debt_to_revenue": "Debt capacity: debt may reach this multiple of trailing"
    " annual revenue.",
    "FirmParams.markup": "Not read by the market model: vendors set Bertrand-Nash prices"
    " (`market.markup_cap` bounds them); kept so older scenarios still load.",
    "FirmParams.financing_appetite_frac_cash": "Most of its cash the firm puts into one"
    " funding round of a customer lab (vendor financing).",
    "FirmParams.financing_hurdle": "Net benefit per dollar (margin on returning purchases +"
    " equity return - risk) a strategic investment must beat.",
    "FirmParams.lease_margin": "Clouds: margin on capacity leased to labs.",
    "FirmParams.compute_ambition_gw": "Labs: target compute path, [month, GW] pairs"
    " (interpolated).",
    "FirmParams.revenue_usd_b_per_gw_year": "Labs: revenue per GW of compute per year.",
    "FirmParams.opex_usd_b_per_year": "Labs: operating costs besides compute at the start.",
    "FirmParams.opex_growth_per_year": "Labs: yearly growth of those costs.",
    "FirmParams.funding_runway_months": "Labs: raise a round when cash covers fewer months of"
    " outflows than this.",
    "FirmParams.round_size_months_of_burn": "Labs: size of a round in months of outflows.",
    "FirmParams.own_chip_vendor": "Labs: designer name of the lab's own chip (not read by the"
    " model yet: the catalog's vendor field decides).",
    "FirmParams.max_supplier_share": "Buyers: share of installed chips from one designer above"
    " which diversification weighs against it.",
    "FirmParams.source": "Where the firm's values come from.",
    # catalog
    "CatalogParams.products": "Accelerator generations, one `[[catalog.products]]` table each.",
    "CatalogParams.source": "Where the catalog comes from.",
    "CapitalParams.source": "Where the capital market's values come from.",
    "RoadmapParams.source": "Where the roadmap rules come from.",
    "RoadmapVendor.source": "Where this vendor's roadmap comes from (announcements, record).",
    "Product.name": "Product name (e.g. `B200`).",
    "Product.vendor": "Designer: a firm name, or `Other chips` for the fringe.",
    "Product.release": "First month it ships; a designer sells its newest released product.",
    "Product.pflops_dense": "Dense performance per accelerator.",
    "Product.kw_per_unit": "All-in facility power per accelerator (chip + CPU, network,"
    " cooling share); converts units to GW.",
    "Product.unit_cost_usd_k": "Cost to make one unit (the designer pays it at production).",
    "Product.system_price_usd_k": "List price of one unit as part of a system.",
    "Product.units_per_wafer": "Good packages per advanced-packaging wafer.",
    "Product.source": "Where the product's figures come from.",
    # foundry
    "FoundryParams.capacity_wafers_per_month": "Packaging capacity path, [month, wafers/month]"
    " pairs (interpolated; flat beyond the ends).",
    "FoundryParams.allocation_rule": "How scarce capacity is split among designers: `pro_rata`"
    " to requests, `priority` (in `priority_order`), `uniform` (equal split, capped by"
    " requests). A policy lever.",
    "FoundryParams.priority_order": "Designers served first under `priority`, in order.",
    "FoundryParams.yield_frac": "Share of packaged units that are good.",
    "FoundryParams.fringe_request_frac": "Not read by the model yet (the fringe requests through"
    " its backlog like the others).",
    "FoundryParams.unlimited": "Docking: infinite capacity, every request served.",
    "FoundryParams.source": "Where the path comes from.",
    # sites
    "SitesParams.n_sites": "Number of candidate sites drawn into the pool.",
    "SitesParams.table": "Not read by the model yet (sites are always drawn from the"
    " distributions below).",
    "SitesParams.regions": "Region names; each site's region is drawn uniformly.",
    "SitesParams.grid_power_gw": "Distribution of a site's available grid power.",
    "SitesParams.interconnect_wait_months": "Distribution of the wait for grid connection.",
    "SitesParams.permit_months": "Distribution of permitting time.",
    "SitesParams.build_months": "Distribution of construction time (a site is powered after"
    " max(interconnect wait, permit + build)).",
    "SitesParams.capex_usd_b_per_gw": "Distribution of construction cost per GW.",
    "SitesParams.unlimited": "Docking: infinite grid power, no waits.",
    "SitesParams.source": "Where the distributions come from.",
    "Distribution.mean": "Mean of the lognormal draw (in the unit of the field it belongs to).",
    "Distribution.cv": "Coefficient of variation (sd / mean); 0 = every site gets the mean.",
    "Distribution.low": "Draws are clipped below at this value.",
    "Distribution.high": "Draws are clipped above at this value.",
    # demand
    "DemandParams.fringe_accel_gw_per_year": "Chip orders of buyers outside the six firms"
    " (Google, Meta, xAI, neoclouds) at the reference demand, [month, GW/yr] path (scaled by the"
    " AI-services demand index and `fringe_demand` shocks).",
    "DemandParams.fringe_cloud_gw": "AI cloud capacity of the fringe clouds at the reference"
    " lease price, [month, GW] path (it moves with the lease price).",
    "DemandParams.fringe_lab_revenue_usd_b_per_year": "The fringe labs' plan: their revenue at"
    " the reference AI-services price, [month, USD B/yr] path; they start with it / P_ref GW"
    " of compute, then rent what pays at the lease price.",
    "DemandParams.fringe_chip_pflops_per_kw": "Not read by the model yet (fringe chips take"
    " their performance from the catalog).",
    "DemandParams.fringe_chip_price_usd_b_per_gw": "Price of fringe (`Other chips`) accelerators.",
    "DemandParams.opening_backlog_gw": "Open chip orders at the start, by designer (placed by"
    " `Other buyers` before the run).",
    "DemandParams.cloud_price_usd_b_per_gw_year": "Reference lease price r_ref of AI cloud"
    " capacity (tenants' demand is `cloud_tenant_gw` at this price).",
    "DemandParams.revenue_multiplier": "Scales users' demand for AI services (and the demand"
    " derived from it); `lab_revenue` shocks multiply it.",
    "DemandParams.intercept": "Docking modes: intercept a of the inverse demand p = a - b Q.",
    "DemandParams.slope": "Docking modes: slope b of the inverse demand p = a - b Q.",
    "DemandParams.source": "Where the demand paths come from.",
    # market
    "MarketParams.price_sensitivity": "Logit weight on log price per PFLOP/s in a buyer's utility.",
    "MarketParams.cuda_lockin": "Utility bonus of Nvidia chips (software lock-in, the CUDA moat;"
    " an `interoperability` intervention scales it).",
    "MarketParams.relationship_bonus": "Utility bonus of a designer the buyer has an active"
    " supply deal with.",
    "MarketParams.lead_time_weight": "Utility penalty per month of lead time (backlog /"
    " output, capped at 24).",
    "MarketParams.diversification": "Utility penalty on a designer whose share of the buyer's"
    " installed chips exceeds its `max_supplier_share`.",
    "MarketParams.markup_cap": "Highest markup over unit cost a vendor's Bertrand-Nash price may"
    " reach (price <= cost x (1 + markup_cap)).",
    "MarketParams.exclusivity_allowed": "Not read by the model yet (use a `ban_exclusivity`"
    " intervention).",
    "MarketParams.source": "Where the market parameters come from.",
    "FringeParams.source": "Where the fringe's named firms and shares come from.",
    # negotiation
    "NegotiationParams.max_rounds": "Most alternating-offer rounds before an impasse.",
    "NegotiationParams.estimate_noise_sd": "Sd of each side's relative error on the pie and of"
    " the checker's error in due diligence (a draw below -0.95 is floored there).",
    "NegotiationParams.diligence_months": "Months from a letter of intent to the diligence"
    " verdict.",
    "NegotiationParams.min_financing_ratio": "Diligence test: (cash + expected funding) /"
    " commitments must reach this.",
    "NegotiationParams.max_burn_to_revenue": "Diligence test: burn / revenue must not exceed this.",
    "NegotiationParams.min_frontier_share": "Diligence test: the counterparty's frontier-AI share"
    " must reach this.",
    "NegotiationParams.restructure_frac": "A deal failing one test is restructured to this"
    " fraction of its size.",
    "NegotiationParams.stall_months_to_abandon": "A stalled deal is abandoned after this long.",
    "NegotiationParams.search_every_months": "Labs look for new compute deals this often.",
    "NegotiationParams.surplus_usd_b": "Docking (`rubinstein`, `nash`): the pie bargained over.",
    "NegotiationParams.discount_factors": "Docking: (seller, buyer) per-round discount factors.",
    "NegotiationParams.disagreement_usd_b": "Docking (`nash`): (seller, buyer) disagreement"
    " payoffs.",
    "NegotiationParams.source": "Where the thresholds come from.",
    # regulator
    "RegulatorParams.regime": "Merger-control regime: `none`, `hsr_2010`, `guidelines_2023`,"
    " `strict` (docs/antitrust.md).",
    "RegulatorParams.review_months": "First-phase review time of a reportable deal.",
    "RegulatorParams.phase2_months": "Extra months of an in-depth (second-phase) review.",
    "RegulatorParams.foreclosure_share": "Vertical screen: supplier share above which a link"
    " may foreclose rivals (2023 Guidelines, guideline 5).",
    "RegulatorParams.financing_share": "`strict`: vendor share above which vendor financing of"
    " a customer is blocked.",
    "RegulatorParams.source": "Where the regime comes from.",
    # vendors (docking)
    "VendorsParams.marginal_costs": "Docking: one marginal cost per seller (N = length).",
    "VendorsParams.integrated": "Docking (`double_marginalization`): vendor and cloud merged.",
    "VendorsParams.source": "Where the docking values come from.",
    # events
    "EventParams.date": "Month of the announcement (up to 24 months before the start: then an"
    " initial position, active at step 0).",
    "EventParams.kind": "`deal` (enters the deal pipeline) or `shock` (multiplies a `target`).",
    "EventParams.id": "Deal id (unique; interventions name it in `deal_id`).",
    "EventParams.deal_kind": "`supply`, `cloud_capacity`, `equity` or `warrant` (deals).",
    "EventParams.source_firm": "Seller / investor / issuer (vendor for supply, cloud for"
    " cloud_capacity).",
    "EventParams.target_firm": "Buyer / investee / holder.",
    "EventParams.stage": "Stage it enters at: `proposed`, `loi` (then due diligence) or"
    " `definitive`.",
    "EventParams.binding": "A definitive, enforceable commitment.",
    "EventParams.gw": "Facility power covered.",
    "EventParams.value_usd_b": "Total value (equity amount; contract value).",
    "EventParams.price_usd_b_per_gw": "Price per GW (per GW-year for cloud capacity); 0 ="
    " derived from value, GW and duration.",
    "EventParams.duration_months": "Delivery or lease term (0 = one-off).",
    "EventParams.start": "First month of delivery or lease (default: the announcement).",
    "EventParams.equity_pct": "Stake in the investee (equity) or warrant size.",
    "EventParams.voting": "Whether the stake carries votes.",
    "EventParams.exclusive": "The target may deal in this kind only with the source.",
    "EventParams.tranches": "Number of milestone payments (equity) or vesting steps (warrant).",
    "EventParams.gw_per_tranche": "Tranche k is due once k x this GW of the source's chips are"
    " deployed by the target since signing.",
    "EventParams.valuation_usd_b": "Post-money valuation of an equity deal.",
    "EventParams.target": "Shocks: `foundry_capacity`, `lab_revenue` or `fringe_demand`.",
    "EventParams.multiplier": "Shocks: factor applied to the target from `date` on.",
    "EventParams.source": "Where the event comes from (facts.md row, article).",
    # interventions
    "InterventionParams.kind": "`block_deal`, `ban_exclusivity`, `cap_equity`,"
    " `no_vendor_financing`, `allocation_rule`, `interoperability`, `divestiture`,"
    " `nonvoting_reportable`.",
    "InterventionParams.date": "Month it takes effect (default: the start).",
    "InterventionParams.deal_id": "`block_deal`: the event id of the deal to block.",
    "InterventionParams.deal_kind": "`block_deal`: the kind of deal to block (with `parties`).",
    "InterventionParams.parties": "Firms concerned: [source, target] for `block_deal`, [owner,"
    " firm] for `divestiture`; empty = all.",
    "InterventionParams.max_equity_pct": "`cap_equity`: largest stake allowed.",
    "InterventionParams.allocation_rule": "`allocation_rule`: the rule imposed on the foundry.",
    "InterventionParams.lockin_factor": "`interoperability`: multiplies `market.cuda_lockin`.",
    "InterventionParams.source": "Where the lever comes from.",
}
"""Meaning of each field, keyed `Class.field`."""


def unit_of(field: str) -> str:
    """Unit of a field: explicit in `UNITS`, else from its name's suffix, else '-'."""
    if field in UNITS:
        return UNITS[field]
    for suffix, unit in SUFFIX_UNITS:
        if field.endswith(suffix):
            return unit
    return "-"


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """Docstrings written under fields in world/params.py (`x: int = 0` then `\"\"\"...\"\"\"`)."""
    tree = ast.parse(Path(P.__file__).read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            body = node.body
            for a, b in itertools.pairwise(body):
                if (
                    isinstance(a, ast.AnnAssign)
                    and isinstance(a.target, ast.Name)
                    and isinstance(b, ast.Expr)
                    and isinstance(b.value, ast.Constant)
                    and isinstance(b.value.value, str)
                ):
                    out[a.target.id] = " ".join(b.value.value.split())
    return out


def _bounds(meta: list[Any]) -> str:
    parts = []
    for m in meta:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                parts.append(f"{sym} {getattr(m, attr):g}")
        if getattr(m, "pattern", None) == P.MONTH_RE.pattern:
            return "month `YYYY-MM`"
        if getattr(m, "min_length", None) is not None:
            parts.append(f"length >= {m.min_length}")
        if getattr(m, "max_length", None) is not None:
            parts.append(f"length <= {m.max_length}")
    return ", ".join(parts)


def describe_type(ann: Any, meta: list[Any] | None = None) -> str:
    """Type and valid range of an annotation in words."""
    meta = list(meta or [])
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(ann)
        inner = []
        for e in extra:
            inner += list(getattr(e, "metadata", [])) or [e]
        return describe_type(base, meta + inner)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return " or ".join(describe_type(a, meta) for a in args) + " (optional)"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(ann))
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in ann)
    if origin is list:
        (item,) = typing.get_args(ann)
        text = f"list of {describe_type(item)}"
        b = _bounds(meta)
        return f"{text} ({b})" if b else text
    if origin is tuple:
        items = [describe_type(a) for a in typing.get_args(ann)]
        if len(items) == 2 and items[0] == "month `YYYY-MM`":
            return f"[month, {items[1]}] pairs"
        return "[" + ", ".join(items) + "]"
    if origin is dict:
        k, v = typing.get_args(ann)
        return f"table {describe_type(k)} -> {describe_type(v)}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return f"table ({ann.__name__})"
    name = getattr(ann, "__name__", str(ann))
    b = _bounds(meta)
    if b.startswith("month"):
        return b
    return f"{name} {b}" if b else name


def _fmt(value: Any) -> str:
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_fmt(v).strip('`')}" for k, v in value.items())
        return f"`{{{inner}}}`"
    if isinstance(value, list | tuple):
        text = str(list(value)).replace("'", '"')
        return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value == "":
        return '`""`'
    return f"`{value}`" if not isinstance(value, str) else f'`"{value}"`'


def _default(info: Any) -> Any:
    if info.default_factory is not None:
        return info.default_factory()
    return info.default


def _baseline() -> dict[str, Any]:
    with BASELINE.open("rb") as fh:
        return tomllib.load(fh)


def field_table(cls: type[BaseModel], prefix: str, set_values: dict[str, Any] | None) -> list[str]:
    """Markdown rows: key, type/range, default, unit, baseline value, meaning."""
    docs = _attribute_docstrings(cls)
    rows = [
        "| key | type and valid range | default | unit | baseline | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, info in cls.model_fields.items():
        meaning = MEANINGS.get(f"{cls.__name__}.{name}") or docs.get(name, "")
        meaning = meaning or info.description or ""
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if not meaning:
            print(f"undocumented: {cls.__name__}.{name}", file=sys.stderr)
        if set_values is None:
            base = "(per entry)"
        elif name in set_values:
            base = "" if name == "source" else _fmt(set_values[name])
        else:
            base = "default"
        typ = describe_type(info.annotation, list(info.metadata))
        default = _fmt(_default(info))
        if _is_section(info.annotation):
            default, base = "(section)", "see below"
        rows.append(
            f"| `{prefix}{name}` | {typ} | {default} | {extra.get('unit') or unit_of(name)} "
            f"| {base} | {meaning} |"
        )
    return rows


def _is_section(ann: Any) -> bool:
    """True for a field holding a whole section (a table, a dict or a list of tables)."""
    args = [ann, *typing.get_args(ann)]
    return any(isinstance(a, type) and issubclass(a, BaseModel) for a in args)


def _source_line(section: dict[str, Any] | None) -> list[str]:
    src = (section or {}).get("source", "")
    return [f"Baseline source: {src}", ""] if src else ["Baseline source: none given.", ""]


def _class_doc(cls: type) -> str:
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())


def _nested_tables(section: str, name: str, ann: Any, sec: dict[str, Any]) -> list[str]:
    """Rows for a `[section.name.<Name>]` family of tables (e.g. roadmap vendors)."""
    item = typing.get_args(ann)[1]
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return []
    out = [f"`[{section}.{name}.<Name>]` tables:", ""]
    out += field_table(item, f"{section}.{name}.<Name>.", None)
    entries = sec.get(name, {})
    keys = [k for k in item.model_fields if k != "source"]
    out += ["", "Baseline values:", ""]
    out += ["| name | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for entry, vals in entries.items():
        out.append(f"| {entry} | " + " | ".join(_fmt(vals.get(k, "")) for k in keys) + " |")
    return [*out, "", *(f"- {e}: {v.get('source', '')}" for e, v in entries.items()), ""]


def generate() -> str:
    """The generated part of docs/scenarios.md."""
    base = _baseline()
    out: list[str] = [BEGIN, ""]
    out += ["### Top level", ""]
    top = {k: v for k, v in base.items() if not isinstance(v, dict | list)}
    out += field_table(P.ScenarioParams, "", top)
    out += [
        "| `replace_events` | bool (loader only) | `false` | - | default | In a child scenario:"
        " replace the parent's `[[events]]` instead of appending. |",
        "| `replace_interventions` | bool (loader only) | `false` | - | default | Same for"
        " `[[interventions]]`. |",
        "",
    ]
    fields = P.ScenarioParams.model_fields
    for section, info in fields.items():
        ann = info.annotation
        if typing.get_origin(ann) is dict:  # firms
            cls = typing.get_args(ann)[1]
            firms = base.get(section, {})
            out += [f"### `[{section}.<Name>]`", "", _class_doc(cls), ""]
            out += field_table(cls, f"{section}.<Name>.", None)
            out += ["", "Baseline values by firm (blank = default; sources below):", ""]
            names = [n for n in P.FIRM_NAMES if n in firms]
            out += ["| key | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
            for key in cls.model_fields:
                if key == "source" or not any(key in firms[n] for n in names):
                    continue
                vals = [_fmt(firms[n][key]) if key in firms[n] else "" for n in names]
                out.append(f"| `{key}` | " + " | ".join(vals) + " |")
            out += [""] + [f"- {n}: {firms[n].get('source', '')}" for n in names] + [""]
        elif typing.get_origin(ann) is list:  # events, interventions
            cls = typing.get_args(ann)[0]
            out += [f"### `[[{section}]]`", "", _class_doc(cls), ""]
            out += field_table(cls, "", None)
            entries = base.get(section, [])
            out += ["", f"Baseline: {len(entries)} entries."]
            if section == "events" and entries:
                out += [
                    "",
                    "| id | date | deal_kind | source_firm -> target_firm | stage | gw "
                    "| value_usd_b | source |",
                    "|---|---|---|---|---|---|---|---|",
                ]
                for e in entries:
                    out.append(
                        f"| `{e.get('id', '')}` | {e['date']} | {e.get('deal_kind', '')} "
                        f"| {e.get('source_firm', '')} -> {e.get('target_firm', '')} "
                        f"| {e.get('stage', 'loi')} | {e.get('gw', 0)} "
                        f"| {e.get('value_usd_b', 0)} | {e.get('source', '')} |"
                    )
            out.append("")
        else:
            cls = typing.get_args(ann)[0] if typing.get_origin(ann) else ann
            if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
                continue
            sec = base.get(section, {})
            out += [f"### `[{section}]`", ""]
            out += [_class_doc(cls), ""] if _class_doc(cls) else []
            out += _source_line(sec)
            out += field_table(cls, "", sec)
            out.append("")
            dist_done = False
            for name, sub in cls.model_fields.items():
                sub_ann = sub.annotation
                if sub_ann is P.Distribution and not dist_done:
                    dist_done = True
                    out += ["Each distribution is an inline table:", ""]
                    out += field_table(P.Distribution, f"{section}.<dist>.", None)
                    out += ["", "Baseline distributions (unit of the key; default if blank):", ""]
                    for dname, dinfo in cls.model_fields.items():
                        if dinfo.annotation is P.Distribution:
                            got = sec.get(dname)
                            shown = _fmt(got) if got else f"default {_fmt(_default(dinfo))}"
                            out.append(f"- `{dname}`: {shown}")
                    out.append("")
                if typing.get_origin(sub_ann) is dict:
                    out += _nested_tables(section, name, sub_ann, sec)
                if typing.get_origin(sub_ann) is list:
                    item = typing.get_args(sub_ann)[0]
                    if isinstance(item, type) and issubclass(item, BaseModel):
                        out += [f"`[[{section}.{name}]]` entries:", ""]
                        out += field_table(item, "", None)
                        products = sec.get(name, [])
                        out += ["", f"Baseline: {len(products)} products.", ""]
                        if products:
                            keys = [k for k in item.model_fields if k != "source"]
                            out += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
                            for prod in products:
                                out.append(
                                    "| " + " | ".join(str(prod.get(k, "")) for k in keys) + " |"
                                )
                            out.append("")
    out.append(END)
    return "\n".join(out)


def main() -> int:
    """Rewrite the generated part of docs/scenarios.md in place."""
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{DOC}: markers {BEGIN!r} / {END!r} not found; add them", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + generate() + tail, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
