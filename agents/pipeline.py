"""The deal pipeline: announcements in, letters of intent through due diligence, the regulator's
review, and execution of equity and warrant terms.

Transitions are decided by the firms (the investor's or seller's due diligence, the buyer's
acceptance) and the regulator; this module only applies their decisions in a fixed order.
"""

from __future__ import annotations

from typing import Any

from agents.contracting import new_deal
from agents.diligence import Verdict, assess
from agents.remedies import compute_capped_amount, compute_capped_fraction, update_refill_round
from world.contracts import Deal, DealStatus, Tranche
from world.ledger import FlowKind
from world.params import DealKind, EventParams


def create_event_deal(model: Any, ev: EventParams, initial: bool) -> Deal | None:
    """Turn a dated announcement into a deal; pre-start announcements are initial positions
    (active at step 0, no money moved: it is already in the opening balances)."""
    status = DealStatus.ACTIVE if initial else DealStatus(ev.stage)
    if model.policy.forbids_equity_deal(
        ev.deal_kind, ev.source_firm, ev.target_firm, deal_id=ev.id
    ):
        status = DealStatus.PROPOSED
    deal = new_deal(
        model,
        ev.deal_kind,
        ev.source_firm,
        ev.target_firm,
        status,
        origin="event",
        deal_id=ev.id,
        gw=ev.gw,
        value_usd_b=ev.value_usd_b,
        price_usd_b_per_gw=_event_price(ev),
        duration_months=ev.duration_months,
        start_step=model.step_of(ev.start) if ev.start else model.t,
        equity_pct=ev.equity_pct,
        voting=ev.voting,
        exclusive=ev.exclusive and model.policy.allows_exclusivity(),
        binding=ev.binding,
        valuation_usd_b=ev.valuation_usd_b,
        tranches=_event_tranches(ev),
    )
    if status is DealStatus.PROPOSED:  # the announcement meets a blocked route: never signed
        model.regulator.update_block(deal, "blocked by intervention before signature")
    elif initial:
        _update_initial_position(model, ev, deal)
    elif status is DealStatus.DEFINITIVE and not respond(model, deal):
        deal.update_status(DealStatus.ABANDONED, model.t)
        model.network.update_remove_deal(deal.deal_id)
    return deal


def _event_tranches(ev: EventParams) -> list[Tranche]:
    """Equal milestone tranches of an announcement: tranche k due at k x gw_per_tranche GW."""
    return [
        Tranche(
            milestone_gw=(k + 1) * ev.gw_per_tranche,
            amount_usd_b=ev.value_usd_b / ev.tranches,
            paid_step=None,
        )
        for k in range(ev.tranches)
    ]


def _event_price(ev: EventParams) -> float:
    """The announced price, or, when only value and GW are announced, value / GW for supply
    (USD B/GW) and value / (GW x years of the term) for cloud capacity (USD B/GW-year)."""
    price = ev.price_usd_b_per_gw
    if (
        not price
        and ev.gw
        and ev.value_usd_b
        and ev.deal_kind in (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY)
    ):
        years = ev.duration_months / 12.0 if ev.deal_kind is DealKind.CLOUD_CAPACITY else 1.0
        price = ev.value_usd_b / (ev.gw * max(years, 1e-9))
    return price


def _update_initial_position(model: Any, ev: EventParams, deal: Deal) -> None:
    """A pre-start announcement is signed at step 0; a one-off stake is already held."""
    deal.step_signed = model.t
    if ev.deal_kind in (DealKind.EQUITY, DealKind.WARRANT) and ev.equity_pct and not ev.tranches:
        model.stakes.update_set(ev.source_firm, ev.target_firm, ev.equity_pct / 100.0, ev.voting)
        _close(model, deal, DealStatus.COMPLETED)


