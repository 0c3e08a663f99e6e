"""How firms strike deals: booking a deal, the lab's search for compute, funding-round offers.

Supply and cloud-capacity contracts are priced by Nash-in-Nash bargaining on the network
(`agents.contracting`, `world.bargaining`): each link's disagreement payoffs come from
re-solving the month's market without it, and the parties reach terms by alternating offers
with private views (`agents.negotiation.negotiate_link`). A proposer that reaches an impasse
moves on to its next-best partner.
"""

from __future__ import annotations

from typing import Any

from agents import contracting
from agents.contracting import new_deal
from world.contracts import Deal, DealStatus
from world.params import DealKind


def seek_compute(lab: Any, gw: float) -> Deal | None:
    """Propose deals for `gw` of compute to the best partners in turn until one agrees.

    Candidates: every cloud (a `CONTRACT_MONTHS` lease) and every vendor (chips for the lab's
    own datacenters, delivered over `SUPPLY_MONTHS`), each with its Nash-in-Nash terms
    (`agents.contracting.compute_candidates`: the network drops partners the lab is
    exclusively bound away from, a live tie adds the relationship bonus); best rank first, an
    impasse moves the lab to the next. The lab proposes.
    """
    model = lab.model
    ranked = [
        (rank, name, kind, terms)
        for kind, names in ((DealKind.CLOUD_CAPACITY, [c.name for c in model.clouds]),
                            (DealKind.SUPPLY, [v.name for v in model.vendors]))
        for name, rank, terms in contracting.compute_candidates(model, lab, gw, names, kind)
    ]
    for _rank, name, kind, terms in sorted(ranked, key=lambda r: (-r[0], r[1])):
        months = (contracting.CONTRACT_MONTHS if kind is DealKind.CLOUD_CAPACITY
                  else contracting.SUPPLY_MONTHS)
        deal = contracting.strike(
            model, model.firms[name], lab, kind, terms, seller_first=False, months=months,
            start_in=contracting.LEASE_START_MONTHS if kind is DealKind.CLOUD_CAPACITY else 3,
            rng=lab.generator,
        )
        if deal is not None:
            return deal
    return None


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
        offers[name] = model.view.compute_capped_amount_usd_b(name, lab.name, offers[name],
                                                             post_usd_b)
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
