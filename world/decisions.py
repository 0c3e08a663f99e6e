"""What a firm can decide: small frozen records it hands to the desk (`world.desk.Desk`).

A firm reads the market through `world.view.MarketView` and never writes to a component: it
states a decision and submits it, and the desk checks it and applies it to the component that
owns the state (docs/odd.md, "Decisions and the desk"). Each record says what it asks, in
which unit, and who applies it. Amounts are USD B, power GW, sites are row indices of the
site pool.

The records are immutable named tuples (a firm submits some 1,700 a run; a named tuple is
built in a third of the time of a frozen dataclass). The desk dispatches on the record's type.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from world.contracts import DealStatus
from world.ledger import FlowKind
from world.params import DealKind


class Pay(NamedTuple):
    """Move `amount_usd_b` from `payer`'s ledger account to `payee`'s (USD B).

    A firm pays from its own account, or books money an outside party (customers, investors,
    lenders, suppliers) pays it. Applied by the ledger (`world.ledger.Ledger.transfer`); money
    is conserved. The firm counts it in its own revenue or costs.
    """

    payer: str
    payee: str
    amount_usd_b: float
    kind: FlowKind
    deal_id: str = ""


class DrawDebt(NamedTuple):
    """Draw `amount_usd_b` of debt from the lenders into `firm`'s account (USD B), at most its
    debt capacity (`world.capital.CapitalMarket.compute_debt_capacity_of`). Applied by the
    ledger; the firm adds it to its own debt."""

    firm: str
    amount_usd_b: float


class Appraise(NamedTuple):
    """Ask investors what `firm`'s equity is worth (USD B) on `revenue_usd_b_per_year` growing
    as they expect after seeing `growth_per_year` (`world.capital.CapitalMarket.update_appraise`).
    Not a pure read: the growth the firm shows is noted by investors and moves their belief
    when the month closes, so it goes through the desk. Returns the value."""

    firm: str
    revenue_usd_b_per_year: float
    growth_per_year: float


class RaiseEquity(NamedTuple):
    """Ask outside investors for `ask_usd_b` of new equity in `firm` (USD B). The capital
    market fills it as far as its outside-equity pool allows
    (`world.capital.CapitalMarket.update_take_equity`) and the ledger books what came in; the
    desk returns that amount."""

    firm: str
    ask_usd_b: float


class Dilute(NamedTuple):
    """`firm` issues new shares worth `fraction` of its post-money equity (0-1) to outside
    investors: every existing holder is diluted (`world.stakes.StakeRegistry.update_dilute`)."""

    firm: str
    fraction: float


class PlanDatacenter(NamedTuple):
    """`owner` takes the free site `site` and plans a `gw` GW datacenter on it this month.
    Applied by the site pool (`world.sites.SitePool.acquire`) and the fleet
    (`world.datacenters.Fleet.plan`), which schedules permits, construction and power."""

    owner: str
    site: int
    gw: float


class OpenDeal(NamedTuple):
    """Enter a deal of `kind` between `source` (seller, investor) and `target` (buyer,
    investee) in the deal book at `status`, dated this month, and put it on the deal network
    unless `on_network` is False (a record of a failed negotiation). Applied by the deal book
    (`world.contracts.DealBook`) and the network (`world.network.DealNetwork`); the desk
    returns the new `Deal`.

    Attributes:
        terms: the `Deal` fields beyond the parties and status (gw, value_usd_b, ...).
        deal_id: a given id (a dated announcement's); '' takes the book's next id.
        id_prefix: prefix of that next id; '' uses the kind's first three letters.
        origin: 'endogenous' (struck by the firms) or 'event' (a dated announcement); ''
            leaves the deal's default.
        rounds: rounds of offers the negotiation took, recorded with the deal (None: not
            negotiated in the model).
    """

    kind: DealKind
    source: str
    target: str
    status: DealStatus
    terms: Mapping[str, Any] = MappingProxyType({})
    deal_id: str = ""
    id_prefix: str = ""
    origin: str = "endogenous"
    rounds: int | None = None
    on_network: bool = True


class EndDeal(NamedTuple):
    """Take the live deal `deal_id` off the network with the terminal status `status` (e.g.
    renegotiated into a new deal). Applied by the deal (`Deal.update_status`) and the
    network."""

    deal_id: str
    status: DealStatus


class SetQuantity(NamedTuple):
    """A seller's quantity this month in a docking case's Cournot market, GW
    (`world.textbook.TextbookMarket.update_quantity`)."""

    firm: str
    gw: float


class SetWholesalePrice(NamedTuple):
    """The upstream seller's wholesale price in a docking case's vertical chain, USD per unit
    (`world.textbook.TextbookMarket.update_wholesale`)."""

    firm: str
    price_usd: float


class SetRetailPrice(NamedTuple):
    """The downstream buyer's resale price in a docking case's vertical chain, USD per unit
    (`world.textbook.TextbookMarket.update_retail`)."""

    firm: str
    price_usd: float


class SettleBargain(NamedTuple):
    """What the pair of a docking case's bargaining market agreed: the seller's sale (GW, or
    one contract) at a price (or its payoff), zeros on no agreement
    (`world.textbook.TextbookMarket.update_contract`)."""

    firm: str
    quantity: float
    price: float


Decision = (
    Pay | DrawDebt | Appraise | RaiseEquity | Dilute | PlanDatacenter | OpenDeal | EndDeal
    | SetQuantity | SetWholesalePrice | SetRetailPrice | SettleBargain
)
"""Every decision a firm can submit."""