def respond(model: Any, deal: Deal) -> bool:
    """The paying side of a binding announcement accepts it if it can fund what falls due.

    Rule: the deal's payments due in the next 12 months <= cash + undrawn debt + expected
    funding of the payer.
    """
    payer = model.firms[
        deal.source if deal.kind in (DealKind.EQUITY, DealKind.WARRANT) else deal.target
    ]
    window = (model.t, model.t + 12)
    if deal.kind is DealKind.CLOUD_CAPACITY:
        end = deal.start_step + deal.duration_months
        months = max(0, min(end, window[1]) - max(deal.start_step, window[0]))
        due = deal.price_usd_b_per_gw * deal.gw * months / 12.0
    elif deal.kind is DealKind.SUPPLY:
        frac = max(0.0, min(1.0, (window[1] - deal.start_step) / max(deal.duration_months, 1)))
        due = deal.gw * deal.price_usd_b_per_gw * frac
    else:
        due = deal.value_usd_b if not deal.tranches else deal.tranches[0].amount_usd_b
    expected = getattr(payer, "compute_expected_funding_usd_b", lambda: 0.0)()
    return due <= payer.compute_spendable_usd_b() + expected


MIN_PERCEIVED_NOISE = -0.95
"""Floor of the checker's perception error: a ratio is never seen below 5% of its true
value (`assess` needs noise > -1; a wide `estimate_noise_sd` would otherwise crash)."""


def run_diligence(model: Any, deal: Deal) -> Verdict:
    """The seller or investor (`deal.source`) re-checks the buyer or investee (`deal.target`):
    financing capacity, discipline and competitive position (`agents.diligence.assess`), each
    seen with its own noise."""
    checker, lab = model.firms[deal.source], model.firms[deal.target]
    neg = model.p.negotiation
    share = lab.compute_frontier_share() if hasattr(lab, "compute_frontier_share") else 1.0
    expected = getattr(lab, "compute_expected_funding_usd_b", lambda: 0.0)()
    report = assess(
        cash_usd_b=max(0.0, lab.cash_usd_b),
        expected_funding_usd_b=expected,
        commitments_usd_b=model.compute_commitments_usd_b(lab.name, 24)
        + _deal_due(model, deal, 24),
        burn_usd_b_per_year=lab.burn_usd_b_per_year,
        revenue_usd_b_per_year=lab.revenue_usd_b_per_year,
        frontier_share=share,
        params=neg,
        perceived_noise=max(
            MIN_PERCEIVED_NOISE, float(checker.generator.normal(0.0, neg.estimate_noise_sd))
        ),
    )
    model.diligence_log.append((model.t, deal.deal_id, report))
    return report.verdict


def _deal_due(model: Any, deal: Deal, months: int) -> float:
    """What the deal itself would add to the target's commitments over `months`, USD B.

    A milestone investment tied to GW of the investor's systems (facts.toml D1) commits the
    investee to buy them: the GW falling due in the window at the investor's list price.
    """
    if deal.kind is DealKind.CLOUD_CAPACITY:
        return deal.price_usd_b_per_gw * deal.gw * min(months, deal.duration_months) / 12.0
    if deal.kind is DealKind.SUPPLY:
        return deal.value_usd_b
    if deal.kind is DealKind.EQUITY and deal.gw > 0:
        price = getattr(model.firms[deal.source], "price_usd_b_per_gw", 0.0)
        return deal.gw * min(1.0, months / LINKED_SUPPLY_MONTHS) * price
    return 0.0


def advance_deals(model: Any) -> None:
    """Move every live deal one month along its lifecycle, in deal-id order."""
    neg = model.p.negotiation
    for deal in sorted(model.deals.live(), key=lambda d: d.deal_id):
        status = deal.status
        since = model.t - deal.history[-1][0]
        if status is DealStatus.LOI and since >= neg.diligence_months:
            _after_diligence(model, deal, run_diligence(model, deal))
        elif status is DealStatus.STALLED:
            if since >= neg.stall_months_to_abandon:
                _close(model, deal, DealStatus.ABANDONED)
            elif run_diligence(model, deal) is Verdict.PASSED:
                deal.update_status(DealStatus.DEFINITIVE, model.t)
        elif status is DealStatus.DEFINITIVE:
            model.regulator.update_submit(deal)
        elif status is DealStatus.UNDER_REVIEW:
            model.regulator.update_decide(deal)
        if deal.status is DealStatus.ACTIVE:
            execute(model, deal)


