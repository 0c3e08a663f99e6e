"""The AI lab (OpenAI): compute ambition, revenue from compute, burn, funding rounds, deals."""

from __future__ import annotations

import math

from agents import dealmaking
from agents.builder import update_build_to_target
from agents.cloud import compute_chip_need_gw
from agents.firm import GROWTH_HISTORY_MONTHS, Firm
from world.capital import compute_round_pre_money_usd_b
from world.contracts import DealStatus
from world.decisions import Appraise, Dilute, RaiseEquity
from world.frontier import compute_cournot_compute_gw
from world.ledger import FlowKind
from world.market import compute_path_value
from world.params import DealKind

BUILD_AHEAD_MONTHS = 30
"""The lab builds datacenters for the chips falling due this far ahead (build lags, facts)."""

SEARCH_HORIZON_MONTHS = 24
"""How far ahead the lab secures compute: its ambition 24 months out (build lags, facts)."""

MAX_DEAL_GW = 3.0
"""Largest block of capacity the lab seeks in one negotiation, GW."""

MIN_ROUND_GAP_MONTHS = 5
"""Fewest months between two funding rounds."""

ROUND_LEAD_MONTHS = 2
"""Months a lab needs to organise a round around a stalled strategic investor (facts.toml D1b-D1c,
D7: stalled in 2025-12, closed in the round of 2026-02)."""

FUNDING_APPETITE_PER_YEAR = 0.15
"""Money the lab expects it can raise in a year, as a fraction of its valuation (assumption
matching 2024-26 rounds: $6.6B at $157B, $40B at $300B, $110B at $730B)."""


