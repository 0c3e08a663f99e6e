"""The accelerator market: a component owning order backlogs, inventories, prices and
deliveries of every chip designer (docs/odd.md; docs/odd.md 'Accelerators').

A month, in order (the model calls the phases):

1. `update_produce`: designers ask the foundry for packaging to clear their backlog in
   `CLEAR_BACKLOG_MONTHS`; the foundry's allocation becomes output (GW) and inventory.
2. `update_prices`: Nvidia and AMD set Bertrand-Nash prices against the buyers' logit
   demand, with each vendor's capacity for new orders as a constraint
   (`world.clearing.solve_logit_bertrand`); in-house designs (Trainium, OpenAI's chip) are
   priced at cost to their owner, fringe chips at `demand.fringe_chip_price_usd_b_per_gw`.
3. `update_orders`: each buyer cancels open orders its plans no longer need, then orders its
   new need split by logit over designers and the outside option (defer).
4. `update_deliver`: each designer's inventory goes to its contracts' due deliveries first,
   then to open orders pro rata (`world.clearing.compute_rationing_gw`).

A buyer's utility of designer k: u_bk = lock-in_k + own-chip bonus + relationship + lead time +
diversification - alpha ln(p_k / v_bk), with v_bk the buyer's value of a GW of k's chips:
(lease price - facility cost) x chip life x (k's PFLOP/s per GW / the best released).

The module is over the house's ~400 lines: it is one component, whose four phases read and
write the same order book, backlogs and inventories; splitting the phases apart would hand
that state to several modules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from world.bertrand import compute_sum_like_numpy
from world.catalog import Catalog, cost_usd_b_per_gw, pflops_per_gw
from world.clearing import (
    BertrandSolution,
    ChipClearing,
    clear_chip_market,
    compute_rationing_gw,
    solve_logit_bertrand,
)
from world.cloud_market import Payment
from world.contracts import Deal, DealStatus
from world.foundry import Foundry, wafers_to_gw
from world.ledger import FlowKind
from world.params import DealKind, MarketParams

FRINGE_CHIPS, FRINGE_BUYERS = "Other chips", "Other buyers"
MERCHANT = ("AMD", "Nvidia")
"""Designers that sell to anyone and set prices; the others are captive or price takers."""
CLEAR_BACKLOG_MONTHS = 3.0
"""A designer asks for enough packaging to clear its backlog in this many months."""
BACKLOG_DUE_MONTHS = 6
"""A designer's backlog counts contracted deliveries falling due within this many months."""
ORDER_BOOK_MONTHS = 12
"""Vendors accept new orders up to their output over this many months, less their backlog:
Blackwell was sold out about 12 months ahead (stylised fact 2 of the calibration facts)."""
OWN_CHIP_BONUS = 0.5
"""Utility bonus of a designer's own chips to itself (captive ASIC use: Trainium at AWS)."""


class Delivery(NamedTuple):
    """Chips delivered this month: designer -> buyer, GW, price paid per GW, deal ('' if open).

    A named tuple (immutable, thousands are made in a run: cheaper than a dataclass)."""

    designer: str
    buyer: str
    gw: float
    price_usd_b_per_gw: float
    deal_id: str


