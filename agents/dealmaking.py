"""How firms find and strike deals: the lab's search for compute, funding-round offers.

A deal is struck by explicit bargaining (`agents.negotiation.AlternatingOffers`) over the surplus
between the two sides' reservation values; each side sees that surplus with its own noise,
so views differ and counter-offers happen. Outside options come from the network: a
proposer that reaches an impasse moves on to its next-best partner.
"""

from __future__ import annotations

import math
from typing import Any

from agents.negotiation import AlternatingOffers
from agents.remedies import compute_capped_amount
from world.catalog import cost_usd_b_per_gw
from world.contracts import Deal, DealStatus
from world.params import DealKind

CHIP_LIFE_YEARS = 5.0
"""Depreciation life of accelerators used to compare buying chips with leasing, years."""
SHELL_LIFE_YEARS = 15.0
"""Depreciation life of a datacenter shell and power, years."""
CONTRACT_MONTHS = 60
"""Term of an endogenous cloud-capacity contract (facts.toml D4: ~5 years)."""
SUPPLY_MONTHS = 24
"""Delivery period of an endogenous chip-supply contract, months."""
OPEX_USD_B_PER_GW_YEAR = 1.0
"""Power and operations of a self-run GW for a year (~8.8 TWh at ~$0.08/kWh plus staff), USD B."""
LOI_THRESHOLD_USD_B = 25.0
"""Deals worth more than this start as a non-binding letter of intent (then due diligence)."""
LAB_VALUE_PREMIUM = 0.5
"""A lab values a GW-year of compute at revenue per GW x (1 + premium) (growth option)."""


def bargain(model: Any, proposer: Any, responder: Any, pie_usd_b: float) -> tuple[bool, float, int]:
    """Alternating-offers bargaining over a pie; returns (agreed, proposer's share, rounds).

    Each side's view of the pie is the true pie x (1 + e), e ~ N(0, estimate_noise_sd) drawn
    from its own generator; discount factors are the firms' (the lab's falls with urgency).
    """
    neg = model.p.negotiation
    if pie_usd_b <= 0:
        return False, 0.0, 0
    view_p = pie_usd_b * (1.0 + proposer.generator.normal(0.0, neg.estimate_noise_sd))
    view_r = pie_usd_b * (1.0 + responder.generator.normal(0.0, neg.estimate_noise_sd))
    outcome = AlternatingOffers().run(
        view_p,
        view_r,
        0.0,
        0.0,
        _delta(proposer),
        _delta(responder),
        neg.max_rounds,
    )
    return outcome.agreed, outcome.proposer_share, outcome.rounds


def _delta(firm: Any) -> float:
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


def compute_compute_options(lab: Any, gw: float) -> list[tuple[str, DealKind, float, float]]:
    """The lab's options for `gw` of compute: (partner, kind, cost per GW-year, reservation).

    Leasing costs the market lease price; buying chips costs the vendor's list price over
    `CHIP_LIFE_YEARS` plus the average capex of the best free sites over `SHELL_LIFE_YEARS`,
    and is open only if the lab can fund a quarter of it up front.
    """
    model = lab.model
    options: list[tuple[str, DealKind, float, float]] = []
    value = lab.p.revenue_usd_b_per_gw_year * model.revenue_multiplier * (1 + LAB_VALUE_PREMIUM)
    for cloud in model.clouds:
        options.append(
            (cloud.name, DealKind.CLOUD_CAPACITY, model.cloud_price_usd_b_per_gw_year, value)
        )
    capex = model.compute_typical_capex_usd_b_per_gw()
    spendable = lab.compute_spendable_usd_b() + lab.compute_expected_funding_usd_b()
    for vendor in model.vendors:
        product = vendor.compute_product()
        if (
            product is None
            or not vendor.price_usd_b_per_gw
            or vendor.price_usd_b_per_gw == float("inf")
        ):
            continue
        upfront = gw * (vendor.price_usd_b_per_gw + capex)
        if spendable < 0.25 * upfront:
            continue
        cost = (
            vendor.price_usd_b_per_gw / CHIP_LIFE_YEARS
            + capex / SHELL_LIFE_YEARS
            + OPEX_USD_B_PER_GW_YEAR
        )
        options.append((vendor.name, DealKind.SUPPLY, cost, value))
    return options


def seek_compute(lab: Any, gw: float) -> Deal | None:
    """Propose deals for `gw` of compute to the best partners in turn until one agrees.

    Ranking: the buyers' utility of `world.market.compute_buyer_utilities` over the cost per
    GW-year (-price_sensitivity x ln(cost / cheapest) + CUDA lock-in for Nvidia +
    relationship bonus for a live partner - diversification penalty above
    `max_supplier_share`). The partners come from the network's outside options
    (`DealNetwork.compute_outside_options`: a partner the lab is exclusively bound away from,
    or one bound to someone else, is not an option); an impasse with one moves the lab to the
    next. Price = the responder's reservation (which already prices its own outside option:
    leasing to other tenants, selling to other buyers) + its share of the pie; the pie is
    (buyer's reservation - seller's reservation) x GW x years.
    """
    model = lab.model
    m = model.p.market
    options = {
        name: (kind, cost, value) for name, kind, cost, value in compute_compute_options(lab, gw)
    }
    if not options:
        return None
    cheapest = min(cost for _kind, cost, _value in options.values())
    live_partners = {d.source for d in model.deals.live() if d.target == lab.name}
    values: dict[str, float] = {}
    for name, (_kind, cost, _value) in options.items():
        lockin = m.cuda_lockin * model.policy.compute_lockin_factor() if name == "Nvidia" else 0.0
        rel = 1.0 if name in live_partners else 0.0
        over = max(0.0, model.compute_dependence(lab.name, name) - lab.p.max_supplier_share)
        values[name] = (
            -m.price_sensitivity * math.log(cost / cheapest)
            + lockin
            + m.relationship_bonus * rel
            - m.diversification * 10 * over
        )
    ranked: list[tuple[str, float]] = []
    for kind in (DealKind.CLOUD_CAPACITY, DealKind.SUPPLY):
        names = [n for n, (k, _c, _v) in options.items() if k is kind]
        ranked += model.network.compute_outside_options(
            lab.name, names, kind, {n: values[n] for n in names}
        )
    for name, _value in sorted(ranked, key=lambda nv: (-nv[1], nv[0])):
        kind = options[name][0]
        if model.policy.forbids_deal(kind, name, lab.name):
            continue
        partner = model.firms[name]
        kind, _cost, value = options[name]
        deal = _negotiate(model, lab, partner, kind, gw, value)
        if deal is not None:
            return deal
    return None


