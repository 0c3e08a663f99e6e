"""Seeking contracts: each firm's search for partners and the Nash-in-Nash terms it bargains for.

Who seeks (every `negotiation.search_every_months`, once the dated history has run out):

- a cloud whose plan needs chips (capacity it expects to power `PLAN_MONTHS` ahead, minus
  chips installed, on order and contracted) seeks a supply contract from the vendors;
- a vendor with capacity its buyers do not take (free capacity over the contract window above
  the open demand for it) offers a supply contract to the cloud or lab, among those whose plans
  need chips, with the largest surplus;
- a lab seeks cloud capacity and chips for its compute ambition (`agents.dealmaking`).

Partners come from the network: `DealNetwork.compute_outside_options` drops partners the
buyer is exclusively bound away from (and sellers bound to others), and a live tie or a deal
signed before adds the market's `relationship_bonus` to the ranking (past dealings).
Candidates are approached in decreasing order of the link's Nash-in-Nash surplus S (USD B)
x (1 + relationship bonus if tied); an impasse moves the proposer to the next.

Terms. The month's chip market is written as a `world.bargaining.Market` over the contract
window (`SUPPLY_MONTHS`): each vendor's free capacity (monthly output x window - contracted and
ordered GW) at its list price and unit cost; each buyer's value of a GW of chips (what it earns
over the chips' life, `compute_chip_value_usd_b_per_gw`), lower for non-CUDA chips by the logit
lock-in of the accelerator market (value x exp(-lockin / price_sensitivity)); the fringe buyers'
demand over the window. A link is never larger than its seller's free capacity. The cloud-
capacity market is built the same way (`compute_cloud_market`). The link's disagreement payoffs
come from re-solving that market without the link (`world.bargaining.compute_link_terms`); the
price is bargained by alternating offers over the pie (`agents.negotiation.negotiate_link`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agents.negotiation import ROUND_MONTHS, negotiate_link
from world.bargaining import Buyer, Link, Market, Seller, compute_link_terms
from world.catalog import cost_usd_b_per_gw
from world.contracts import Deal, DealStatus
from world.market import compute_path_value
from world.params import DealKind

SUPPLY_MONTHS = 24
"""Delivery period of an endogenous chip-supply contract, months (the bargaining window)."""
PLAN_MONTHS = 12
"""A cloud buys chips for the capacity it expects to have powered this far ahead, months."""
CHIP_LIFE_YEARS = 5.0
"""Depreciation life of accelerators, years."""
SHELL_LIFE_YEARS = 15.0
"""Depreciation life of a datacenter shell and power, years."""
OPEX_USD_B_PER_GW_YEAR = 1.0
"""Power and operations of a GW for a year (~8.8 TWh at ~$0.08/kWh plus staff), USD B."""
MIN_DEAL_GW = 0.25
"""Smallest gap worth a negotiation, GW."""
MAX_DEAL_GW = 3.0
"""Largest block of chips sought in one negotiation, GW."""
LOI_THRESHOLD_USD_B = 25.0
"""Deals worth more than this start as a non-binding letter of intent (then due diligence)."""
CONTRACT_MONTHS = 60
"""Term of an endogenous cloud-capacity contract (facts D4: ~5 years), months."""
LEASE_START_MONTHS = 12
"""A cloud-capacity contract starts this many months after signing."""
LAB_VALUE_PREMIUM = 0.5
"""A lab values a GW-year of compute at revenue per GW x (1 + premium) (growth option)."""
LINK_ID = "proposed"
"""Id of the link under negotiation inside the bargaining market."""


def is_search_month(model: Any) -> bool:
    """True in a month when firms look for contracts: every `search_every_months`, after the
    last dated announcement the scenario replays."""
    neg = model.p.negotiation
    return model.t % neg.search_every_months == 0 and model.now_idx > model.last_event_idx


def compute_chip_value_usd_b_per_gw(model: Any, buyer: Any) -> float:
    """What a GW of chips earns its buyer over `CHIP_LIFE_YEARS`, USD B per GW.

    Rule: (annual earnings per GW - opex - shell capex / `SHELL_LIFE_YEARS`) x life. A cloud
    earns the market lease price; a lab the end-user price of a GW-year of AI services.
    """
    view = model.view
    earn = (view.ai_price_usd_b_per_gw_year if buyer.role == "lab"
            else view.lease_price_usd_b_per_gw_year)
    capex = model.compute_typical_capex_usd_b_per_gw()
    return max(0.0, (earn - OPEX_USD_B_PER_GW_YEAR - capex / SHELL_LIFE_YEARS) * CHIP_LIFE_YEARS)


def _committed_gw(model: Any, designer: str) -> float:
    contracted = sum(
        model.compute_undelivered_gw(d) for d in model.deals.live()
        if d.kind is DealKind.SUPPLY and d.source == designer
        and d.status not in (DealStatus.STALLED, DealStatus.PROPOSED)
    )
    backlog = model.chips.backlog.get(designer)
    return contracted + (float(backlog.sum()) if backlog is not None else 0.0)


def _lockin(model: Any, designer: str) -> float:
    m = model.p.market
    return m.cuda_lockin * model.policy.compute_lockin_factor() if designer == "Nvidia" else 0.0


def compute_chip_market(model: Any, buyer: Any, seller: str, gw: float) -> Market:
    """The month's chip market over `SUPPLY_MONTHS` with the link seller -> buyer of `gw`."""
    m = model.p.market
    sellers: list[Seller] = []
    for vendor in model.vendors:
        product = vendor.compute_product()
        price = vendor.price_usd_b_per_gw
        if product is None or not price or not math.isfinite(price):
            continue
        out = model.chips.capacity_gw.get(vendor.name, 0.0) * SUPPLY_MONTHS
        sellers.append(Seller(vendor.name, max(0.0, out - _committed_gw(model, vendor.name)),
                              cost_usd_b_per_gw(product), price))
    own = model.catalog.latest(buyer.name, model.now_idx)
    if own is not None and buyer.name in model.chips.backlog:  # captive: only for its owner
        out = model.chips.capacity_gw.get(buyer.name, 0.0) * SUPPLY_MONTHS
        cost = cost_usd_b_per_gw(own)
        sellers.append(Seller(buyer.name, max(0.0, out - _committed_gw(model, buyer.name)),
                              cost, cost))
    top = max((_lockin(model, s.name) for s in sellers), default=0.0)
    sens = max(m.price_sensitivity, 1e-9)

    def values(v: float) -> tuple[tuple[str, float], ...]:
        return tuple((s.name, v * math.exp((_lockin(model, s.name) - top) / sens))
                     for s in sellers)

    v_b = compute_chip_value_usd_b_per_gw(model, buyer)
    fringe_gw = compute_path_value(model.p.demand.fringe_accel_gw_per_year, model.now_idx)
    fringe_gw *= model.chips.fringe_multiplier * SUPPLY_MONTHS / 12.0
    v_f = model.view.lease_price_usd_b_per_gw_year * CHIP_LIFE_YEARS
    buyers = (Buyer(buyer.name, gw, v_b, values(v_b)),
              Buyer("Other buyers", fringe_gw, v_f, values(v_f)))
    barred = frozenset((buyer.name, b.name) for b in buyers[1:])  # captive chips stay captive
    return Market(tuple(sellers), buyers, (_link(sellers, seller, buyer.name, gw),), barred)


