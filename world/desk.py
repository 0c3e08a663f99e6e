"""The desk: where firms' decisions are checked and applied to the components that own them.

A firm never writes to a component. It reads the market through `world.view.MarketView`,
states what it decides as a record of `world.decisions`, and submits it here with its name.
The desk checks that the firm may decide it (it pays from its own account, plans on a site
nobody else holds, draws debt within its capacity, is a party to the deal it opens or ends)
and applies it at once to the owning component: the ledger, the capital market, the site pool
and fleet, the deal book and network, the stake registry, a docking case's textbook market.
Decisions are applied in the order submitted, so a firm's later reasoning in the same month
sees the effect of its earlier decisions. A decision a firm may not take is a bug in the
firm's rule, not a user's mistake: it raises `DecisionRefused`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from world.capital import CapitalMarket
from world.contracts import TERMINAL, Deal, DealBook, DealStatus
from world.datacenters import Fleet
from world.decisions import (
    Appraise,
    Decision,
    Dilute,
    DrawDebt,
    EndDeal,
    OpenDeal,
    Pay,
    PlanDatacenter,
    RaiseEquity,
    SetQuantity,
    SetRetailPrice,
    SettleBargain,
    SetWholesalePrice,
)
from world.ledger import FlowKind, Ledger
from world.network import DealNetwork
from world.sites import FREE, SitePool
from world.stakes import StakeRegistry

OUTSIDE_PAYERS = frozenset({"Customers", "Suppliers"})
"""Outside accounts whose payments to a firm the firm itself books (its sales, refunds). Money
from lenders and outside investors comes only through `DrawDebt` and `RaiseEquity`, so it
stays within the debt capacity and the outside-equity pool."""

FIRM_OPENS = frozenset({DealStatus.LOI, DealStatus.DEFINITIVE})
"""Statuses a firm may open a deal in; a failed negotiation's record may also be opened
`abandoned` off the network."""

DEBT_TOLERANCE_USD_B = 1e-9
"""Rounding allowed above a firm's debt capacity when it draws debt, USD B."""


class Clock(Protocol):
    """Anything that knows the current step (the model)."""

    t: int


class DecisionRefused(RuntimeError):
    """A firm submitted a decision it may not take (an internal error of its rule)."""


