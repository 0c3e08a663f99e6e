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
from collections.abc import Sequence
from functools import partial

import numpy as np

from agents.firm import Firm
from agents.negotiation import ROUND_MONTHS, negotiate_link
from world.bargaining import Buyer, Link, LinkTerms, Market, Seller, compute_link_terms
from world.catalog import cost_usd_b_per_gw
from world.contracts import Deal, DealStatus
from world.decisions import OpenDeal
from world.desk import Desk
from world.market import compute_path_value
from world.params import DealKind
from world.view import MarketView

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


def is_search_month(view: MarketView) -> bool:
    """True in a month when firms look for contracts: every `search_every_months`, after the
    last dated announcement the scenario replays."""
    neg = view.p.negotiation
    return view.t % neg.search_every_months == 0 and view.now_idx > view.last_event_idx


def compute_chip_value_usd_b_per_gw(view: MarketView, buyer: Firm) -> float:
    """What a GW of chips earns its buyer over `CHIP_LIFE_YEARS`, USD B per GW.

    Rule: (annual earnings per GW - opex - shell capex / `SHELL_LIFE_YEARS`) x life. A cloud
    earns the market lease price; a lab the end-user price of a GW-year of AI services.
    """
    earn = (view.ai_price_usd_b_per_gw_year if buyer.role == "lab"
            else view.lease_price_usd_b_per_gw_year)
    capex = view.compute_typical_capex_usd_b_per_gw()
    return max(0.0, (earn - OPEX_USD_B_PER_GW_YEAR - capex / SHELL_LIFE_YEARS) * CHIP_LIFE_YEARS)


_UNCOMMITTED = frozenset({DealStatus.STALLED, DealStatus.PROPOSED})
"""Supply deals in these statuses promise no chips yet."""


def _compute_committed_gw(view: MarketView, designers: Sequence[str]) -> dict[str, float]:
    """GW each designer has promised: undelivered GW of its live supply contracts past the
    proposal (a letter of intent on; stalled ones aside, `_UNCOMMITTED`) plus its open
    orders, in one pass over the live deals (each designer's contracts added in deal order,
    as a sum over them alone would)."""
    contracted = dict.fromkeys(designers, 0.0)
    for d in view.live_deals():
        if (d.kind is DealKind.SUPPLY and d.source in contracted
                and d.status not in _UNCOMMITTED):
            contracted[d.source] += view.compute_undelivered_gw(d)
    for designer in contracted:
        backlog = view.compute_open_orders_gw(designer)
        contracted[designer] += backlog if backlog is not None else 0.0
    return contracted


def _compute_lockins(view: MarketView, designers: Sequence[str]) -> list[float]:
    """Each designer's lock-in in the buyers' logit utility: Nvidia's `cuda_lockin` x the
    policy's lock-in factor (CUDA), 0 for the others."""
    cuda = view.p.market.cuda_lockin * view.compute_lockin_factor()
    return [cuda if name == "Nvidia" else 0.0 for name in designers]


def compute_vendor_side(view: MarketView, also: Sequence[str] = ()
                        ) -> tuple[tuple[Seller, ...], dict[str, float]]:
    """The merchant vendors' side of the month's chip market over `SUPPLY_MONTHS` (the same
    in every buyer's `compute_chip_market`): each vendor with a product and a finite list
    price offers its output over the window less what it has promised
    (`_compute_committed_gw`), at its list price and unit cost; with the promised GW of the
    vendors and of the designers `also`. A read of this moment: a deal signed since changes
    it."""
    offering = []
    for vendor in view.vendors:
        product = vendor.compute_product()
        price = vendor.price_usd_b_per_gw
        if product is None or not price or not math.isfinite(price):
            continue
        offering.append((vendor.name, product, price))
    committed = _compute_committed_gw(view, [*(name for name, _p, _c in offering), *also])
    return tuple(
        Seller(name, max(0.0, view.compute_chip_capacity_gw(name) * SUPPLY_MONTHS
                         - committed[name]), cost_usd_b_per_gw(product), price)
        for name, product, price in offering), committed


