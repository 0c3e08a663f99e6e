"""Market-power metrics recorded each month beside HHI and MHHI (docs/antitrust.md).

Read-only views of the model (`compute_*`), used by `world.recorder`:

- foreclosure share: the part of a market's quantity this month delivered under contracts that
  are exclusive or vendor-financed (the seller holds equity in the buyer, or the contract is
  tied to the seller's investment); the share of demand rivals cannot contest (2023 Merger
  Guidelines, guideline 5 and 6 'foreclosure share'; Salinger 1988 on vertical foreclosure).
- allocation to unaffiliated buyers: GW and average price paid by buyers with no equity link
  (either way) to their seller, the test of discrimination against rivals of an affiliate.
- compute price per PFLOP/s: the user-side outcome (thousands of dollars per dense PFLOP/s;
  accelerators: purchase price; cloud: a year of leased capacity).
- capacity reaching the fringe (the labs and buyers outside the six firms): accelerator GW
  delivered to them this month and since the start; cloud GW leased to other tenants plus
  fringe clouds.
- circularity of a seller: cumulative money it invested in its buyers that came back as their
  payments to it, over its cumulative AI sales (chip and cloud payments). Per buyer the
  circular part is min(invested in the buyer, received from the buyer), an upper bound.
"""

from __future__ import annotations

import math
from typing import Any

from world.catalog import pflops_per_gw
from world.contracts import DealStatus
from world.ledger import FlowKind
from world.params import DealKind, EventKind, month_index

USD_K_PER_USD_B = 1e6
SALES = (FlowKind.CHIP_PAYMENT, FlowKind.CLOUD_PAYMENT)
FRINGE_BUYERS, OTHER_CLOUDS = "Other buyers", "Other clouds"


def is_affiliated(model: Any, seller: str, buyer: str) -> bool:
    """True if either firm holds equity in the other (outsiders are never affiliated)."""
    stakes = model.stakes
    if seller not in stakes.index or buyer not in stakes.index or seller == buyer:
        return seller == buyer
    return stakes.compute_stake(seller, buyer) > 0 or stakes.compute_stake(buyer, seller) > 0


def is_tied(model: Any, deal: Any) -> bool:
    """A contract is tied when exclusive or vendor-financed (seller holds equity in the buyer,
    or the contract comes with the seller's milestone investment)."""
    if deal.exclusive:
        return True
    if deal.source in model.stakes.index and deal.target in model.stakes.index:
        if deal.source != deal.target and model.stakes.compute_stake(deal.source, deal.target) > 0:
            return True
    if deal.parent_id:
        try:
            parent = model.deals.get(deal.parent_id)
        except KeyError:
            return False
        return parent.kind is DealKind.EQUITY and parent.source == deal.source
    return False