def _after_diligence(model: Any, deal: Deal, verdict: Verdict) -> None:
    if verdict is Verdict.PASSED:
        deal.update_status(DealStatus.DEFINITIVE, model.t)
        model.regulator.update_submit(deal)
    elif verdict is Verdict.RESTRUCTURE and deal.kind is not DealKind.EQUITY:
        child = new_deal(
            model,
            deal.kind,
            deal.source,
            deal.target,
            DealStatus.DEFINITIVE,
            origin=deal.origin,
            binding=True,
            parent_id=deal.deal_id,
            gw=deal.gw * model.p.negotiation.restructure_frac,
            value_usd_b=deal.value_usd_b * model.p.negotiation.restructure_frac,
            price_usd_b_per_gw=deal.price_usd_b_per_gw,
            duration_months=deal.duration_months,
            start_step=max(deal.start_step, model.t),
            exclusive=deal.exclusive,
            voting=deal.voting,
            **_scaled_terms(deal, model.p.negotiation.restructure_frac),
        )
        _close(model, deal, DealStatus.RENEGOTIATED)
        model.regulator.update_submit(child)
    else:  # equity restructures only into a funding round: it waits there, stalled
        deal.update_status(DealStatus.STALLED, model.t)


def _scaled_terms(deal: Deal, frac: float) -> dict[str, float | None]:
    """The bargaining record of a deal restructured to `frac` of its GW: surplus and
    disagreement payoffs scaled with the GW (None stays None: not negotiated)."""
    names = ("surplus_usd_b", "disagreement_source_usd_b", "disagreement_target_usd_b")
    return {n: (None if getattr(deal, n) is None else getattr(deal, n) * frac) for n in names}


def _close(model: Any, deal: Deal, status: DealStatus) -> None:
    deal.update_status(status, model.t)
    model.network.update_remove_deal(deal.deal_id)


def execute(model: Any, deal: Deal) -> None:
    """Carry out the money and stake terms of an active equity or warrant deal.

    Equity without tranches: paid once, shares issued at `valuation_usd_b` (post-money).
    Equity with tranches: tranche k is paid when the investee has deployed k x gw_per_tranche
    GW of the investor's chips since signing (facts.toml D1: $10B per GW), shares at the current
    valuation. Warrant: vests pro rata per GW of the issuer's chips deployed by the holder
    (facts.toml D2), the holder paying the nominal strike. Supply and cloud deals are executed by
    the markets; a lease completes when its term has run, a supply deal when delivered.
    """
    if deal.kind is DealKind.EQUITY and not deal.tranches:
        _execute_one_off_equity(model, deal)
    elif deal.kind in (DealKind.EQUITY, DealKind.WARRANT):
        _execute_milestones(model, deal)
    elif (
        deal.kind is DealKind.CLOUD_CAPACITY
        and deal.duration_months
        and model.t >= deal.start_step + deal.duration_months
    ):
        _close(model, deal, DealStatus.COMPLETED)


def _execute_one_off_equity(model: Any, deal: Deal) -> None:
    """Pay a one-off investment at post-money max(valuation, value), within the equity cap;
    outside investors take the part above the cap."""
    investor, investee = model.firms[deal.source], model.firms[deal.target]
    post = max(deal.valuation_usd_b or investee.valuation_usd_b, deal.value_usd_b)
    paid = compute_capped_amount(model, investor.name, investee.name, deal.value_usd_b, post)
    investor.update_pay(investee.name, paid, FlowKind.EQUITY_INVESTMENT, deal.deal_id, cost=False)
    if paid > 0:
        model.stakes.update_issue(investor.name, investee.name, paid, post, deal.voting)
    if paid < deal.value_usd_b:  # the equity cap binds: outside investors take the rest
        update_refill_round(model, deal, deal.value_usd_b - paid)
    _close(model, deal, DealStatus.COMPLETED)