class Desk:
    """Applies firms' decisions to the components that own the state (module docstring).

    Args:
        ledger, capital, sites, fleet, deals, network, stakes: the model's components.
        firms: name -> firm (read for debt capacity; filled once the firms exist).
        firm_index: name -> owner code of the site pool and fleet.
        clock: holds the current step (month) as `t`: the model.
        negotiation_rounds: deal id -> rounds of offers, written when a negotiated deal opens.
        textbook: a docking case's textbook market, or None.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        capital: CapitalMarket,
        sites: SitePool,
        fleet: Fleet,
        deals: DealBook,
        network: DealNetwork,
        stakes: StakeRegistry,
        firms: Mapping[str, Any],
        firm_index: Mapping[str, int],
        clock: Clock,
        negotiation_rounds: dict[str, int],
        textbook: Any = None,
    ) -> None:
        self.ledger, self.capital, self.sites, self.fleet = ledger, capital, sites, fleet
        self.deals, self.network, self.stakes = deals, network, stakes
        self.firms, self.firm_index, self.clock = firms, firm_index, clock
        self.negotiation_rounds = negotiation_rounds
        self.textbook = textbook
        self._apply: dict[type, Callable[[Any, str | None], Any]] = {
            Pay: self._pay, DrawDebt: self._draw_debt, Appraise: self._appraise,
            RaiseEquity: self._raise_equity,
            Dilute: self._dilute, PlanDatacenter: self._plan, OpenDeal: self._open_deal,
            EndDeal: self._end_deal, SetQuantity: self._set_quantity,
            SetWholesalePrice: self._set_wholesale, SetRetailPrice: self._set_retail,
            SettleBargain: self._settle_bargain,
        }

    def submit(self, decision: Decision, by: str | None) -> Any:
        """Check `decision` taken by firm `by` and apply it now; returns what the owning
        component returns (the new `Deal`, the equity actually raised, ...).

        `by` None is the market itself (the model's phases, the scenario's dated
        announcements): no firm's permissions apply.

        Raises:
            DecisionRefused: the firm may not take this decision.
        """
        if type(decision) is Pay:  # most decisions are payments: no lookup for them
            return self._pay(decision, by)
        apply = self._apply.get(type(decision))
        if apply is None:
            raise DecisionRefused(f"{by}: {decision!r} is not a decision the desk applies")
        return apply(decision, by)

    # ----- checks ------------------------------------------------------------------------------
    @staticmethod
    def _check_self(firm: str, by: str | None, what: str) -> None:
        if by is not None and by != firm:
            raise DecisionRefused(f"{by} may not {what} for {firm}")

    # ----- money -------------------------------------------------------------------------------
    def _pay(self, d: Pay, by: str | None) -> None:
        if by is not None and d.payer != by and not (d.payer in OUTSIDE_PAYERS and d.payee == by):
            raise DecisionRefused(
                f"{by} may not pay {d.amount_usd_b} from {d.payer}'s account to {d.payee}"
            )
        self.ledger.transfer(self.clock.t, d.payer, d.payee, d.amount_usd_b, d.kind, d.deal_id)

    def _appraise(self, d: Appraise, by: str | None) -> float:
        self._check_self(d.firm, by, "ask for an appraisal of")
        return self.capital.update_appraise(self.firms[d.firm], d.revenue_usd_b_per_year,
                                            d.growth_per_year)

    def _draw_debt(self, d: DrawDebt, by: str | None) -> float:
        self._check_self(d.firm, by, "draw debt")
        capacity = self.capital.compute_debt_capacity_of(self.firms[d.firm])
        if d.amount_usd_b > capacity + DEBT_TOLERANCE_USD_B:
            raise DecisionRefused(
                f"{d.firm} may not draw {d.amount_usd_b} USD B of debt: capacity {capacity}"
            )
        self.ledger.transfer(self.clock.t, "Lenders", d.firm, d.amount_usd_b, FlowKind.DEBT_DRAW)
        return d.amount_usd_b

    def _raise_equity(self, d: RaiseEquity, by: str | None) -> float:
        self._check_self(d.firm, by, "raise equity")
        taken = self.capital.update_take_equity(d.firm, d.ask_usd_b)
        if taken > 0:
            self.ledger.transfer(self.clock.t, "Investors", d.firm, taken, FlowKind.FUNDING_ROUND)
        return taken

    def _dilute(self, d: Dilute, by: str | None) -> None:
        self._check_self(d.firm, by, "issue shares")
        if not 0.0 <= d.fraction <= 1.0:
            raise DecisionRefused(f"{d.firm}: dilution fraction {d.fraction} outside [0, 1]")
        self.stakes.update_dilute(d.firm, d.fraction)

    # ----- datacenters -------------------------------------------------------------------------
    def _plan(self, d: PlanDatacenter, by: str | None) -> int:
        self._check_self(d.owner, by, "plan a datacenter")
        owner = self.firm_index[d.owner]
        held = int(self.sites.owner[d.site])
        if held not in (FREE, owner):
            raise DecisionRefused(f"{d.owner} may not plan on site {d.site}: it is held")
        free_gw = float(self.sites.grid_power_gw[d.site] - self.sites.used_gw[d.site])
        if not 0.0 < d.gw <= free_gw + 1e-12:
            raise DecisionRefused(
                f"{d.owner} may not plan {d.gw} GW on site {d.site}: {free_gw} GW free"
            )
        self.sites.acquire(d.site, owner)
        return self.fleet.plan(d.site, owner, d.gw, self.clock.t, self.sites)

    # ----- deals -------------------------------------------------------------------------------
    def _open_deal(self, d: OpenDeal, by: str | None) -> Deal:
        if by is not None and by not in (d.source, d.target):
            raise DecisionRefused(f"{by} may not open a deal between {d.source} and {d.target}")
        if by is not None and d.status not in FIRM_OPENS and not (
                d.status is DealStatus.ABANDONED and not d.on_network):
            raise DecisionRefused(
                f"{by} may not open a deal as {d.status}: a firm proposes (letter of intent or "
                "definitive agreement); diligence, review and execution move it on")
        deal = self.deals.update_open(d.kind, d.source, d.target, d.status, self.clock.t,
                                      d.origin, d.terms, d.deal_id, d.id_prefix)
        if d.on_network:
            self.network.update_add_deal(deal)
        if d.rounds is not None:
            self.negotiation_rounds[deal.deal_id] = d.rounds
        return deal

    def _end_deal(self, d: EndDeal, by: str | None) -> Deal:
        deal = self.deals.get(d.deal_id)
        if by is not None and by not in (deal.source, deal.target):
            raise DecisionRefused(f"{by} is not a party to deal {d.deal_id}")
        if not deal.is_live:
            raise DecisionRefused(f"deal {d.deal_id} has already ended ({deal.status})")
        if d.status not in TERMINAL:
            raise DecisionRefused(f"ending deal {d.deal_id} needs an end status, not {d.status}")
        deal.update_status(d.status, self.clock.t)
        self.network.update_remove_deal(deal.deal_id)
        return deal

    # ----- a docking case's textbook market ----------------------------------------------------
    def _market(self, by: str | None, firms: tuple[str, ...], what: str) -> Any:
        if self.textbook is None:
            raise DecisionRefused(f"{by}: no textbook market to {what} in")
        if by is not None and by not in firms:
            raise DecisionRefused(f"{by} may not {what} in this market")
        return self.textbook

    def _set_quantity(self, d: SetQuantity, by: str | None) -> None:
        self._check_self(d.firm, by, "set a quantity")
        market = self._market(by, tuple(self.textbook.sellers if self.textbook else ()),
                              "set a quantity")
        market.update_quantity(d.firm, d.gw)

    def _set_wholesale(self, d: SetWholesalePrice, by: str | None) -> None:
        self._check_self(d.firm, by, "set a wholesale price")
        market = self._market(by, tuple(self.textbook.sellers[:1] if self.textbook else ()),
                              "set the wholesale price")
        market.update_wholesale(d.price_usd)

    def _set_retail(self, d: SetRetailPrice, by: str | None) -> None:
        self._check_self(d.firm, by, "set a retail price")
        market = self._market(by, (self.textbook.buyer,) if self.textbook else (),
                              "set the retail price")
        market.update_retail(d.price_usd)

    def _settle_bargain(self, d: SettleBargain, by: str | None) -> None:
        self._check_self(d.firm, by, "settle a bargain")
        market = self._market(by, tuple(self.textbook.sellers[:1] if self.textbook else ()),
                              "settle the bargain")
        market.update_contract(d.quantity, d.price)