def _negotiate(
    model: Any, lab: Any, partner: Any, kind: DealKind, gw: float, value: float
) -> Deal | None:
    if kind is DealKind.CLOUD_CAPACITY:
        years = CONTRACT_MONTHS / 12.0
        reserve = partner.compute_reservation_usd_b_per_gw_year(lab)
        pie = (value - reserve) * gw * years
        agreed, lab_share, rounds = bargain(model, lab, partner, pie)
        if not agreed:
            return None
        price = value - lab_share * pie / (gw * years)
        total = price * gw * years
        terms = dict(
            gw=gw,
            value_usd_b=total,
            price_usd_b_per_gw=price,
            duration_months=CONTRACT_MONTHS,
            start_step=model.t + 12,
        )
    else:
        # the vendor walks away below half its base markup; the lab above 5% over list price
        reserve = cost_usd_b_per_gw(partner.compute_product()) * (1 + 0.5 * partner.p.markup)
        ceiling = partner.price_usd_b_per_gw * 1.05
        pie = (ceiling - reserve) * gw
        agreed, lab_share, rounds = bargain(model, lab, partner, pie)
        if not agreed:
            return None
        price = ceiling - lab_share * pie / gw
        terms = dict(
            gw=gw,
            value_usd_b=price * gw,
            price_usd_b_per_gw=price,
            duration_months=SUPPLY_MONTHS,
            start_step=model.t + 3,
        )
    binding = terms["value_usd_b"] <= LOI_THRESHOLD_USD_B
    status = DealStatus.DEFINITIVE if binding else DealStatus.LOI
    exclusive = (
        model.p.negotiation.investor_exclusivity
        and model.policy.allows_exclusivity()
        and model.stakes.compute_stake(partner.name, lab.name) > 0
    )
    deal = new_deal(
        model, kind, partner.name, lab.name, status, binding=binding, exclusive=exclusive, **terms
    )
    model.negotiation_rounds[deal.deal_id] = rounds
    return deal


def collect_round_offers(lab: Any, size_usd_b: float, post_usd_b: float) -> dict[str, float]:
    """Strategic investors' commitments to the lab's round, USD B by investor.

    A stalled equity letter of intent in the lab is converted into a one-off stake of
    `restructure_frac` x its value (facts.toml D1c: $100B plan -> ~$30B in the round) when the
    investor's own financing rule still says invest; other firms offer by
    `compute_financing_offer`. Each commitment becomes an equity deal (definitive, then the
    regulator's review, then paid on activation). Strategic money is capped at 80% of the round.
    """
    model = lab.model
    neg = model.p.negotiation
    offers: dict[str, float] = {}
    for deal in sorted(model.deals.live(), key=lambda d: d.deal_id):
        if (
            deal.kind is DealKind.EQUITY
            and deal.target == lab.name
            and deal.status is DealStatus.STALLED
            and deal.source not in offers
        ):
            investor = model.firms[deal.source]
            if investor.compute_financing_offer(lab, size_usd_b, hurdle=0.0) > 0:
                offers[deal.source] = neg.restructure_frac * deal.value_usd_b
                deal.update_status(DealStatus.RENEGOTIATED, model.t)
                model.network.update_remove_deal(deal.deal_id)
                model.restructured_from[deal.source] = deal.deal_id
    for name in sorted(model.firms):
        if name == lab.name or name in offers:
            continue
        amount = model.firms[name].compute_financing_offer(lab, size_usd_b)
        if amount > 0:
            offers[name] = amount
    total = sum(offers.values())
    cap = 0.8 * size_usd_b
    if total > cap:
        offers = {k: v * cap / total for k, v in offers.items()}
    for name in list(offers):  # an equity cap trims each offer to what keeps the stake within it
        offers[name] = compute_capped_amount(model, name, lab.name, offers[name], post_usd_b)
        if offers[name] <= 0:
            del offers[name]
            model.restructured_from.pop(name, None)
    for name, amount in sorted(offers.items()):
        parent = model.restructured_from.pop(name, None)
        new_deal(
            model,
            DealKind.EQUITY,
            name,
            lab.name,
            DealStatus.DEFINITIVE,
            binding=True,
            value_usd_b=amount,
            valuation_usd_b=post_usd_b,
            equity_pct=100.0 * amount / post_usd_b,
            voting=False,
            parent_id=parent or "",
        )
    return offers