def compute_chip_market(view: MarketView, buyer: Firm, seller: str, gw: float,
                        vendors: tuple[Seller, ...] | None = None) -> Market:
    """The month's chip market over `SUPPLY_MONTHS` with the link seller -> buyer of `gw`.

    `vendors`: the sellers of `compute_vendor_side(view)` when the caller already holds them
    for this moment (nothing submitted since), else they are read now.
    """
    m = view.p.market
    own = view.compute_latest_product(buyer.name)
    captive = (buyer.name,) if own is not None and view.compute_open_orders_gw(
        buyer.name) is not None else ()
    if vendors is None:
        vendors, committed = compute_vendor_side(view, captive)
    elif captive:
        committed = _compute_committed_gw(view, captive)
    sellers = list(vendors)
    if captive:  # only for its owner
        out = view.compute_chip_capacity_gw(buyer.name) * SUPPLY_MONTHS
        cost = cost_usd_b_per_gw(own)
        sellers.append(Seller(buyer.name, max(0.0, out - committed[buyer.name]), cost, cost))
    lockin = _compute_lockins(view, [s.name for s in sellers])
    top = max(lockin, default=0.0)
    sens = max(m.price_sensitivity, 1e-9)
    scale = [(s.name, math.exp((x - top) / sens)) for s, x in zip(sellers, lockin, strict=True)]

    def values(v: float) -> tuple[tuple[str, float], ...]:
        return tuple((name, v * factor) for name, factor in scale)

    v_b = compute_chip_value_usd_b_per_gw(view, buyer)
    fringe_gw = compute_path_value(view.p.demand.fringe_accel_gw_per_year, view.now_idx)
    fringe_gw *= view.fringe_chip_multiplier * SUPPLY_MONTHS / 12.0
    v_f = view.lease_price_usd_b_per_gw_year * CHIP_LIFE_YEARS
    buyers = (Buyer(buyer.name, gw, v_b, values(v_b)),
              Buyer("Other buyers", fringe_gw, v_f, values(v_f)))
    barred = frozenset({(buyer.name, "Other buyers")})  # captive chips stay captive
    return Market(tuple(sellers), buyers, (_link(sellers, seller, buyer.name, gw),), barred)


def _link(sellers: Sequence[Seller], seller: str, buyer: str, gw: float) -> Link:
    """The proposed link: `gw`, or the seller's free capacity if smaller (it cannot promise
    more)."""
    free = next((s.capacity_gw for s in sellers if s.name == seller), 0.0)
    return Link(LINK_ID, seller, buyer, min(gw, free))


def compute_chip_needs_gw(view: MarketView, firms: Sequence[Firm]) -> dict[str, float]:
    """Chips each cloud or lab lacks for the capacity it expects powered `PLAN_MONTHS` ahead,
    GW: expected powered - installed - on order - contracted and undelivered - pending
    offers; from one pass over the live deals (each firm's contracts added in deal order, as
    a sum over them alone would)."""
    contracted = dict.fromkeys((f.name for f in firms), 0.0)
    for d in view.live_deals():
        if (d.kind is DealKind.SUPPLY and d.target in contracted
                and d.status is not DealStatus.STALLED):
            contracted[d.target] += (view.compute_undelivered_gw(d)
                                     if d.status is DealStatus.ACTIVE else d.gw)
    ahead = view.t + PLAN_MONTHS
    return {f.name: max(0.0, view.compute_expected_powered_gw(f.name, ahead)
                        - f.installed_total_gw - view.compute_on_order_gw(f.name)
                        - contracted[f.name]) for f in firms}


def compute_past_partners(view: MarketView, firm: str) -> set[str]:
    """Firms that signed a deal with `firm` before (any kind; past dealings)."""
    return {d.target if d.source == firm else d.source for d in view.all_deals()
            if firm in (d.source, d.target) and d.step_signed is not None}


def compute_candidates(view: MarketView, buyer: Firm, gw: float, sellers: list[str],
                       kind: DealKind = DealKind.SUPPLY,
                       vendors: tuple[Seller, ...] | None = None,
                       ) -> list[tuple[str, float, LinkTerms]]:
    """Sellers the buyer may contract with in `kind`, best first: (seller, rank, `LinkTerms`).

    Rank = surplus S x (1 + relationship_bonus if a live deal ties them or they signed one
    before); only sellers with S > 0 that the network (`DealNetwork.compute_outside_options`)
    and the policy allow. `vendors`: the sellers of `compute_vendor_side` if the caller
    holds it for this moment.
    """
    m = view.p.market
    build = (partial(compute_chip_market, vendors=vendors) if kind is DealKind.SUPPLY
             else compute_cloud_market)
    terms_of: dict[str, LinkTerms] = {}
    base: Market | None = None
    for name in sellers:
        if name == buyer.name or view.forbids_deal(kind, name, buyer.name):
            continue
        # the market is the same for every seller but for the link (nothing changes while
        # the candidates are weighed): built once, the link swapped
        if base is None:
            market = base = build(view, buyer, name, gw)
        else:
            market = Market(base.sellers, base.buyers,
                            (_link(base.sellers, name, buyer.name, gw),), base.barred)
        if market.link(LINK_ID).gw < MIN_DEAL_GW:  # absent, or too little free capacity
            continue
        terms = compute_link_terms(market, LINK_ID)
        if terms.surplus_usd_b <= 1e-9:
            continue
        terms_of[name] = terms
    if not terms_of:  # no seller to rank: the ties need not be looked up
        return []
    tied = set(view.compute_partners(buyer.name)) | compute_past_partners(view, buyer.name)
    scored = {name: terms.surplus_usd_b * (1.0 + m.relationship_bonus * (name in tied))
              for name, terms in terms_of.items()}
    ranked = view.compute_outside_options(buyer.name, list(scored), kind, scored)
    return [(name, rank, terms_of[name]) for name, rank in ranked]