def _link(sellers: list[Seller], seller: str, buyer: str, gw: float) -> Link:
    """The proposed link: `gw`, or the seller's free capacity if smaller (it cannot promise
    more)."""
    free = next((s.capacity_gw for s in sellers if s.name == seller), 0.0)
    return Link(LINK_ID, seller, buyer, min(gw, free))


def compute_chip_need_gw(model: Any, firm: Any) -> float:
    """Chips a cloud or lab lacks for the capacity it expects powered `PLAN_MONTHS` ahead, GW:
    expected powered - installed - on order - contracted and undelivered - pending offers."""
    i = model.firm_index[firm.name]
    expected = float(model.fleet.expected_powered_gw(model.n_firms, model.t + PLAN_MONTHS)[i])
    row = model.chips.buyers.index(firm.name)
    on_order = sum(float(b[row]) for b in model.chips.backlog.values())
    contracted = sum(
        model.compute_undelivered_gw(d) if d.status is DealStatus.ACTIVE else d.gw
        for d in model.deals.live()
        if d.kind is DealKind.SUPPLY and d.target == firm.name
        and d.status is not DealStatus.STALLED
    )
    return max(0.0, expected - firm.installed_total_gw - on_order - contracted)


def compute_past_partners(model: Any, firm: str) -> set[str]:
    """Firms that signed a deal with `firm` before (any kind; past dealings)."""
    return {d.target if d.source == firm else d.source for d in model.deals
            if firm in (d.source, d.target) and d.step_signed is not None}


