"""The deal pipeline: announcements in, letters of intent through due diligence, the regulator's
review, and execution of the signed terms.

Who decides: the paying side of a binding announcement accepts it if it can fund what falls due
(`respond`); after a letter of intent the investor or seller runs due diligence on its
counterparty (`DealPipeline.run_diligence`: passed, restructure or stall); the regulator
reviews definitive deals (`agents.regulator.Regulator`). Who executes: `world.closing.
DealClosing` carries out every decision (status changes, the network, payments, stakes,
remedies). This module reads the market through a `world.view.MarketView` and applies the
decisions in a fixed order (deal-id order each month).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from agents.diligence import DiligenceReport, Verdict, assess
from agents.regulator import Regulator
from world.closing import LINKED_SUPPLY_MONTHS, DealClosing
from world.contracts import Deal, DealStatus, Tranche
from world.params import DealKind, EventParams, NegotiationParams
from world.view import MarketView

MIN_PERCEIVED_NOISE = -0.95
"""Floor of the checker's perception error: a ratio is never seen below 5% of its true
value (`assess` needs noise > -1; a wide `estimate_noise_sd` would otherwise crash)."""


def respond(view: MarketView, deal: Deal) -> bool:
    """The paying side of a binding announcement accepts it if it can fund what falls due.

    Rule: the deal's payments due in the next 12 months <= cash + undrawn debt + expected
    funding of the payer (the investor of a stake, the buyer otherwise).
    """
    payer = deal.source if deal.kind in (DealKind.EQUITY, DealKind.WARRANT) else deal.target
    window = (view.t, view.t + 12)
    if deal.kind is DealKind.CLOUD_CAPACITY:
        due = deal.compute_lease_usd_b(*window)
    elif deal.kind is DealKind.SUPPLY:
        frac = max(0.0, min(1.0, (window[1] - deal.start_step) / max(deal.duration_months, 1)))
        due = deal.gw * deal.price_usd_b_per_gw * frac
    else:
        due = deal.value_usd_b if not deal.tranches else deal.tranches[0].amount_usd_b
    expected = view.compute_expected_funding_usd_b(payer)
    return due <= view.compute_spendable_usd_b(payer) + expected


def compute_deal_due_usd_b(view: MarketView, deal: Deal, months: int) -> float:
    """What the deal itself would add to the target's commitments over `months`, USD B.

    A milestone investment tied to GW of the investor's systems (facts.toml D1) commits the
    investee to buy them: the GW falling due in the window at the investor's list price.
    """
    if deal.kind is DealKind.CLOUD_CAPACITY:
        return deal.price_usd_b_per_gw * deal.gw * min(months, deal.duration_months) / 12.0
    if deal.kind is DealKind.SUPPLY:
        return deal.value_usd_b
    if deal.kind is DealKind.EQUITY and deal.gw > 0:
        price = view.compute_list_price_usd_b_per_gw(deal.source)
        return deal.gw * min(1.0, months / LINKED_SUPPLY_MONTHS) * price
    return 0.0


def compute_scaled_terms(deal: Deal, frac: float) -> dict[str, float | None]:
    """The bargaining record of a deal restructured to `frac` of its GW: surplus and
    disagreement payoffs scaled with the GW (None stays None: not negotiated)."""
    names = ("surplus_usd_b", "disagreement_source_usd_b", "disagreement_target_usd_b")
    return {n: (None if getattr(deal, n) is None else getattr(deal, n) * frac) for n in names}


def compute_event_tranches(ev: EventParams) -> list[Tranche]:
    """Equal milestone tranches of an announcement: tranche k due at k x gw_per_tranche GW."""
    return [
        Tranche(
            milestone_gw=(k + 1) * ev.gw_per_tranche,
            amount_usd_b=ev.value_usd_b / ev.tranches,
            paid_step=None,
        )
        for k in range(ev.tranches)
    ]


def compute_event_price(ev: EventParams) -> float:
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


class DealPipeline:
    """The month's deal phase: the decisions on live deals, carried out by `DealClosing`.

    Args:
        view: read-only market view.
        closing: the component that carries out the decisions.
        regulator: reviews definitive deals.
        params: the scenario's negotiation parameters (diligence months, thresholds, noise).
        generators: firm -> its own random generator (a checker's perception error in due
            diligence is drawn from the checker's generator).
    """

    def __init__(self, view: MarketView, closing: DealClosing, regulator: Regulator,
                 params: NegotiationParams, generators: Mapping[str, np.random.Generator]) -> None:
        self.view, self.closing, self.regulator = view, closing, regulator
        self.params = params
        self.generators = generators
        self.diligence_log: list[tuple[int, str, DiligenceReport]] = []
        """(step, deal id, report) of every due diligence, in order."""

    def create_event_deal(self, ev: EventParams, initial: bool) -> Deal:
        """Turn a dated announcement into a deal; pre-start announcements are initial positions
        (active at step 0, no money moved: it is already in the opening balances). An
        announcement meeting a blocked route is never signed; a definitive one the payer cannot
        fund is abandoned (`respond`)."""
        view, closing = self.view, self.closing
        status = DealStatus.ACTIVE if initial else DealStatus(ev.stage)
        if view.forbids_equity_deal(ev.deal_kind, ev.source_firm, ev.target_firm, deal_id=ev.id):
            status = DealStatus.PROPOSED
        deal = closing.update_open(
            ev.deal_kind, ev.source_firm, ev.target_firm, status, origin="event",
            deal_id=ev.id, gw=ev.gw, value_usd_b=ev.value_usd_b,
            price_usd_b_per_gw=compute_event_price(ev), duration_months=ev.duration_months,
            start_step=view.compute_step_of(ev.start) if ev.start else view.t,
            equity_pct=ev.equity_pct, voting=ev.voting,
            exclusive=ev.exclusive and view.allows_exclusivity(), binding=ev.binding,
            valuation_usd_b=ev.valuation_usd_b, tranches=compute_event_tranches(ev),
        )
        if status is DealStatus.PROPOSED:
            self.regulator.update_block(deal, "blocked by intervention before signature")
        elif initial:
            closing.update_initial_position(deal)
            self.regulator.update_add_standing(deal)
        elif status is DealStatus.DEFINITIVE and not respond(view, deal):
            closing.update_close(deal, DealStatus.ABANDONED)
        return deal

    def run_diligence(self, deal: Deal) -> Verdict:
        """The seller or investor (`deal.source`) re-checks the buyer or investee
        (`deal.target`): financing capacity, discipline and competitive position
        (`agents.diligence.assess`), each seen with the checker's own noise."""
        view, neg, lab = self.view, self.params, deal.target
        share = view.compute_frontier_share_of(lab)
        expected = view.compute_expected_funding_usd_b(lab)
        report = assess(
            cash_usd_b=max(0.0, view.compute_cash_usd_b(lab)),
            expected_funding_usd_b=expected,
            commitments_usd_b=view.compute_commitments_usd_b(lab, 24)
            + compute_deal_due_usd_b(view, deal, 24),
            burn_usd_b_per_year=view.compute_burn_usd_b_per_year(lab),
            revenue_usd_b_per_year=view.compute_revenue_usd_b_per_year(lab),
            frontier_share=share,
            params=neg,
            perceived_noise=max(
                MIN_PERCEIVED_NOISE,
                float(self.generators[deal.source].normal(0.0, neg.estimate_noise_sd)),
            ),
        )
        self.diligence_log.append((view.t, deal.deal_id, report))
        return report.verdict

    def update_month(self) -> None:
        """Move every live deal one month along its lifecycle, in deal-id order: diligence of
        letters of intent, re-checks of stalled deals (abandoned after
        `stall_months_to_abandon`), filing and review, then execution of active deals. The
        regulator first screens the standing stakes (`Regulator.update_review_standing`).

        The phase moves deals, stakes and money, never the quantities market shares are read
        from, so the shares read in it (diligence's frontier share, the reviewer's markets)
        are computed once and held until its end (`update_hold_shares`)."""
        self.view.update_hold_shares(True)
        self.regulator.update_hold_shares(True)
        try:
            self._update_deals()
        finally:
            self.view.update_hold_shares(False)
            self.regulator.update_hold_shares(False)

    def _update_deals(self) -> None:
        """The body of `update_month`, with the month's shares held."""
        view, closing, neg = self.view, self.closing, self.params
        self.regulator.update_review_standing()
        t = view.t
        for deal in view.live_deals():  # a copy, in deal-id order (`MarketView.live_deals`)
            status = deal.status
            if status is DealStatus.ACTIVE:  # the most common: straight to execution
                if deal.kind is not DealKind.SUPPLY:  # supply: executed by the chip market
                    closing.update_execute(deal)
                continue
            since = t - deal.history[-1][0]
            if status is DealStatus.LOI and since >= neg.diligence_months:
                self._after_diligence(deal, self.run_diligence(deal))
            elif status is DealStatus.STALLED:
                if since >= neg.stall_months_to_abandon:
                    closing.update_close(deal, DealStatus.ABANDONED)
                elif self.run_diligence(deal) is Verdict.PASSED:
                    closing.update_deal_status(deal, DealStatus.DEFINITIVE)
            elif status is DealStatus.DEFINITIVE:
                self.regulator.update_submit(deal)
            elif status is DealStatus.UNDER_REVIEW:
                self.regulator.update_decide(deal)
            if deal.status is DealStatus.ACTIVE:
                closing.update_execute(deal)

    def _after_diligence(self, deal: Deal, verdict: Verdict) -> None:
        """Passed: definitive and filed. Restructure (not equity): a smaller binding deal of
        `restructure_frac` of the GW and value replaces it and is filed. Otherwise (a stall, or
        equity, which restructures only into a funding round): stalled."""
        closing = self.closing
        if verdict is Verdict.PASSED:
            closing.update_deal_status(deal, DealStatus.DEFINITIVE)
            self.regulator.update_submit(deal)
        elif verdict is Verdict.RESTRUCTURE and deal.kind is not DealKind.EQUITY:
            frac = self.params.restructure_frac
            child = closing.update_open(
                deal.kind, deal.source, deal.target, DealStatus.DEFINITIVE,
                origin=deal.origin, binding=True, parent_id=deal.deal_id, gw=deal.gw * frac,
                value_usd_b=deal.value_usd_b * frac, price_usd_b_per_gw=deal.price_usd_b_per_gw,
                duration_months=deal.duration_months,
                start_step=max(deal.start_step, self.view.t), exclusive=deal.exclusive,
                voting=deal.voting, **compute_scaled_terms(deal, frac),
            )
            closing.update_close(deal, DealStatus.RENEGOTIATED)
            self.regulator.update_submit(child)
        else:
            closing.update_deal_status(deal, DealStatus.STALLED)