def compute_build_delay_months(view: MarketView) -> float:
    """How much later the lab's own datacenters would deliver compute than a lease, months:
    median time to power of the 20 best free sites - the lease's `LEASE_START_MONTHS`."""
    ttp = view.compute_typical_time_to_power_months()
    if ttp is None:
        return 0.0
    return max(0.0, ttp - LEASE_START_MONTHS)


def compute_self_build_usd_b_per_gw_year(view: MarketView, lab: Firm, gw: float) -> float:
    """What running `gw` of its own chips costs the lab per GW-year, USD B (inf if it cannot
    fund a quarter of the outlay).

    Rule: the cheapest vendor's price in CUDA-equivalent terms (price x exp((L_max - L_d) /
    price_sensitivity), the lock-in of `compute_chip_market`) / chip life + shell capex / shell
    life + opex + the compute it forgoes while it builds: the lab's value of a GW-year x
    (`compute_build_delay_months` / 12) spread over the lease's years.
    """
    capex = view.compute_typical_capex_usd_b_per_gw()
    offers = [(v.name, v.price_usd_b_per_gw) for v in view.vendors
              if v.compute_product() is not None and 0 < v.price_usd_b_per_gw < math.inf]
    if not offers:
        return math.inf
    lockin = _compute_lockins(view, [name for name, _p in offers])
    top = max(lockin)
    sens = max(view.p.market.price_sensitivity, 1e-9)
    price = min(p * math.exp((top - x) / sens)
                for (_name, p), x in zip(offers, lockin, strict=True))
    spendable = lab.compute_spendable_usd_b() + lab.compute_expected_funding_usd_b()
    if spendable < 0.25 * gw * (price + capex):
        return math.inf
    delay = compute_lab_value_usd_b_per_gw_year(view) * compute_build_delay_months(view) / 12.0
    return (price / CHIP_LIFE_YEARS + capex / SHELL_LIFE_YEARS + OPEX_USD_B_PER_GW_YEAR
            + delay / (CONTRACT_MONTHS / 12.0))


def compute_lab_value_usd_b_per_gw_year(view: MarketView) -> float:
    """What a GW-year of compute is worth to a lab, USD B: the end-user price of AI services x
    (1 + `LAB_VALUE_PREMIUM`)."""
    return view.ai_price_usd_b_per_gw_year * (1 + LAB_VALUE_PREMIUM)


def compute_cloud_market(view: MarketView, lab: Firm, cloud: str, gw: float) -> Market:
    """The cloud-capacity market over a `CONTRACT_MONTHS` lease with the link cloud -> lab.

    Values and prices are per GW over the lease (per GW-year x years). Sellers: each cloud's
    capacity for new contracts (its own capacity path `PLAN_MONTHS` ahead minus what it has
    contracted to labs) at the market lease price, cost = price x (1 - lease margin); the
    lab's own build at its cost (`compute_self_build_usd_b_per_gw_year`). Buyers: the lab
    (the end-user price of a GW-year of AI services x (1 + `LAB_VALUE_PREMIUM`)) and the other
    tenants (`demand.fringe_cloud_gw`, valuing a GW at the market price: the marginal tenant).
    """
    years = CONTRACT_MONTHS / 12.0
    price = view.lease_price_usd_b_per_gw_year
    ahead = view.t + PLAN_MONTHS
    sellers = [
        Seller(c.name,
               max(0.0, c.compute_base_path_gw(ahead) - c.compute_obligations_gw(ahead)),
               price * (1.0 - c.p.lease_margin) * years, price * years)
        for c in view.clouds
    ]
    own = compute_self_build_usd_b_per_gw_year(view, lab, gw)
    if math.isfinite(own):
        sellers.append(Seller(lab.name, 1e9, own * years, own * years))
    value = compute_lab_value_usd_b_per_gw_year(view)
    tenants = compute_path_value(view.p.demand.fringe_cloud_gw, view.now_idx)
    buyers = (Buyer(lab.name, gw, value * years), Buyer("Other tenants", tenants, price * years))
    barred = frozenset({(lab.name, "Other tenants")})
    return Market(tuple(sellers), buyers, (_link(sellers, cloud, lab.name, gw),), barred)