def compute_candidates(model: Any, buyer: Any, gw: float, sellers: list[str],
                       kind: DealKind = DealKind.SUPPLY) -> list[tuple[str, float, Any]]:
    """Sellers the buyer may contract with in `kind`, best first: (seller, rank, `LinkTerms`).

    Rank = surplus S x (1 + relationship_bonus if a live deal ties them or they signed one
    before); only sellers with S > 0 that the network (`DealNetwork.compute_outside_options`)
    and the policy allow.
    """
    m = model.p.market
    build = compute_chip_market if kind is DealKind.SUPPLY else compute_cloud_market
    tied = set(model.network.compute_partners(buyer.name)) | compute_past_partners(
        model, buyer.name)
    scored: dict[str, float] = {}
    terms_of: dict[str, Any] = {}
    for name in sellers:
        if name == buyer.name or model.policy.forbids_deal(kind, name, buyer.name):
            continue
        market = build(model, buyer, name, gw)
        if market.link(LINK_ID).gw < MIN_DEAL_GW:  # absent, or too little free capacity
            continue
        terms = compute_link_terms(market, LINK_ID)
        if terms.surplus_usd_b <= 1e-9:
            continue
        terms_of[name] = terms
        scored[name] = terms.surplus_usd_b * (1.0 + m.relationship_bonus * (name in tied))
    ranked = model.network.compute_outside_options(buyer.name, list(scored), kind, scored)
    return [(name, rank, terms_of[name]) for name, rank in ranked]


def compute_build_delay_months(model: Any) -> float:
    """How much later the lab's own datacenters would deliver compute than a lease, months:
    median time to power of the 20 best free sites - the lease's `LEASE_START_MONTHS`."""
    best = model.sites.best_free_sites(20)
    if len(best) == 0:
        return 0.0
    ttp = float(np.median(model.sites.compute_time_to_power_months()[best]))
    return max(0.0, ttp - LEASE_START_MONTHS)


def compute_self_build_usd_b_per_gw_year(model: Any, lab: Any, gw: float) -> float:
    """What running `gw` of its own chips costs the lab per GW-year, USD B (inf if it cannot
    fund a quarter of the outlay).

    Rule: the cheapest vendor's price in CUDA-equivalent terms (price x exp((L_max - L_d) /
    price_sensitivity), the lock-in of `compute_chip_market`) / chip life + shell capex / shell
    life + opex + the compute it forgoes while it builds: the lab's value of a GW-year x
    (`compute_build_delay_months` / 12) spread over the lease's years.
    """
    capex = model.compute_typical_capex_usd_b_per_gw()
    offers = [(v.name, v.price_usd_b_per_gw) for v in model.vendors
              if v.compute_product() is not None and 0 < v.price_usd_b_per_gw < math.inf]
    if not offers:
        return math.inf
    top = max(_lockin(model, name) for name, _p in offers)
    sens = max(model.p.market.price_sensitivity, 1e-9)
    price = min(p * math.exp((top - _lockin(model, name)) / sens) for name, p in offers)
    spendable = lab.compute_spendable_usd_b() + lab.compute_expected_funding_usd_b()
    if spendable < 0.25 * gw * (price + capex):
        return math.inf
    delay = compute_lab_value_usd_b_per_gw_year(model) * compute_build_delay_months(model) / 12.0
    return (price / CHIP_LIFE_YEARS + capex / SHELL_LIFE_YEARS + OPEX_USD_B_PER_GW_YEAR
            + delay / (CONTRACT_MONTHS / 12.0))


