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
from collections.abc import Sequence
from typing import Any

import numpy as np

from world.catalog import pflops_per_gw
from world.contracts import DealStatus
from world.ledger import FlowKind
from world.params import DealKind, EventKind, month_index

USD_K_PER_USD_B = 1e6
SALES = (FlowKind.CHIP_PAYMENT, FlowKind.CLOUD_PAYMENT)
FRINGE_BUYERS, OTHER_CLOUDS = "Other buyers", "Other clouds"
POWER_COLUMNS = ("foreclosure_share", "unaffiliated_gw", "unaffiliated_price",
                 "price_usd_k_per_pflops", "fringe_gw", "fringe_cum_gw")
"""The market-power columns of the markets table, in order."""


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
    registry's holdings are unchanged: dropped when they change (`StakeRegistry.
    is_holdings_key`). A contract's
    exclusivity is read at each call (a remedy can lift it); what is kept is the rest of the
    rule, which reads the holdings and the contract's parent deal (a deal's kind, parties and
    parent never change once it is in the book; a parent not found is not kept)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._key: tuple = ()
        self._affiliated: dict[tuple[str, str], bool] = {}
        self._financed: dict[str, bool] = {}

    def update_holdings(self) -> None:
        """Drop what was kept if the holdings have changed since (every call does it:
        `StakeRegistry.compute_holdings_key`)."""
        stakes = self.model.stakes
        if not stakes.is_holdings_key(self._key):
            self._affiliated, self._financed = {}, {}
            self._key = stakes.compute_holdings_key()

    def is_affiliated(self, seller: str, buyer: str) -> bool:
        """`is_affiliated(model, seller, buyer)`."""
        self.update_holdings()
        return self._is_affiliated(seller, buyer)

    def is_tied(self, deal: Any) -> bool:
        """`is_tied(model, deal)`."""
        self.update_holdings()
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
    `StakeLinks` of the model kept between months. This is the rule month by month; the
    recorder computes every month at once at the end (`compute_accelerator_power_path`, the
    same floats)."""
    links = StakeLinks(model) if links is None else links
    links.update_holdings()
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


def compute_tied_deliveries(model: Any, links: StakeLinks) -> list[bool]:
    """Per delivery of this month (`chips.deliveries`, in order): whether it is made under a
    tied contract (`is_tied`; a designer's chips for itself and open orders: False)."""
    links.update_holdings()
    get_deal = model.deals.get
    return [
        item.buyer != item.designer and bool(item.deal_id) and links._is_tied(get_deal(
            item.deal_id))
        for item in model.chips.deliveries
    ]


def compute_accelerator_power_path(
    months: Sequence[tuple[int, Sequence[Any], Sequence[bool], Any]], catalog: Any
) -> dict[str, list]:
    """`compute_accelerator_power` of many months at once, the same floats: column -> one
    value per month.

    `months`: per month (month index, its deliveries, `compute_tied_deliveries`, the stake
    registry as it was then). The deliveries of all months are sorted by (month, designer,
    buyer, deal id), stably, so a key's deliveries keep their order: each key's GW and
    payment are sequential sums in delivery order, and each month's totals sequential sums
    over its keys in key order (`np.bincount` adds its weights in array order from 0.0, as the
    month-by-month loop does)."""
    flat = [item for _, deliveries, _, _ in months for item in deliveries]
    n_months = len(months)
    if not flat:
        return _power_columns(*([np.zeros(n_months)] * 7))
    month = np.repeat(np.arange(n_months), [len(m[1]) for m in months])
    names = sorted({x.designer for x in flat} | {x.buyer for x in flat})
    code = {name: k for k, name in enumerate(names)}
    ids = {deal_id: k for k, deal_id in enumerate(sorted({x.deal_id for x in flat}))}
    seller = np.array([code[x.designer] for x in flat])
    buyer = np.array([code[x.buyer] for x in flat])
    deal = np.array([ids[x.deal_id] for x in flat])
    gw = np.array([x.gw for x in flat], dtype=float)
    price = np.array([x.price_usd_b_per_gw for x in flat], dtype=float)
    pays = (seller != buyer) & np.isfinite(price)
    paid_item = np.where(pays, gw * np.where(pays, price, 0.0), 0.0)
    tied_item = np.array([t for _, _, tied, _ in months for t in tied], dtype=bool)
    order = np.lexsort((deal, buyer, seller, month))  # stable: equal keys keep their order
    key = np.stack([month, seller, buyer, deal])[:, order]
    first = np.ones(len(flat), dtype=bool)
    first[1:] = np.any(key[:, 1:] != key[:, :-1], axis=0)
    group = np.cumsum(first) - 1
    head = order[first]  # each key's first delivery
    gw_k = np.bincount(group, weights=gw[order])
    paid_k = np.bincount(group, weights=paid_item[order])
    m_k, s_k, b_k = month[head], seller[head], buyer[head]
    per_gw = _pflops_per_gw(catalog, names, m_k, s_k, [m[0] for m in months])
    affiliated = _affiliated(months, names, m_k, s_k, b_k)
    sold = s_k != b_k

    def total(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        keep = sold & mask  # (an empty selection counts as integer zeros: made floats)
        return np.bincount(m_k[keep], weights=values[keep], minlength=n_months).astype(float)

    every = np.ones(len(m_k), dtype=bool)
    fringe = np.array([names[b] == FRINGE_BUYERS for b in b_k], dtype=bool)
    return _power_columns(
        total(every, gw_k), total(tied_item[head], gw_k), total(~affiliated, gw_k),
        total(~affiliated, paid_k), total(every, paid_k),
        total((paid_k > 0) & ~np.isnan(per_gw), gw_k * np.nan_to_num(per_gw)),
        total(fringe, gw_k),
    )


def _pflops_per_gw(
    catalog: Any, names: list[str], month: np.ndarray, seller: np.ndarray, month_idx: list[int]
) -> np.ndarray:
    """PFLOP/s per GW of each key's designer's newest product that month (NaN: none)."""
    memo: dict[tuple[int, int], float] = {}
    per_product: dict[str, float] = {}
    for pair in zip(month.tolist(), seller.tolist(), strict=True):
        if pair not in memo:
            product = catalog.latest(names[pair[1]], month_idx[pair[0]])
            if product is not None and product.name not in per_product:
                per_product[product.name] = pflops_per_gw(product)
            memo[pair] = per_product[product.name] if product is not None else math.nan
    return np.array([memo[pair] for pair in zip(month.tolist(), seller.tolist(), strict=True)],
                    dtype=float)


def _affiliated(
    months: Sequence[tuple], names: list[str], month: np.ndarray, seller: np.ndarray,
    buyer: np.ndarray,
) -> np.ndarray:
    """`is_affiliated` of each key's designer and buyer with the holdings of its month."""
    stakes = months[0][3]
    at = np.array([stakes.index.get(name, -1) for name in names])
    i, j = at[seller], at[buyer]
    inside = (i >= 0) & (j >= 0)
    owned = np.stack([m[3].owned for m in months])
    i, j = np.where(inside, i, 0), np.where(inside, j, 0)
    return np.where(inside & (seller != buyer),
                    (owned[month, i, j] > 0) | (owned[month, j, i] > 0), seller == buyer)


def _power_columns(
    total: np.ndarray, tied: np.ndarray, un_gw: np.ndarray, un_usd: np.ndarray,
    usd: np.ndarray, pflops: np.ndarray, fringe: np.ndarray,
) -> dict[str, list]:
    """The accelerator power columns from each month's totals (`compute_accelerator_power`)."""
    rows = zip(total.tolist(), tied.tolist(), un_gw.tolist(), un_usd.tolist(), usd.tolist(),
               pflops.tolist(), strict=True)
    out: dict[str, list] = {k: [] for k in POWER_COLUMNS[:4]}
    for t, ti, ug, uu, u, p in rows:
        out["foreclosure_share"].append(ti / t if t > 0 else 0.0)
        out["unaffiliated_gw"].append(ug)
        out["unaffiliated_price"].append(uu / ug if ug > 0 else None)
        out["price_usd_k_per_pflops"].append(u / p * USD_K_PER_USD_B if p > 0 else None)
    out["fringe_gw"] = fringe.tolist()
    out["fringe_cum_gw"] = np.cumsum(fringe).tolist()
    return out


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
    equity = FlowKind.EQUITY_INVESTMENT
    investees = {*ledger.compute_payees(seller, equity)}  # in the run (amounts are > 0)
    investees.update(firm for investor, firm in pre_start if investor == seller)
    if not investees:
        return 0.0, 0.0
    sales = other_sales_usd_b + ledger.compute_received_usd_b(seller, SALES)
    circular = 0.0
    for buyer in model.firm_names:  # a firm it never invested in adds nothing: skipped
        if buyer == seller or buyer not in investees:
            continue
        invested = ledger.compute_cumulative(seller, buyer, equity) + pre_start.get(
            (seller, buyer), 0.0)
        if invested <= 0:
            continue
        back = sum([ledger.compute_cumulative(buyer, seller, k) for k in SALES])
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