def compute_monthly_discount(firm: Firm) -> float:
    """A firm's monthly discount factor in bargaining (a lab's falls with urgency)."""
    urgency = getattr(firm, "compute_urgency_discount", None)
    return urgency() if urgency else firm.p.discount_factor


def strike(view: MarketView, desk: Desk, seller: Firm, buyer: Firm, kind: DealKind,
           terms: LinkTerms, *, seller_first: bool, months: int, start_in: int,
           rng: np.random.Generator) -> Deal | None:
    """Bargain one link (`negotiate_link`) and, if agreed, submit the deal to the desk in the
    proposer's name (the seller if `seller_first`, else the buyer).

    Price per GW (per GW-year for cloud capacity: the window's price / years). The rounds
    take `ROUND_MONTHS` each: the start is delayed by the whole months they took.
    """
    neg = view.p.negotiation
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
    exclusive = (neg.investor_exclusivity and view.allows_exclusivity()
                 and view.compute_stake(seller.name, buyer.name) > 0)
    proposer = seller.name if seller_first else buyer.name
    return desk.submit(OpenDeal(
        kind, seller.name, buyer.name, DealStatus.DEFINITIVE if binding else DealStatus.LOI,
        dict(binding=binding, exclusive=exclusive, gw=terms.gw, value_usd_b=value,
             price_usd_b_per_gw=price / years, duration_months=months,
             start_step=view.t + start_in + int(rounds * ROUND_MONTHS),
             surplus_usd_b=terms.surplus_usd_b,
             disagreement_source_usd_b=terms.disagreement_source_usd_b,
             disagreement_target_usd_b=terms.disagreement_target_usd_b),
        rounds=rounds,
    ), proposer)


def update_seek_supply(view: MarketView, desk: Desk, buyer: Firm) -> Deal | None:
    """A cloud (or lab) whose plan needs chips seeks a supply contract (module docstring)."""
    if not is_search_month(view):
        return None
    need = compute_chip_needs_gw(view, (buyer,))[buyer.name]
    if need < MIN_DEAL_GW:
        return None
    gw = min(need, MAX_DEAL_GW)
    for name, _rank, terms in compute_candidates(
            view, buyer, gw, [v.name for v in view.vendors]):
        deal = strike(view, desk, view.firms[name], buyer, DealKind.SUPPLY, terms,
                      seller_first=False, months=SUPPLY_MONTHS, start_in=3, rng=buyer.generator)
        if deal is not None:
            return deal
    return None


def compute_spare_gw(view: MarketView, vendor: Firm) -> float:
    """Capacity the vendor cannot expect to sell over the window, GW: monthly output x
    `SUPPLY_MONTHS` - contracted and ordered - the fringe's demand over the window."""
    out = view.compute_chip_capacity_gw(vendor.name) * SUPPLY_MONTHS
    fringe = compute_path_value(view.p.demand.fringe_accel_gw_per_year, view.now_idx)
    share = view.compute_shares("accelerators").get(vendor.name, 0.0)
    fringe_take = fringe * view.fringe_chip_multiplier * SUPPLY_MONTHS / 12.0 * share
    committed = _compute_committed_gw(view, (vendor.name,))[vendor.name]
    return max(0.0, out - committed - fringe_take)


def update_offer_supply(view: MarketView, desk: Desk, vendor: Firm) -> Deal | None:
    """A vendor with spare capacity offers a contract to the buyer with the largest surplus
    among the clouds and labs whose plans need chips; it proposes first."""
    if not is_search_month(view):
        return None
    spare = compute_spare_gw(view, vendor)
    if spare < MIN_DEAL_GW:
        return None
    offers = []
    vendors = None  # the vendors' side of the market, the same for every buyer weighed here
    buyers = [*view.clouds, *view.labs]
    needs = compute_chip_needs_gw(view, buyers)
    for buyer in buyers:
        need = min(needs[buyer.name], spare, MAX_DEAL_GW)
        if need < MIN_DEAL_GW:
            continue
        if vendors is None:
            vendors = compute_vendor_side(view)[0]
        for _name, rank, terms in compute_candidates(view, buyer, need, [vendor.name],
                                                     vendors=vendors):
            offers.append((rank, buyer.name, terms))
    for _rank, name, terms in sorted(offers, key=lambda o: (-o[0], o[1])):
        deal = strike(view, desk, vendor, view.firms[name], DealKind.SUPPLY, terms,
                      seller_first=True, months=SUPPLY_MONTHS, start_in=3, rng=vendor.generator)
        if deal is not None:
            return deal
    return None