def compute_lab_value_usd_b_per_gw_year(model: Any) -> float:
    """What a GW-year of compute is worth to a lab, USD B: the end-user price of AI services x
    (1 + `LAB_VALUE_PREMIUM`)."""
    return model.view.ai_price_usd_b_per_gw_year * (1 + LAB_VALUE_PREMIUM)


def compute_cloud_market(model: Any, lab: Any, cloud: str, gw: float) -> Market:
    """The cloud-capacity market over a `CONTRACT_MONTHS` lease with the link cloud -> lab.

    Values and prices are per GW over the lease (per GW-year x years). Sellers: each cloud's
    capacity for new contracts (its own capacity path `PLAN_MONTHS` ahead minus what it has
    contracted to labs) at the market lease price, cost = price x (1 - lease margin); the
    lab's own build at its cost (`compute_self_build_usd_b_per_gw_year`). Buyers: the lab
    (the end-user price of a GW-year of AI services x (1 + `LAB_VALUE_PREMIUM`)) and the other
    tenants (`demand.fringe_cloud_gw`, valuing a GW at the market price: the marginal tenant).
    """
    years = CONTRACT_MONTHS / 12.0
    price = model.view.lease_price_usd_b_per_gw_year
    ahead = model.t + PLAN_MONTHS
    sellers = [
        Seller(c.name,
               max(0.0, c.compute_base_path_gw(ahead) - c.compute_obligations_gw(ahead)),
               price * (1.0 - c.p.lease_margin) * years, price * years)
        for c in model.clouds
    ]
    own = compute_self_build_usd_b_per_gw_year(model, lab, gw)
    if math.isfinite(own):
        sellers.append(Seller(lab.name, 1e9, own * years, own * years))
    value = compute_lab_value_usd_b_per_gw_year(model)
    tenants = compute_path_value(model.p.demand.fringe_cloud_gw, model.now_idx)
    buyers = (Buyer(lab.name, gw, value * years), Buyer("Other tenants", tenants, price * years))
    barred = frozenset({(lab.name, "Other tenants")})
    return Market(tuple(sellers), buyers, (_link(sellers, cloud, lab.name, gw),), barred)


def compute_monthly_discount(firm: Any) -> float:
    """A firm's monthly discount factor in bargaining (a lab's falls with urgency)."""
    urgency = getattr(firm, "compute_urgency_discount", None)
    return urgency() if urgency else firm.p.discount_factor


def new_deal(
    model: Any,
    kind: DealKind,
    source: str,
    target: str,
    status: DealStatus,
    origin: str = "endogenous",
    **terms: Any,
) -> Deal:
    """Create a deal in the book and on the network, dated now."""
    deal = Deal(
        deal_id=terms.pop("deal_id", "") or model.deals.next_id(kind.value[:3].upper()),
        kind=kind,
        source=source,
        target=target,
        status=status,
        step_proposed=model.t,
        origin=origin,
        **terms,
    )
    model.deals.add(deal)
    model.network.update_add_deal(deal)
    return deal