def _execute_milestones(model: Any, deal: Deal) -> None:
    """Pay or vest every tranche whose GW milestone the holder has reached since signing;
    complete the deal once all are done."""
    investor, investee = model.firms[deal.source], model.firms[deal.target]
    holder, issuer = investee, investor  # warrant: target holds, source issues
    if deal.deal_id not in model.deploy_baseline and deal.kind is DealKind.EQUITY and deal.gw > 0:
        _open_linked_supply(model, deal)
    base = model.deploy_baseline.setdefault(
        deal.deal_id, holder.compute_deployed_gw_of(issuer.name)
    )
    progress = holder.compute_deployed_gw_of(issuer.name) - base
    for tranche in deal.tranches:
        if tranche.paid_step is not None or progress + 1e-9 < tranche.milestone_gw:
            continue
        tranche.paid_step = model.t
        if deal.kind is DealKind.EQUITY:
            _pay_equity_tranche(model, deal, tranche, investor, investee)
        else:
            _vest_warrant_tranche(model, deal, holder, issuer)
    if all(t.paid_step is not None for t in deal.tranches):
        _close(model, deal, DealStatus.COMPLETED)


def _pay_equity_tranche(model: Any, deal: Deal, tranche: Tranche, investor: Any,
                        investee: Any) -> None:
    """One milestone payment at the investee's current valuation, within the equity cap."""
    post = investee.valuation_usd_b + tranche.amount_usd_b
    paid = compute_capped_amount(model, investor.name, investee.name, tranche.amount_usd_b, post)
    investor.update_pay(investee.name, paid, FlowKind.EQUITY_INVESTMENT, deal.deal_id, cost=False)
    if paid > 0:
        model.stakes.update_issue(investor.name, investee.name, paid, post, deal.voting)


def _vest_warrant_tranche(model: Any, deal: Deal, holder: Any, issuer: Any) -> None:
    """One tranche of a warrant vests (within the equity cap); the holder pays its share of
    the nominal strike."""
    n = len(deal.tranches)
    frac = compute_capped_fraction(model, holder.name, issuer.name, deal.equity_pct / 100.0 / n)
    if frac > 0:
        model.stakes.update_grant(holder.name, issuer.name, frac, deal.voting)
    holder.update_pay(
        issuer.name, WARRANT_STRIKE_USD_B / n, FlowKind.WARRANT, deal.deal_id, cost=False
    )


LINKED_SUPPLY_MONTHS = 48
"""Delivery period of the chips tied to a milestone investment (facts.toml D1: 10 GW, first GW in
H2 2026, one GW per tranche)."""


def _open_linked_supply(model: Any, deal: Deal) -> None:
    """A milestone investment comes with the investee's commitment to buy the investor's
    systems (facts.toml D1: '>= 10 GW of Nvidia systems'): a binding supply deal at list price."""
    vendor = model.firms[deal.source]
    price = getattr(vendor, "price_usd_b_per_gw", 0.0)
    child = new_deal(
        model,
        DealKind.SUPPLY,
        deal.source,
        deal.target,
        DealStatus.ACTIVE,
        origin=deal.origin,
        binding=True,
        parent_id=deal.deal_id,
        gw=deal.gw,
        price_usd_b_per_gw=price,
        value_usd_b=price * deal.gw,
        duration_months=LINKED_SUPPLY_MONTHS,
        start_step=max(deal.start_step, model.t),
    )
    child.step_signed = model.t


WARRANT_STRIKE_USD_B = 160e6 * 0.01 / 1e9
"""Strike paid for AMD's 160M-share warrant at $0.01 a share (facts.toml D2), USD B."""