class AILab(Firm):
    """A frontier lab that turns compute into revenue and raises money to buy more.

    Revenue = the AI-services price x its served compute (own deployed + leased;
    `world.frontier`). It plans the profit-maximising compute 24 months ahead, at most its
    `compute_ambition_gw` path; it closes the gap with cloud-capacity deals or chip-supply
    deals (chips installed in its own datacenters), chosen by cost, diversification and
    relationships, and negotiated by alternating offers. It raises a round when cash runs short.
    """

    role = "lab"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rounds = [self.view.compute_step_of(e.date) for e in self.view.events
                  if e.deal_kind is DealKind.EQUITY and e.target_firm == self.name]
        self.last_round_step = max([r for r in rounds if r < 0], default=-99)
        self.leased_gw = 0.0

    def update_leased_gw(self, gw: float) -> None:
        """What the lab leases this month under its cloud contracts, GW (told by the cloud
        market when it clears)."""
        self.leased_gw = gw

    # ----- reading its own position ----------------------------------------------------------
    def compute_ambition_gw(self, step: int) -> float:
        """Compute the lab wants at `step`, GW (interpolated `compute_ambition_gw`)."""
        return compute_path_value(self.p.compute_ambition_gw, self.view.start_idx + step)

    def compute_compute_gw(self) -> float:
        """Compute the lab uses now: own deployed + leased, GW."""
        return self.compute_deployed_gw() + self.leased_gw

    def compute_forward_capacity_gw(self, step: int) -> float:
        """Capacity the lab can count on at `step`: own expected powered + live cloud contracts
        running then + undelivered chips contracted, GW."""
        view, name = self.view, self.name
        own = view.compute_expected_powered_gw(name, step)
        leased = 0.0
        stalled, cloud, supply = DealStatus.STALLED, DealKind.CLOUD_CAPACITY, DealKind.SUPPLY
        for deal in view.live_deals():
            if deal.target != name or deal.status is stalled:
                continue
            kind = deal.kind
            if kind is cloud and step < deal.start_step + deal.duration_months:
                leased += deal.gw
            elif kind is supply:
                own = max(own, self.installed_total_gw + view.compute_undelivered_gw(deal))
        return own + leased

    def compute_expected_growth(self) -> float:
        """Expected revenue growth over 12 months (fraction), from secured capacity."""
        now = max(self.compute_compute_gw(), 1e-6)
        return self.compute_forward_capacity_gw(self.view.t + 12) / now - 1.0

    def compute_expected_funding_usd_b(self) -> float:
        """Money the lab can expect to raise in the next 12 months, USD B."""
        return FUNDING_APPETITE_PER_YEAR * self.valuation_usd_b

    def compute_frontier_share(self) -> float:
        """The lab's latest share of the frontier-AI market (0-1)."""
        return self.view.compute_shares("frontier_ai").get(self.name, 0.0)

    # ----- monthly actions -------------------------------------------------------------------
    def update_opex(self) -> None:
        """Pay non-compute operating costs (staff, data, sales): opex x (1+g)^tau / 12."""
        tau = self.view.t / 12.0
        opex = self.p.opex_usd_b_per_year * (1.0 + self.p.opex_growth_per_year) ** tau / 12.0
        self.update_pay("Suppliers", opex, FlowKind.OPEX)

    def update_funding(self) -> None:
        """Raise a round when cash covers fewer than `funding_runway_months` of outflows, or
        when a strategic investor's equity letter of intent has stalled (the round closes it).

        Rule: monthly outflow = trailing burn / 12 + committed payments of the next 12 months
        / 12; the ask = `round_size_months_of_burn` x that, at most `FUNDING_APPETITE_PER_YEAR`
        x the lab's value (the dilution it accepts); pre-money = the value of its simulated
        cash flows (`update_fair_value_usd_b`) discounted for the ask's size against the
        outside equity pool (`world.capital.compute_round_pre_money_usd_b`). Strategic
        investors offer first (`compute_financing_offer`; a stalled letter of intent may be
        converted into a one-off stake); outside `Investors` fill the rest only as far as the
        capital market's pool allows, so a round can close short.
        """
        view = self.view
        t = view.t
        if t - self.last_round_step < MIN_ROUND_GAP_MONTHS:
            return
        commitments = view.compute_commitments_usd_b(self.name, 12)
        monthly_out = self.burn_usd_b_per_year / 12.0 + commitments / 12.0
        short = monthly_out > 0 and self.cash_usd_b < self.p.funding_runway_months * monthly_out
        if not short and not self.compute_hesitant_investors():
            return
        monthly_out = max(monthly_out, 1e-9)
        value = self.update_fair_value_usd_b()
        ask = min(self.p.round_size_months_of_burn * monthly_out, FUNDING_APPETITE_PER_YEAR * value)
        pre = compute_round_pre_money_usd_b(
            value, ask, view.equity_pool_usd_b, view.equity_price_impact
        )
        strategic = dealmaking.collect_round_offers(self, ask, pre + ask)
        outside = self.desk.submit(RaiseEquity(self.name, ask - sum(strategic.values())), self.name)
        post = pre + sum(strategic.values()) + outside
        if outside > 0:  # not revenue: the desk has booked the money, new shares dilute holders
            self.desk.submit(Dilute(self.name, outside / post), self.name)
        self.valuation_usd_b = post
        self.last_round_step = t

    def compute_hesitant_investors(self) -> list[str]:
        """Strategic investors whose equity letter of intent in the lab is stalled: the lab
        opens a round to close them in it (facts.toml D1c, D7: Nvidia's and Amazon's money came in
        the 2026-02 round)."""
        t = self.view.t
        return sorted({d.source for d in self.view.live_deals()
                       if d.kind is DealKind.EQUITY and d.target == self.name
                       and d.status is DealStatus.STALLED
                       and t - d.history[-1][0] >= ROUND_LEAD_MONTHS})

    def update_fair_value_usd_b(self) -> float:
        """What the lab's equity is worth now, USD B: the value of its simulated cash flows
        (an appraisal by investors through the desk, `world.capital.CapitalMarket.update_appraise`)
        from its revenue run-rate,
        growing at what investors expect, an adaptive expectation of the growth they observe:
        the larger of its trailing revenue growth and the growth of its secured capacity 12
        months ahead (investors see both the trend and the contracted pipeline), from its
        trailing operating margin towards the target margin, at its WACC. Until
        `GROWTH_HISTORY_MONTHS` months of revenue are seen the last mark stands (as for every
        firm). Compared with facts.toml openai_valuation_* in docs/validation.md; no parameter
        is set from it."""
        if len(self.revenue_hist) < GROWTH_HISTORY_MONTHS:
            return self.valuation_usd_b
        run_rate = 12.0 * self.revenue_hist[-1]
        growth = max(0.0, self.compute_revenue_growth(), self.compute_expected_growth())
        return self.desk.submit(Appraise(self.name, run_rate, growth), self.name)

    def update_valuation(self) -> None:
        """Between rounds the lab is marked at its fair value (secondary sales mark private
        labs between rounds: facts.toml openai_valuation_*, $500B in 2025-10 was an employee share
        sale, not a primary round)."""
        self.valuation_usd_b = self.update_fair_value_usd_b()

    def compute_compute_cost_usd_b_per_gw_year(self) -> float:
        """Marginal cost of a GW-year of compute, USD B: the cheaper of leasing (this month's
        lease price) and owning (the cheapest merchant chip price over `chip_life_years` plus
        `facility_cost_usd_b_per_gw_year`)."""
        view = self.view
        m = view.p.market
        chips = min(view.compute_chip_price_usd_b_per_gw(d) for d in ("Nvidia", "AMD"))
        own = chips / m.chip_life_years + m.facility_cost_usd_b_per_gw_year
        return min(view.lease_price_usd_b_per_gw_year, own)

    def compute_target_compute_gw(self, step: int) -> float:
        """Compute the lab plans to have at `step`, GW: its profit-maximising quantity, at most
        its stated ambition (`compute_ambition_gw`).

        Rule: the Cournot quantity against users' demand expected at `step` (the reference
        path x today's demand index) with the fringe labs' expected compute as rivals, at the
        marginal cost of compute (`world.frontier.compute_cournot_compute_gw`). A weaker
        demand or dearer compute lowers it.
        """
        view = self.view
        demand = view.p.demand
        idx = view.start_idx + step
        ambition = self.compute_ambition_gw(step)
        return compute_cournot_compute_gw(
            view.compute_ai_demand_gw(idx),
            view.compute_fringe_lab_gw(idx),
            demand.frontier_price_usd_b_per_gw_year,
            demand.frontier_elasticity,
            self.compute_compute_cost_usd_b_per_gw_year(),
            ambition,
        )

    def compute_chip_need_gw(self, supply_deals) -> float:
        """Open chip orders it needs in all, GW (`agents.cloud.compute_chip_need_gw`)."""
        return compute_chip_need_gw(self, supply_deals)

    def update_seek_compute(self) -> None:
        """Every `search_every_months`, seek deals to close the gap between its target compute
        (`compute_target_compute_gw`) and secured capacity `SEARCH_HORIZON_MONTHS` ahead
        (blocks of at most `MAX_DEAL_GW`).

        The search starts after the last dated announcement of the scenario (docs/odd.md: history
        is replayed, then firms seek deals on their own).
        """
        view = self.view
        neg = view.p.negotiation
        if view.t % neg.search_every_months or view.now_idx <= view.last_event_idx:
            return
        ahead = view.t + SEARCH_HORIZON_MONTHS
        pending = sum(
            d.gw
            for d in view.live_deals()
            if d.target == self.name
            and d.status in (DealStatus.PROPOSED, DealStatus.LOI)
            and d.kind in (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY)
        )
        target = self.compute_target_compute_gw(ahead)
        gap = target - self.compute_forward_capacity_gw(ahead) - pending
        if gap < 0.25:
            return
        dealmaking.seek_compute(self, min(gap, MAX_DEAL_GW))

    def update_build(self) -> None:
        """Build own datacenters for the chips it has bought or contracted."""
        view = self.view
        undelivered = sum(
            view.compute_undelivered_gw(d, within_months=BUILD_AHEAD_MONTHS)
            for d in view.live_deals()
            if d.kind is DealKind.SUPPLY and d.target == self.name and d.status is DealStatus.ACTIVE
        )
        target = self.installed_total_gw + undelivered
        update_build_to_target(self, target)

    def compute_gross_margin(self) -> float:
        """Labs sell no inputs to other labs."""
        return 0.0

    def compute_urgency_discount(self) -> float:
        """Discount factor in negotiations, lower when the compute gap is large (urgency)."""
        ahead = self.view.t + SEARCH_HORIZON_MONTHS
        want = max(self.compute_ambition_gw(ahead), 1e-6)
        gap_frac = max(0.0, 1.0 - self.compute_forward_capacity_gw(ahead) / want)
        return self.p.discount_factor * math.exp(-0.1 * gap_frac)

    def step(self) -> None:
        """Monthly: pay opex, debt, raise money if short, seek compute, build."""
        self.update_opex()
        self.update_funding()
        self.update_debt()
        self.update_seek_compute()
        self.update_build()
