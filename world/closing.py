"""Deal closing: the rules that carry out what the parties and the regulator decided.

The firms decide whether to sign, the investor or seller decides after due diligence and the
regulator decides on a review (`agents.pipeline`, `agents.regulator`); this component carries
the decisions out: a deal's status, its edge in the deal network, the stakes its terms create
and the money they move (docs/odd.md 'Deal pipeline'). The other writers of a deal's status
are the firms' desk (`EndDeal`: a party ends a deal it renegotiates), the chip market's phase
(supply deals delivered in full complete) and the capital market (a buyer in distress
renegotiates or defaults):

- one-off equity: paid once at post-money max(valuation, value), shares issued to the investor
  (`StakeRegistry.update_issue`), within the equity cap;
- milestone equity: tranche k is paid when the investee has deployed k x gw_per_tranche GW of
  the investor's chips since signing (facts.toml D1: $10B per GW), at the current valuation,
  and the investee's commitment to buy the investor's systems opens as a binding supply deal;
- warrants: vest pro rata per milestone (facts.toml D2), the holder paying the nominal strike;
- a lease completes when its term has run;
- remedies: conditions (no exclusivity, the upstream supplier serves rivals on equal terms:
  `equal_access`, read by the chip market's deliveries), a blocked or capped investment in a
  lab's round refilled by outside investors within the capital market's pool, and the equity
  cap (the part of an investment above it is not made).

Money moves through one method, `_book`, which books the ledger transfer and, when asked, the
firms' month revenue and cost tallies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from world.capital import CapitalMarket
from world.contracts import Deal, DealBook, DealStatus, Tranche
from world.ledger import FlowKind, Ledger
from world.network import DealNetwork
from world.params import DealKind
from world.policy import Policy, compute_capped_amount
from world.stakes import StakeRegistry
from world.view import MarketView

LINKED_SUPPLY_MONTHS = 48
"""Delivery period of the chips tied to a milestone investment (facts.toml D1: 10 GW, first GW
in H2 2026, one GW per tranche)."""

WARRANT_STRIKE_USD_B = 160e6 * 0.01 / 1e9
"""Strike paid for AMD's 160M-share warrant at $0.01 a share (facts.toml D2), USD B."""

OUTSIDE_INVESTORS = "Investors"
"""The ledger account of outside equity investors."""