class ChipMarket:
    """Backlogs, inventories, prices and deliveries of accelerators (module docstring).

    Attributes:
        designers: chip designers, sorted (firms and `Other chips`).
        buyers: the six firms then `Other buyers`.
        backlog: designer -> open orders per buyer, GW.
        inventory: designer -> chips made and not yet delivered, GW.
        capacity_gw: designer -> this month's output, GW.
        price_usd_b_per_gw: designer -> this month's price of its newest chips.
        delivered_by_deal: supply deal -> GW delivered so far.
        deliveries: this month's deliveries.
    """

    def __init__(
        self,
        params: MarketParams,
        catalog: Catalog,
        foundry: Foundry,
        buyers: Sequence[str],
        fringe_price_usd_b_per_gw: float,
        opening_backlog_gw: Mapping[str, float],
    ) -> None:
        self.p = params
        self.catalog = catalog
        self.foundry = foundry
        self.designers = sorted(catalog.vendors())
        self.buyers = list(buyers)
        self.fringe_price = fringe_price_usd_b_per_gw
        self.backlog = {d: np.zeros(len(self.buyers)) for d in self.designers}
        for designer, gw in sorted(opening_backlog_gw.items()):
            if designer in self.backlog:  # orders placed before the start, by the fringe
                self.backlog[designer][-1] += gw
        for d in self.designers:
            self._set_backlog(d, self.backlog[d])
        self._backlog_sums: dict[str, tuple[np.ndarray, float]] = {}
        """Designer -> (its backlog array, that array's sum): backlog arrays are replaced, never
        written in place (`_set_backlog` makes them read-only), so the sum holds while the
        array is the same object."""
        self.inventory = dict.fromkeys(self.designers, 0.0)
        self.capacity_gw = dict.fromkeys(self.designers, 0.0)
        self.price_usd_b_per_gw = dict.fromkeys(self.designers, float("inf"))
        self.delivered_by_deal: dict[str, float] = {}
        self.deliveries: list[Delivery] = []
        self.cancelled_gw = 0.0
        self.deferred_gw = 0.0
        self.fringe_multiplier = 1.0
        """Product of the `fringe_demand` shocks: scales the fringe buyers' orders."""
        self.wafer_requests = 0.0
        self.foundry_capacity = 0.0
        self.solution: BertrandSolution | None = None
        self.inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        """This month's (demand, base utility, capacity, cost) of the price phase."""
        self._lead: dict[str, float] = {}
        self._lead_key: tuple = ()
        self._due: dict[str, float] = {}
        self._due_key: tuple = ()
        self._due_deals: Sequence[Deal] = ()
        """The deals `_due` was computed from (held, so the identity test cannot be fooled by
        a new tuple at a recycled address)."""
        self._delivery_count = 0
        self._buyer_row = {b: i for i, b in enumerate(self.buyers)}
        self._products: dict = {}
        self._products_idx = -1
        self.now_idx = 0
        self.t = 0

    # ----- reading ------------------------------------------------------------------------------
    def compute_product(self, designer: str):
        """Newest released product of `designer` (None before its first release); looked up
        once a month."""
        if self._products_idx != self.now_idx:
            self._products = {d: self.catalog.latest(d, self.now_idx) for d in self.designers}
            self._products_idx = self.now_idx
        return self._products.get(designer)

    def compute_due_gw(self, deal: Deal, by_step: int) -> float:
        """Contracted GW due but not yet delivered by `by_step` (linear delivery schedule)."""
        months = deal.duration_months
        frac = (by_step - deal.start_step + 1) / (months if months > 1 else 1)
        frac = frac if frac > 0.0 else 0.0  # max(0, frac) and then min(1, frac), written out
        frac = frac if frac < 1.0 else 1.0  # (no builtin calls: asked ~2,000 times a run)
        due = deal.gw * frac - self.delivered_by_deal.get(deal.deal_id, 0.0)
        return due if due > 0.0 else 0.0

    def compute_undelivered_gw(self, deal: Deal, within_months: int | None = None) -> float:
        """GW of a supply deal not yet delivered (optionally only what falls due in a window)."""
        if within_months is None:  # max(0, left), written out: asked ~3,000 times a run
            left = deal.gw - self.delivered_by_deal.get(deal.deal_id, 0.0)
            return left if left > 0.0 else 0.0
        return self.compute_due_gw(deal, self.t + within_months)

    def compute_backlog_gw(self, designer: str, supply_deals: Sequence[Deal]) -> float:
        """Open orders plus contracted deliveries due within `BACKLOG_DUE_MONTHS`, GW."""
        return self._open_orders_gw(designer) + self._due_by_designer(supply_deals).get(
            designer, 0.0)

    def _open_orders_gw(self, designer: str) -> float:
        """Sum of a designer's open orders over buyers, GW (kept per backlog array)."""
        arr = self.backlog[designer]
        hit = self._backlog_sums.get(designer)
        if hit is None or hit[0] is not arr:
            hit = self._backlog_sums[designer] = (arr, float(arr.sum()))
        return hit[1]

    def _set_backlog(self, designer: str, orders_gw: np.ndarray) -> None:
        """Replace a designer's open orders per buyer (read-only from then on)."""
        orders_gw.flags.writeable = False
        self.backlog[designer] = orders_gw

    def _due_by_designer(self, supply_deals: Sequence[Deal]) -> dict[str, float]:
        """Contracted GW due within `BACKLOG_DUE_MONTHS` by designer (`compute_due_gw` of each
        deal), in one pass over the deals (kept until the month, the deals or the deliveries
        change)."""
        key = (self.t, self._delivery_count, Deal.term_changes)
        if (
            key != self._due_key
            or supply_deals is not self._due_deals
            or supply_deals.__class__ is not tuple  # a list could have changed in place
        ):
            due: dict[str, float] = {}
            by_step, done = self.t + BACKLOG_DUE_MONTHS, self.delivered_by_deal
            for d in supply_deals:  # `compute_due_gw(d, by_step)`, written out
                months = d.duration_months
                frac = (by_step - d.start_step + 1) / (months if months > 1 else 1)
                frac = frac if frac > 0.0 else 0.0
                frac = frac if frac < 1.0 else 1.0
                g = d.gw * frac - done.get(d.deal_id, 0.0)
                due[d.source] = due.get(d.source, 0.0) + (g if g > 0.0 else 0.0)
            self._due, self._due_key, self._due_deals = due, key, supply_deals
        return self._due

    # ----- 1. production ------------------------------------------------------------------------
    def update_produce(self, t: int, now_idx: int, supply_deals: Sequence[Deal]) -> list[Payment]:
        """Allocate packaging and make chips; return the designers' production costs."""
        self.t, self.now_idx = t, now_idx
        capacity = self.foundry.update_capacity(now_idx)
        requests: dict[str, float] = {}
        due = self._due_by_designer(supply_deals)
        products = [(d, self.compute_product(d)) for d in self.designers]  # this month's
        yield_frac = self.foundry.yield_frac
        for d, product in products:
            if product is None:
                continue
            need_gw = (self._open_orders_gw(d) + due.get(d, 0.0)) / CLEAR_BACKLOG_MONTHS
            requests[d] = need_gw / max(wafers_to_gw(1.0, product, yield_frac), 1e-12)
        alloc = self.foundry.compute_allocation(requests) if requests else {}
        self.wafer_requests = sum(requests.values())
        self.foundry_capacity = capacity if math.isfinite(capacity) else sum(alloc.values())
        costs = []
        for d, product in products:
            gw = (wafers_to_gw(alloc.get(d, 0.0), product, yield_frac)
                  if product else 0.0)
            self.inventory[d] += gw
            self.capacity_gw[d] = gw
            if gw > 0:
                cost = gw * cost_usd_b_per_gw(product)
                costs.append(Payment(d, "Suppliers", cost, FlowKind.OPEX))
        return costs

    # ----- 2. prices ----------------------------------------------------------------------------
    def compute_value_usd_b_per_gw(self, lease_price_usd_b_per_gw_year: float) -> dict[str, float]:
        """A buyer's value of a GW of each designer's newest chips, USD B/GW (module docstring)."""
        per_gw = max(lease_price_usd_b_per_gw_year - self.p.facility_cost_usd_b_per_gw_year, 0.05)
        per_gw *= self.p.chip_life_years
        pf = {d: pflops_per_gw(p) for d in self.designers if (p := self.compute_product(d))}
        best = max(pf.values(), default=1.0)
        return {d: per_gw * pf[d] / best if d in pf else 0.0 for d in self.designers}

    def compute_lead_times(self, supply_deals: Sequence[Deal]) -> dict[str, float]:
        """Lead time of each designer, months: backlog / this month's output, at most 24
        (computed once a month and kept until the backlog or the deals change)."""
        key = (self.t, len(supply_deals), sum(self._open_orders_gw(d) for d in self.backlog))
        if self._lead_key != key:
            due = self._due_by_designer(supply_deals)
            self._lead = {
                d: min(24.0, (self._open_orders_gw(d) + due.get(d, 0.0))
                       / max(self.capacity_gw.get(d, 0.0), 1e-3))
                for d in self.designers
            }
            self._lead_key = key
        return self._lead

    def compute_nonprice_utilities(
        self,
        buyers: Sequence[tuple[str, Mapping[str, float], float, set[str]]],
        lockin_factor: float,
        supply_deals: Sequence[Deal],
    ) -> np.ndarray:
        """(buyers, designers) utility of each designer's chips apart from price (-inf:
        unavailable); `buyers`: (name, installed GW by designer, max supplier share, supply
        partners) per row.

        Rule: lock-in (Nvidia: `cuda_lockin` x the policy's lock-in factor) + `OWN_CHIP_BONUS`
        for its own design + `relationship_bonus` for a designer it has a live supply deal
        with - `lead_time_weight` x lead time (backlog / monthly output, at most 24 months) -
        `diversification` x 10 x max(0, share of its installed base - `max_supplier_share`).
        In-house designs are available only to their owner, fringe chips only to the fringe.
        The terms that depend on the designer only are taken once for all rows.
        """
        m = self.p
        leads = self.compute_lead_times(supply_deals)
        lockin = m.cuda_lockin * lockin_factor
        diversification = m.diversification * 10.0
        columns = [
            (k, d, lockin if d == "Nvidia" else 0.0, m.lead_time_weight * leads[d], d in MERCHANT)
            for k, d in enumerate(self.designers) if self.compute_product(d) is not None
        ]
        relationship, n = m.relationship_bonus, len(self.designers)
        rows = []
        for buyer, installed_gw, max_share, partners in buyers:
            out = [-math.inf] * n
            installed = sum(installed_gw.values())
            fringe = buyer == FRINGE_BUYERS
            for k, d, lock, lead, merchant in columns:
                own = d == buyer
                if not (merchant or own or (fringe and d == FRINGE_CHIPS)):
                    continue
                share = installed_gw.get(d, 0.0) / installed if installed > 0 else 0.0
                excess = share - max_share  # max(0, excess), written out (NaN gives 0)
                out[k] = (
                    lock
                    + (OWN_CHIP_BONUS if own else 0.0)
                    + (relationship if d in partners else 0.0)
                    - lead
                    - diversification * (excess if excess > 0.0 else 0.0)
                )
            rows.append(out)
        return np.array(rows, dtype=float).reshape(len(rows), n)

    def compute_base_utilities(
        self, nonprice: np.ndarray, values: Mapping[str, float]
    ) -> np.ndarray:
        """(buyers, designers) non-price utility (`compute_nonprice_utilities`) plus
        alpha ln(value): the solver's `base`."""
        alpha = self.p.price_sensitivity
        logv = np.log(np.maximum([values[d] for d in self.designers], 1e-12))
        return nonprice + alpha * logv[None, :]

    def update_prices(
        self, want_gw: np.ndarray, base: np.ndarray, supply_deals: Sequence[Deal]
    ) -> None:
        """Set this month's prices: Bertrand-Nash for the merchant vendors (module docstring)."""
        markup_cap = self.p.markup_cap
        due = self._due_by_designer(supply_deals)
        cost, start, bounds, cap, strategic = [], [], [], [], []
        for d in self.designers:
            product = self.compute_product(d)
            if product is None:
                self.price_usd_b_per_gw[d] = float("inf")
                cost.append(1.0)
                start.append(1e6)
                bounds.append((1e6, 1e6))
                cap.append(0.0)
                strategic.append(False)
                continue
            c = cost_usd_b_per_gw(product)
            cost.append(c)
            merchant = d in MERCHANT
            fixed = self.fringe_price if d == FRINGE_CHIPS else c
            first = self.price_usd_b_per_gw[d] if merchant else fixed
            start.append(first if math.isfinite(first) else c * (1.0 + 0.5 * markup_cap))
            bounds.append((c, c * (1.0 + markup_cap)) if merchant else (fixed, fixed))
            strategic.append(merchant)
            output = self.capacity_gw[d]
            room = output * ORDER_BOOK_MONTHS - (self._open_orders_gw(d) + due.get(d, 0.0))
            cap.append(max(room, 0.02 * output + 1e-6))
        cost_a, cap_a = np.array(cost, dtype=float), np.array(cap, dtype=float)
        sol = solve_logit_bertrand(
            want_gw, base, self.p.price_sensitivity, cost_a, cap_a,
            np.array(bounds, dtype=float).reshape(len(bounds), 2), np.array(strategic, dtype=bool),
            np.array(start, dtype=float), outside_utility=self.p.defer_utility,
        )
        self.solution = sol
        self.inputs = (np.array(want_gw, dtype=float), base, cap_a, cost_a)
        for d, p in zip(self.designers, sol.price.tolist(), strict=True):
            if self.compute_product(d) is not None:
                self.price_usd_b_per_gw[d] = p

    def compute_clearing(
        self, excluded_links: Sequence[tuple[int, int]] = (), value_usd_b_per_gw: float = 0.0
    ) -> ChipClearing:
        """Re-solve this month's order split and rationing at this month's prices, optionally
        without some (buyer row, designer column) links (`world.clearing.clear_chip_market`):
        a buyer cut off from a designer turns to the others or defers. `value_usd_b_per_gw`:
        the buyers' value of a GW, for their surplus. Pure: reads the inputs kept by
        `update_prices`, mutates nothing. Raises RuntimeError before the first price phase."""
        if self.inputs is None or self.solution is None:
            raise RuntimeError("no month has been priced yet; call after update_prices")
        want, base, cap, cost = self.inputs
        price = self.solution.price
        with np.errstate(divide="ignore"):
            utilities = base - self.p.price_sensitivity * np.log(price)[None, :]
        return clear_chip_market(
            want, utilities, cap, price, cost, np.full(want.size, value_usd_b_per_gw),
            outside_utility=self.p.defer_utility, excluded_links=excluded_links,
        )

    # ----- 3. orders ----------------------------------------------------------------------------
    def update_cancel(self, need_gw: np.ndarray) -> None:
        """Each buyer cancels open orders beyond what its plans still need (pro rata over
        designers): open orders are not contracts, so cancelling is free.

        Rule: buyer b keeps min(1, need_b / held_b) of each open order, held_b its open
        orders summed over designers (in designer order). Plain floats (a few dozen
        numbers); each designer's cancelled GW summed in numpy's order. When no buyer holds
        more than it needs (most months) and every order is finite, nothing changes: the
        backlog arrays are kept and 0 GW is cancelled (the same numbers the general path
        gives: v x 1 = v, v x 0 = 0). That test adds the designers' order arrays in designer
        order from 0.0, elementwise: each buyer's held GW is the same double as the plain
        floats' running sum."""
        backlog = self.backlog
        held_a = np.zeros(len(self.buyers))
        for d in self.designers:
            held_a = held_a + backlog[d]
        need_a = np.asarray(need_gw, dtype=float)
        if not (held_a > need_a).any() and np.isfinite(held_a).all():  # every order finite
            self.cancelled_gw = 0.0
            return
        rows = [backlog[d].tolist() for d in self.designers]
        held = held_a.tolist()
        need = need_a.tolist()
        keep = []
        for n, h in zip(need, held, strict=True):
            k = n / h if h > n else 1.0
            if k > 1.0:
                k = 1.0
            elif not k > 0.0 and k == k:  # clipped at 0 (and -0.0 made 0.0), NaN kept
                k = 0.0
            keep.append(k)
        drop = [1.0 - k for k in keep]
        self.cancelled_gw = 0.0
        for d, orders in zip(self.designers, rows, strict=True):
            self.cancelled_gw += compute_sum_like_numpy(
                [v * x for v, x in zip(orders, drop, strict=True)])
            self._set_backlog(d, np.array([v * k for v, k in zip(orders, keep, strict=True)]))

    def update_orders(self, want_gw: np.ndarray) -> None:
        """Place this month's orders at this month's shares; the rest is deferred."""
        shares = self.solution.shares if self.solution is not None else None
        if shares is None:
            return
        orders = want_gw[:, None] * shares
        self.deferred_gw = float(want_gw.sum() - orders.sum())
        for k, d in enumerate(self.designers):
            self._set_backlog(d, self.backlog[d] + orders[:, k])

    # ----- 4. deliveries ------------------------------------------------------------------------
    def update_deliver(
        self, supply_deals: Sequence[Deal], equal_access: set[str]
    ) -> tuple[dict[str, float], dict[str, float], list[Deal]]:
        """Deliver from inventory: contracts first, then open orders pro rata.

        Returns:
            (GW delivered by designer, USD B value by designer, deals now fully delivered).
        """
        self.deliveries = []
        self._delivery_count += 1
        delivered = dict.fromkeys(self.designers, 0.0)
        value = dict.fromkeys(self.designers, 0.0)
        completed: list[Deal] = []
        by_designer: dict[str, list[Deal]] = {}
        for x in supply_deals:
            by_designer.setdefault(x.source, []).append(x)
        for d in self.designers:
            delivered[d], value[d] = self._deliver_designer(
                d, by_designer.get(d, ()), d in equal_access, completed)
            self.inventory[d] = max(0.0, self.inventory[d] - delivered[d])
        return delivered, value, completed

    def _deliver_designer(
        self, d: str, deals: Sequence[Deal], equal_access: bool, completed: list[Deal]
    ) -> tuple[float, float]:
        """Deliver designer `d`'s inventory (`update_deliver`), in plain floats (a month of
        one designer is a few numbers); returns (GW delivered, USD B value). The due and
        undelivered GW of each deal are `compute_due_gw` and `compute_undelivered_gw`, written
        out (the same operations)."""
        row, t, done = self._buyer_row, self.t, self.delivered_by_deal
        pri = [0.0] * len(self.buyers)
        due = []
        for deal in deals:
            months = deal.duration_months
            frac = (t - deal.start_step + 1) / (months if months > 1 else 1)
            frac = frac if frac > 0.0 else 0.0
            frac = frac if frac < 1.0 else 1.0
            g = deal.gw * frac - done.get(deal.deal_id, 0.0)
            g = g if g > 0.0 else 0.0
            due.append(g)
            pri[row[deal.target]] += g
        backlog = self.backlog[d].tolist()
        got_pri, got_open = compute_rationing_gw(pri, backlog, self.inventory[d], equal_access)
        value = 0.0
        deliveries = self.deliveries
        for deal, g in zip(deals, due, strict=True):
            i = row[deal.target]
            # a numpy scalar, as the array form returned it: sums of deliveries downstream
            # (Python's `sum`, which compensates only exact floats) depend on the type
            part = np.float64(got_pri[i] * (g / pri[i])) if pri[i] > 0 else 0.0
            deal_id = deal.deal_id
            so_far = done.get(deal_id, 0.0)
            if part > 0:
                so_far = done[deal_id] = so_far + part
                deliveries.append(Delivery(d, deal.target, part, deal.price_usd_b_per_gw, deal_id))
                value += part * deal.price_usd_b_per_gw
            left = deal.gw - so_far
            if (left if left > 0.0 else 0.0) <= 1e-9:
                completed.append(deal)
        price = self.price_usd_b_per_gw[d]
        if any(got_open):  # (no open order served: contracts took all, or nothing was made)
            for buyer, gw in zip(self.buyers, got_open, strict=True):
                if gw > 0:
                    deliveries.append(Delivery(d, buyer, gw, price, ""))
                    value += gw * price
        orders = np.array(
            [0.0 if (v := b - g) <= 0.0 else v for b, g in zip(backlog, got_open, strict=True)])
        orders.flags.writeable = False  # `_set_backlog`, written out
        self.backlog[d] = orders
        return compute_sum_like_numpy(got_pri) + compute_sum_like_numpy(got_open), value


def compute_partners_by_buyer(deals: Sequence[Deal]) -> dict[str, set[str]]:
    """Buyer (a deal's target) -> the sources it holds one of `deals` with: each buyer's
    supply partners, in one pass over the deals."""
    out: dict[str, set[str]] = {}
    for d in deals:
        out.setdefault(d.target, set()).add(d.source)
    return out


def active_supply_deals(deals: Sequence[Deal]) -> list[Deal]:
    """Active supply contracts, sorted by id."""
    return sorted(
        (d for d in deals if d.kind is DealKind.SUPPLY and d.status is DealStatus.ACTIVE),
        key=lambda d: d.deal_id,
    )