class StakeLinks:
    """`is_affiliated` per pair of firms and `is_tied` per contract, kept while the stake
    registry's holdings are unchanged: dropped when its `version` moves. A contract's
    exclusivity is read at each call (a remedy can lift it); what is kept is the rest of the
    rule, which reads the holdings and the contract's parent deal (a deal's kind, parties and
    parent never change once it is in the book; a parent not found is not kept)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._version = -1
        self._affiliated: dict[tuple[str, str], bool] = {}
        self._financed: dict[str, bool] = {}

    def update_version(self) -> None:
        """Drop what was kept if the holdings have changed since (every call does it)."""
        if self.model.stakes.version != self._version:
            self._affiliated, self._financed = {}, {}
            self._version = self.model.stakes.version

    def is_affiliated(self, seller: str, buyer: str) -> bool:
        """`is_affiliated(model, seller, buyer)`."""
        self.update_version()
        return self._is_affiliated(seller, buyer)

    def is_tied(self, deal: Any) -> bool:
        """`is_tied(model, deal)`."""
        self.update_version()
        return self._is_tied(deal)

    def _is_affiliated(self, seller: str, buyer: str) -> bool:
        hit = self._affiliated.get((seller, buyer))
        if hit is None:
            hit = self._affiliated[(seller, buyer)] = is_affiliated(self.model, seller, buyer)
        return hit

    def _is_tied(self, deal: Any) -> bool:
        if deal.exclusive:
            return True
        hit = self._financed.get(deal.deal_id)
        if hit is None:
            hit = is_tied(self.model, deal)
            if not deal.parent_id or deal.parent_id in self.model.deals:
                self._financed[deal.deal_id] = hit
        return hit


def compute_month_deliveries(deliveries: Any) -> dict[tuple[str, str, str], list[float]]:
    """A month's chip deliveries by (designer, buyer, deal id or ''): [GW, USD B paid], in
    delivery order; a designer's chips for itself, and deliveries without a finite price,
    pay nothing."""
    out: dict[tuple[str, str, str], list[float]] = {}
    for item in deliveries:
        key = (item.designer, item.buyer, item.deal_id)
        rec = out.get(key)
        if rec is None:
            rec = out[key] = [0.0, 0.0]
        rec[0] += item.gw
        if key[1] != key[0] and math.isfinite(item.price_usd_b_per_gw):
            rec[1] += item.gw * item.price_usd_b_per_gw
    return out


def compute_accelerator_power(
    model: Any, cum_fringe_gw: float, links: StakeLinks | None = None
) -> dict[str, float]:
    """Foreclosure share, unaffiliated GW and price, price per PFLOP/s and fringe GW of the
    accelerator market this month (`compute_month_deliveries`, in key order). `links`: a
    `StakeLinks` of the model kept between months."""
    links = StakeLinks(model) if links is None else links
    links.update_version()
    total = tied = un_gw = un_usd = usd = pflops = fringe = 0.0
    per_gw: dict[str, float | None] = {}  # pflops_per_gw of each designer's newest product
    catalog, now_idx, get_deal = model.catalog, model.now_idx, model.deals.get
    for (designer, buyer, deal_id), (gw, paid) in sorted(
        compute_month_deliveries(model.chips.deliveries).items()
    ):
        if designer == buyer:
            continue
        total += gw
        usd += paid
        if designer not in per_gw:
            product = catalog.latest(designer, now_idx)
            per_gw[designer] = pflops_per_gw(product) if product is not None else None
        if paid > 0 and per_gw[designer] is not None:
            pflops += gw * per_gw[designer]
        if deal_id and links._is_tied(get_deal(deal_id)):
            tied += gw
        if not links._is_affiliated(designer, buyer):
            un_gw += gw
            un_usd += paid
        if buyer == FRINGE_BUYERS:
            fringe += gw
    return {
        "foreclosure_share": tied / total if total > 0 else 0.0,
        "unaffiliated_gw": un_gw,
        "unaffiliated_price": un_usd / un_gw if un_gw > 0 else None,
        "price_usd_k_per_pflops": usd / pflops * USD_K_PER_USD_B if pflops > 0 else None,
        "fringe_gw": fringe,
        "fringe_cum_gw": cum_fringe_gw + fringe,
    }


def compute_cloud_power(
    model: Any, total_gw: float, fringe_cloud_gw: float, links: StakeLinks | None = None
) -> dict[str, float]:
    """The same metrics for the cloud market: leases under contracts (`leased_by_deal`) and to
    other tenants (`other_tenant_gw`, at the market lease price)."""
    links = StakeLinks(model) if links is None else links
    tied = un_gw = un_usd = 0.0
    for deal_id, gw in sorted(model.leased_by_deal.items()):
        deal = model.deals.get(deal_id)
        if links.is_tied(deal):
            tied += gw
        if not links.is_affiliated(deal.source, deal.target):
            un_gw += gw
            un_usd += gw * deal.price_usd_b_per_gw
    others = sum(model.other_tenant_gw.values())
    price = model.cloud_price_usd_b_per_gw_year
    un_gw += others
    un_usd += others * price
    nvidia = model.catalog.latest("Nvidia", model.now_idx)
    per_pflops = price / pflops_per_gw(nvidia) * USD_K_PER_USD_B if nvidia is not None else None
    fringe = others + fringe_cloud_gw
    return {
        "foreclosure_share": min(1.0, tied / total_gw) if total_gw > 0 else 0.0,
        "unaffiliated_gw": un_gw,
        "unaffiliated_price": un_usd / un_gw if un_gw > 0 else None,
        "price_usd_k_per_pflops": per_pflops,
        "fringe_gw": fringe,
        "fringe_cum_gw": None,
    }


def compute_pre_start_invested(model: Any) -> dict[tuple[str, str], float]:
    """Equity money invested before the run (dated announcements before the start), by
    (investor, investee): the opening balances hold it, the ledger does not."""
    out: dict[tuple[str, str], float] = {}
    for ev in model.events:
        if (
            ev.kind is EventKind.DEAL
            and ev.deal_kind is DealKind.EQUITY
            and month_index(ev.date) < model.start_idx
        ):
            key = (ev.source_firm, ev.target_firm)
            out[key] = out.get(key, 0.0) + ev.value_usd_b
    return out


def compute_circularity(
    model: Any, seller: str, pre_start: dict[tuple[str, str], float], other_sales_usd_b: float
) -> tuple[float, float]:
    """(circular USD B, circularity in [0, 1]) of `seller` so far (module docstring).

    `other_sales_usd_b`: AI sales the ledger books as plain revenue (a cloud's leases to
    tenants outside the model), added to the chip and cloud payments received. A seller that
    never invested in anyone has (0, 0) whatever its sales (its sales are not added up).
    """
    ledger = model.ledger
    if ledger.compute_paid_usd_b(seller, FlowKind.EQUITY_INVESTMENT) <= 0 and not any(
        investor == seller for investor, _ in pre_start
    ):
        return 0.0, 0.0
    sales = other_sales_usd_b + ledger.compute_received_usd_b(seller, SALES)
    circular = 0.0
    for buyer in model.firm_names:
        if buyer == seller:
            continue
        invested = ledger.compute_cumulative(
            seller, buyer, FlowKind.EQUITY_INVESTMENT
        ) + pre_start.get((seller, buyer), 0.0)
        if invested <= 0:
            continue
        back = sum(ledger.compute_cumulative(buyer, seller, k) for k in SALES)
        circular += min(invested, back)
    return circular, (circular / sales if sales > 0 else 0.0)


SIGNED_LIVE = (DealStatus.ACTIVE, DealStatus.UNDER_REVIEW, DealStatus.DEFINITIVE)
COMPUTE_KINDS = (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY)


def compute_supplier_count(model: Any, buyer: str) -> int:
    """Distinct firms supplying `buyer` compute under live signed contracts (supply or cloud,
    itself excluded)."""
    return len(
        {
            d.source
            for d in model.deals.live()
            if d.target == buyer
            and d.source != buyer
            and d.status in SIGNED_LIVE
            and d.kind in COMPUTE_KINDS
        }
    )


def compute_supplier_counts(model: Any) -> dict[str, int]:
    """`compute_supplier_count` of every buyer with a supplier, in one pass over the deals
    (buyers without one are absent: their count is 0)."""
    suppliers: dict[str, set[str]] = {}
    for d in model.deals.live():
        if d.source != d.target and d.status in SIGNED_LIVE and d.kind in COMPUTE_KINDS:
            suppliers.setdefault(d.target, set()).add(d.source)
    return {buyer: len(sources) for buyer, sources in suppliers.items()}