class DealClosing:
    """Carries out deals' terms and the regulator's remedies (module docstring).

    Args:
        deals, network, stakes, ledger, capital, policy: the components it writes (the deal
            book, the deal network, the stake registry, the ledger, the capital market's
            outside-equity pool, the parties' memory of blocked deals).
        view: read-only market view (the current step, valuations, deployed GW, list
            prices, roles).
        firms: the firms by name, for their month revenue and cost tallies in `_book` only.
    """

    def __init__(self, deals: DealBook, network: DealNetwork, stakes: StakeRegistry,
                 ledger: Ledger, capital: CapitalMarket, policy: Policy, view: MarketView,
                 firms: Mapping[str, Any]) -> None:
        self.deals, self.network, self.stakes = deals, network, stakes
        self.ledger, self.capital, self.policy = ledger, capital, policy
        self.view, self.firms = view, firms
        self.equal_access: set[str] = set()
        """Chip designers under a supply-to-rivals condition (read by the chip market)."""
        self.deploy_baseline: dict[str, float] = {}
        """Milestone deal id -> the holder's GW of the issuer's chips deployed at its first
        execution (progress towards milestones counts from there)."""

    # ----- money ---------------------------------------------------------------------------
    def _book(self, payer: str, payee: str, amount_usd_b: float, kind: FlowKind,
              deal_id: str = "", revenue: bool = False, cost: bool = False) -> None:
        """Move `amount_usd_b` from `payer` to `payee` in the ledger (nothing if <= 0); count it
        in the payee's month revenue (`revenue`) and the payer's month costs (`cost`)."""
        if amount_usd_b <= 0:
            return
        self.ledger.transfer(self.view.t, payer, payee, amount_usd_b, kind, deal_id)
        if revenue and payee in self.firms:
            self.firms[payee].update_count_revenue(amount_usd_b)
        if cost and payer in self.firms:
            self.firms[payer].update_count_cost(amount_usd_b)

    # ----- the deal record -----------------------------------------------------------------
    def update_open(self, kind: DealKind, source: str, target: str, status: DealStatus,
                    origin: str = "endogenous", **terms: Any) -> Deal:
        """Enter a deal in the book and on the network, dated now (id from `DealBook.next_id`
        unless `deal_id` is given)."""
        deal_id = terms.pop("deal_id", "")
        deal = self.deals.update_open(kind, source, target, status, self.view.t, origin, terms,
                                      deal_id)
        self.network.update_add_deal(deal)
        return deal

    def update_deal_status(self, deal: Deal, status: DealStatus) -> None:
        """Move a live deal to `status` now (`Deal.update_status` checks the transition)."""
        deal.update_status(status, self.view.t)

    def update_close(self, deal: Deal, status: DealStatus) -> None:
        """End a deal (completed, abandoned, renegotiated): its status, and it leaves the
        network."""
        deal.update_status(status, self.view.t)
        self.network.update_remove_deal(deal.deal_id)

    def update_block(self, deal: Deal) -> None:
        """Carry out a block: the deal leaves the network, the parties remember it
        (`Policy.update_add_block`: they stop proposing the same kind of deal to each other),
        and a blocked investment in a lab's round is left to its outside investors."""
        deal.update_status(DealStatus.BLOCKED, self.view.t)
        self.network.update_remove_deal(deal.deal_id)
        self.policy.update_add_block(deal.kind, deal.source, deal.target)
        self.update_refill_round(deal)

    def update_initial_position(self, deal: Deal) -> None:
        """A pre-start announcement is signed at step 0; a one-off stake is already held (set
        in the registry, no money moved: it is in the opening balances) and the deal closes."""
        deal.step_signed = self.view.t
        if (deal.kind in (DealKind.EQUITY, DealKind.WARRANT) and deal.equity_pct
                and not deal.tranches):
            self.stakes.update_set(deal.source, deal.target, deal.equity_pct / 100.0,
                                   deal.voting)
            self.update_close(deal, DealStatus.COMPLETED)

    # ----- execution -----------------------------------------------------------------------
    def update_execute(self, deal: Deal) -> None:
        """Carry out the money and stake terms of an active deal (module docstring). Supply
        and cloud deals are executed by the markets; a lease completes when its term has run,
        a supply deal when delivered (the chip market)."""
        if deal.kind is DealKind.EQUITY and not deal.tranches:
            self._execute_one_off_equity(deal)
        elif deal.kind in (DealKind.EQUITY, DealKind.WARRANT):
            self._execute_milestones(deal)
        elif (
            deal.kind is DealKind.CLOUD_CAPACITY
            and deal.duration_months
            and self.view.t >= deal.start_step + deal.duration_months
        ):
            self.update_close(deal, DealStatus.COMPLETED)

    def _execute_one_off_equity(self, deal: Deal) -> None:
        """Pay a one-off investment at post-money max(valuation, value), within the equity
        cap; outside investors take the part above the cap."""
        investor, investee = deal.source, deal.target
        post = max(deal.valuation_usd_b or self.view.compute_valuation_usd_b(investee),
                   deal.value_usd_b)
        paid = self.compute_capped_amount(investor, investee, deal.value_usd_b, post)
        self._book(investor, investee, paid, FlowKind.EQUITY_INVESTMENT, deal.deal_id)
        if paid > 0:
            self.stakes.update_issue(investor, investee, paid, post, deal.voting)
        if paid < deal.value_usd_b:  # the equity cap binds: outside investors take the rest
            self.update_refill_round(deal, deal.value_usd_b - paid)
        self.update_close(deal, DealStatus.COMPLETED)

    def _execute_milestones(self, deal: Deal) -> None:
        """Pay or vest every tranche whose GW milestone the holder has reached since its first
        execution; complete the deal once all are done. The holder deploying chips is the
        investee of an equity deal and the holder (target) of a warrant; the chips are the
        source's."""
        holder, issuer = deal.target, deal.source
        if (deal.deal_id not in self.deploy_baseline and deal.kind is DealKind.EQUITY
                and deal.gw > 0):
            self._open_linked_supply(deal)
        base = self.deploy_baseline.setdefault(
            deal.deal_id, self.view.compute_deployed_gw_of(holder, issuer)
        )
        progress = self.view.compute_deployed_gw_of(holder, issuer) - base
        for tranche in deal.tranches:
            if tranche.paid_step is not None or progress + 1e-9 < tranche.milestone_gw:
                continue
            tranche.paid_step = self.view.t
            if deal.kind is DealKind.EQUITY:
                self._pay_equity_tranche(deal, tranche)
            else:
                self._vest_warrant_tranche(deal)
        if all(t.paid_step is not None for t in deal.tranches):
            self.update_close(deal, DealStatus.COMPLETED)

    def _pay_equity_tranche(self, deal: Deal, tranche: Tranche) -> None:
        """One milestone payment at the investee's current valuation, within the equity cap."""
        investor, investee = deal.source, deal.target
        post = self.view.compute_valuation_usd_b(investee) + tranche.amount_usd_b
        paid = self.compute_capped_amount(investor, investee, tranche.amount_usd_b, post)
        self._book(investor, investee, paid, FlowKind.EQUITY_INVESTMENT, deal.deal_id)
        if paid > 0:
            self.stakes.update_issue(investor, investee, paid, post, deal.voting)

    def _vest_warrant_tranche(self, deal: Deal) -> None:
        """One tranche of a warrant vests to the holder (the target) in the issuer (the
        source), within the equity cap; the holder pays its share of the nominal strike."""
        holder, issuer = deal.target, deal.source
        n = len(deal.tranches)
        frac = self.compute_capped_fraction(holder, issuer, deal.equity_pct / 100.0 / n)
        if frac > 0:
            self.stakes.update_grant(holder, issuer, frac, deal.voting)
        self._book(holder, issuer, WARRANT_STRIKE_USD_B / n, FlowKind.WARRANT, deal.deal_id)

    def _open_linked_supply(self, deal: Deal) -> None:
        """A milestone investment comes with the investee's commitment to buy the investor's
        systems (facts.toml D1: '>= 10 GW of Nvidia systems'): a binding supply deal of the
        deal's GW at the vendor's list price over `LINKED_SUPPLY_MONTHS`."""
        price = self.view.compute_list_price_usd_b_per_gw(deal.source)
        child = self.update_open(
            DealKind.SUPPLY, deal.source, deal.target, DealStatus.ACTIVE,
            origin=deal.origin, binding=True, parent_id=deal.deal_id, gw=deal.gw,
            price_usd_b_per_gw=price, value_usd_b=price * deal.gw,
            duration_months=LINKED_SUPPLY_MONTHS, start_step=max(deal.start_step, self.view.t),
        )
        child.step_signed = self.view.t

    # ----- remedies and caps ---------------------------------------------------------------
    def update_apply_conditions(self, deal: Deal, upstream: str) -> None:
        """The behavioural remedy (2023 Merger Guidelines guideline 5; FTC/DOJ consent
        practice): the deal loses any exclusivity (its network edge is rebuilt) and `upstream`
        must serve rivals on equal terms: its contracted deliveries lose their priority over
        open orders (`world.clearing.compute_rationing` with `equal_access`)."""
        if deal.exclusive:
            deal.exclusive = False
            self.network.update_remove_deal(deal.deal_id)
            self.network.update_add_deal(deal)
        if upstream:
            self.equal_access.add(upstream)

    def update_refill_round(self, deal: Deal, amount_usd_b: float | None = None) -> float:
        """Outside investors take a blocked (or capped) strategic investment in a lab's round.

        Applies to one-off equity investments in a lab (no milestone tranches): the lab
        receives `amount_usd_b` (default: the deal's value) from outside investors as far as
        the capital market's outside-equity pool allows (`CapitalMarket.update_take_equity`);
        they get the matching new shares at the deal's post-money valuation (every holder
        diluted). Returns what they put in, USD B (never more than the pool held).
        """
        lab = deal.target
        if (deal.kind is not DealKind.EQUITY or deal.tranches
                or self.view.compute_role(lab) != "lab"):
            return 0.0
        amount = deal.value_usd_b if amount_usd_b is None else amount_usd_b
        amount = self.capital.update_take_equity(lab, amount)  # outside money is finite
        if amount <= 0:
            return 0.0
        post = max(deal.valuation_usd_b or self.view.compute_valuation_usd_b(lab), amount)
        self._book(OUTSIDE_INVESTORS, lab, amount, FlowKind.FUNDING_ROUND, deal.deal_id)
        self.stakes.update_dilute(lab, min(1.0, amount / post))
        return amount

    def compute_capped_amount(self, owner: str, firm: str, amount_usd_b: float,
                              post_usd_b: float) -> float:
        """Part of an investment that keeps `owner`'s stake in `firm` within the equity cap
        (`world.policy.compute_capped_amount`), USD B."""
        allowed = self.policy.compute_allowed_fraction(self.stakes.compute_stake(owner, firm))
        return compute_capped_amount(allowed, amount_usd_b, post_usd_b)

    def compute_capped_fraction(self, owner: str, firm: str, frac: float) -> float:
        """Largest part of a grant of `frac` (post-issue fraction) within the equity cap."""
        allowed = self.policy.compute_allowed_fraction(self.stakes.compute_stake(owner, firm))
        return max(0.0, min(frac, allowed))