def strike(model: Any, seller: Any, buyer: Any, kind: DealKind, terms: Any, *,
           seller_first: bool, months: int, start_in: int, rng: Any) -> Deal | None:
    """Bargain one link (`negotiate_link`) and book the deal if agreed.

    Price per GW (per GW-year for cloud capacity: the window's price / years). The rounds
    take `ROUND_MONTHS` each: the start is delayed by the whole months they took.
    """
    neg = model.p.negotiation
    agreed, price, rounds, _ = negotiate_link(
        terms, rng, neg.estimate_noise_sd,
        (compute_monthly_discount(seller), compute_monthly_discount(buyer)),
        neg.bargaining_weights, neg.max_rounds, seller_first,
    )
    if not agreed:
        return None
    years = months / 12.0 if kind is DealKind.CLOUD_CAPACITY else 1.0
    value = price * terms.gw
    binding = value <= LOI_THRESHOLD_USD_B
    exclusive = (neg.investor_exclusivity and model.policy.allows_exclusivity()
                 and model.stakes.compute_stake(seller.name, buyer.name) > 0)
    deal = new_deal(
        model, kind, seller.name, buyer.name,
        DealStatus.DEFINITIVE if binding else DealStatus.LOI,
        binding=binding, exclusive=exclusive, gw=terms.gw, value_usd_b=value,
        price_usd_b_per_gw=price / years, duration_months=months,
        start_step=model.t + start_in + int(rounds * ROUND_MONTHS),
        surplus_usd_b=terms.surplus_usd_b,
        disagreement_source_usd_b=terms.disagreement_source_usd_b,
        disagreement_target_usd_b=terms.disagreement_target_usd_b,
    )
    model.negotiation_rounds[deal.deal_id] = rounds
    return deal


def update_seek_supply(buyer: Any) -> Deal | None:
    """A cloud (or lab) whose plan needs chips seeks a supply contract (module docstring)."""
    model = buyer.model
    if not is_search_month(model):
        return None
    need = compute_chip_need_gw(model, buyer)
    if need < MIN_DEAL_GW:
        return None
    gw = min(need, MAX_DEAL_GW)
    for name, _rank, terms in compute_candidates(
            model, buyer, gw, [v.name for v in model.vendors]):
        deal = strike(model, model.firms[name], buyer, DealKind.SUPPLY, terms,
                      seller_first=False, months=SUPPLY_MONTHS, start_in=3, rng=buyer.generator)
        if deal is not None:
            return deal
    return None


def compute_spare_gw(model: Any, vendor: Any) -> float:
    """Capacity the vendor cannot expect to sell over the window, GW: monthly output x
    `SUPPLY_MONTHS` - contracted and ordered - the fringe's demand over the window."""
    out = model.chips.capacity_gw.get(vendor.name, 0.0) * SUPPLY_MONTHS
    fringe = compute_path_value(model.p.demand.fringe_accel_gw_per_year, model.now_idx)
    share = model.view.compute_shares("accelerators").get(vendor.name, 0.0)
    fringe_take = fringe * model.chips.fringe_multiplier * SUPPLY_MONTHS / 12.0 * share
    return max(0.0, out - _committed_gw(model, vendor.name) - fringe_take)


def update_offer_supply(vendor: Any) -> Deal | None:
    """A vendor with spare capacity offers a contract to the buyer with the largest surplus
    among the clouds and labs whose plans need chips; it proposes first."""
    model = vendor.model
    if not is_search_month(model):
        return None
    spare = compute_spare_gw(model, vendor)
    if spare < MIN_DEAL_GW:
        return None
    offers = []
    for buyer in [*model.clouds, *model.labs]:
        need = min(compute_chip_need_gw(model, buyer), spare, MAX_DEAL_GW)
        if need < MIN_DEAL_GW:
            continue
        for _name, rank, terms in compute_candidates(model, buyer, need, [vendor.name]):
            offers.append((rank, buyer.name, terms))
    for _rank, name, terms in sorted(offers, key=lambda o: (-o[0], o[1])):
        deal = strike(model, vendor, model.firms[name], DealKind.SUPPLY, terms,
                      seller_first=True, months=SUPPLY_MONTHS, start_in=3, rng=vendor.generator)
        if deal is not None:
            return deal
    return None
