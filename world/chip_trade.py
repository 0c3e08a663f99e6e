"""Chip production and the accelerator market: the part of a month that turns packaging
capacity into chips and chips into buyers' installed base (DESIGN 'Foundry', 'Markets').

A mixin of `world.model.ComputeMarketModel` (it reads the model's catalog, foundry, order
backlogs, deals and firms); the rules themselves are the pure functions of `world.market`
and `world.foundry`.
"""

from __future__ import annotations

import numpy as np

from world.catalog import cost_usd_b_per_gw, pflops_per_gw
from world.contracts import DealStatus
from world.foundry import wafers_to_gw
from world.ledger import FlowKind
from world.market import (
    compute_buyer_utilities,
    compute_equal_rationing,
    compute_logit_split,
    compute_path_value,
    compute_rationing,
)
from world.params import DealKind

FRINGE_CHIPS, FRINGE_BUYERS = "Other chips", "Other buyers"
ORDER_LEAD_MONTHS = 6
"""Operators order chips for the capacity they expect to be powered this far ahead."""
OWN_CHIP_BONUS = 0.5
"""Utility bonus of a designer's own chips to itself (captive ASIC use: Trainium at AWS)."""


class ChipTradeMixin:
    """Production, orders, rationing and payment of accelerators, one month at a time."""

    def _product(self, designer: str):
        return self.catalog.latest(designer, self.now_idx)

    def compute_price_usd_b_per_gw(self, designer: str) -> float:
        """Current price per GW of a designer's newest chips (inf before its first release)."""
        firm = self.firms.get(designer)
        if firm is not None and firm.role == "vendor":
            return firm.price_usd_b_per_gw
        product = self._product(designer)
        if product is None:
            return float("inf")
        if designer == FRINGE_CHIPS:
            return self.p.demand.fringe_chip_price_usd_b_per_gw
        return cost_usd_b_per_gw(product)

    def compute_backlog_gw(self, designer: str) -> float:
        """Open orders plus contracted deliveries due within 6 months for a designer, GW."""
        contracted = sum(self.compute_due_gw(d, self.t + 6) for d in self._supply_deals(designer))
        return float(self.backlog[designer].sum()) + contracted

    def _supply_deals(self, designer: str | None = None, buyer: str | None = None):
        return [
            d
            for d in self.deals.live()
            if d.kind is DealKind.SUPPLY
            and d.status is DealStatus.ACTIVE
            and (designer is None or d.source == designer)
            and (buyer is None or d.target == buyer)
        ]

    def compute_due_gw(self, deal, by_step: int) -> float:
        """Contracted GW due but not yet delivered by `by_step` (linear delivery schedule)."""
        months = max(deal.duration_months, 1)
        frac = min(1.0, max(0.0, (by_step - deal.start_step + 1) / months))
        return max(0.0, deal.gw * frac - self.delivered_by_deal.get(deal.deal_id, 0.0))

    def compute_undelivered_gw(self, deal, within_months: int | None = None) -> float:
        """GW of a supply deal not yet delivered (optionally only what falls due in a window)."""
        if within_months is None:
            return max(0.0, deal.gw - self.delivered_by_deal.get(deal.deal_id, 0.0))
        return self.compute_due_gw(deal, self.t + within_months)

    def _produce_chips(self) -> dict[str, float]:
        capacity = self.foundry.update_capacity(self.now_idx)
        requests: dict[str, float] = {}
        for d in self.designers:
            product = self._product(d)
            if product is None:
                continue
            need_gw = self.compute_backlog_gw(d) / 3.0
            requests[d] = need_gw / max(wafers_to_gw(1.0, product, self.foundry.yield_frac), 1e-12)
        alloc = self.foundry.compute_allocation(requests) if requests else {}
        self.wafer_requests = sum(requests.values())
        self.foundry_capacity = capacity if np.isfinite(capacity) else sum(alloc.values())
        produced: dict[str, float] = {}
        for d in self.designers:
            product = self._product(d)
            gw = (
                wafers_to_gw(alloc.get(d, 0.0), product, self.foundry.yield_frac)
                if product
                else 0.0
            )
            produced[d] = gw
            self.inventory[d] += gw
            self.capacity_gw_by_designer[d] = gw
            cost = gw * cost_usd_b_per_gw(product) if product else 0.0
            if cost > 0:
                payer = d if d in self.firms else FRINGE_CHIPS
                self.ledger.transfer(self.t, payer, "Suppliers", cost, FlowKind.OPEX)
                if d in self.firms:
                    self.firms[d].month_cost_usd_b += cost
        return produced

    def _desired_orders_gw(self) -> np.ndarray:
        want = np.zeros(len(self.buyers))
        expected = self.fleet.expected_powered_gw(self.n_firms, self.t + ORDER_LEAD_MONTHS)
        for i, name in enumerate(self.firm_names):
            firm = self.firms[name]
            if firm.role == "vendor":
                continue
            on_order = sum(b[i] for b in self.backlog.values())
            contracted = sum(self.compute_undelivered_gw(d) for d in self._supply_deals(buyer=name))
            want[i] = max(0.0, float(expected[i]) - firm.installed_total_gw - on_order - contracted)
        path = self.p.demand.fringe_accel_gw_per_year
        want[-1] = compute_path_value(path, self.now_idx) / 12.0 * self.fringe_multiplier
        return want

    def compute_utilities(self, buyer: str) -> np.ndarray:
        """Utility of each designer's chips to `buyer` (`world.market.compute_buyer_utilities`)."""
        m = self.p.market
        n = len(self.designers)
        price_pf = np.full(n, np.inf)
        lead = np.zeros(n)
        lockin = np.zeros(n)
        rel = np.zeros(n)
        share = np.zeros(n)
        firm = self.firms.get(buyer)
        installed = firm.installed_total_gw if firm else 0.0
        for k, d in enumerate(self.designers):
            product = self._product(d)
            captive = d not in ("Nvidia", "AMD")
            if product is None or (
                captive and d != buyer and not (d == FRINGE_CHIPS and buyer == FRINGE_BUYERS)
            ):
                continue
            price_pf[k] = self.compute_price_usd_b_per_gw(d) / pflops_per_gw(product)
            cap = max(self.capacity_gw_by_designer.get(d, 0.0), 1e-3)
            lead[k] = min(24.0, self.compute_backlog_gw(d) / cap)
            if d == "Nvidia":
                lockin[k] = m.cuda_lockin * self.policy.compute_lockin_factor()
            if d == buyer:
                lockin[k] += OWN_CHIP_BONUS
            rel[k] = 1.0 if self._supply_deals(d, buyer) else 0.0
            if firm and installed > 0:
                share[k] = firm.installed_gw.get(d, 0.0) / installed
        max_share = firm.p.max_supplier_share if firm else 1.0
        return compute_buyer_utilities(
            price_pf,
            lead,
            lockin,
            rel,
            share,
            price_sensitivity=m.price_sensitivity,
            lead_time_weight=m.lead_time_weight,
            relationship_bonus=m.relationship_bonus,
            diversification=m.diversification,
            max_supplier_share=max_share,
        )

    def _trade_chips(self) -> tuple[dict[str, float], dict[str, float]]:
        self.month_deliveries = {}
        want = self._desired_orders_gw()
        for i, buyer in enumerate(self.buyers):
            if want[i] <= 0:
                continue
            split = compute_logit_split(self.compute_utilities(buyer))
            for k, d in enumerate(self.designers):
                self.backlog[d][i] += want[i] * split[k]
        delivered = dict.fromkeys(self.designers, 0.0)
        value = dict.fromkeys(self.designers, 0.0)
        for d in self.designers:
            deals = self._supply_deals(d)
            pri = np.zeros(len(self.buyers))
            due = [self.compute_due_gw(deal, self.t) for deal in deals]
            for deal, g in zip(deals, due, strict=True):
                pri[self.buyers.index(deal.target)] += g
            ration = compute_equal_rationing if d in self.equal_access else compute_rationing
            got_pri, got_open = ration(pri, self.backlog[d], self.inventory[d])
            price = self.compute_price_usd_b_per_gw(d)
            for deal, g in zip(deals, due, strict=True):
                i = self.buyers.index(deal.target)
                part = got_pri[i] * (g / pri[i]) if pri[i] > 0 else 0.0
                if part > 0:
                    self.delivered_by_deal[deal.deal_id] = (
                        self.delivered_by_deal.get(deal.deal_id, 0.0) + part
                    )
                    self._deliver(d, deal.target, part, deal.price_usd_b_per_gw, deal.deal_id)
                    value[d] += part * deal.price_usd_b_per_gw
                if self.compute_undelivered_gw(deal) <= 1e-9:
                    deal.update_status(DealStatus.COMPLETED, self.t)
                    self.network.update_remove_deal(deal.deal_id)
            for i, buyer in enumerate(self.buyers):
                if got_open[i] > 0:
                    self._deliver(d, buyer, float(got_open[i]), price, "")
                    value[d] += got_open[i] * price
            self.backlog[d] = self.backlog[d] - got_open
            delivered[d] = float(got_pri.sum() + got_open.sum())
            self.inventory[d] = max(0.0, self.inventory[d] - delivered[d])
        return delivered, value

    def _deliver(self, designer: str, buyer: str, gw: float, price: float, deal_id: str) -> None:
        firm = self.firms.get(buyer)
        if firm is not None:
            firm.installed_gw[designer] = firm.installed_gw.get(designer, 0.0) + gw
        paid = gw * price if buyer != designer and np.isfinite(price) else 0.0
        rec = self.month_deliveries.setdefault((designer, buyer, deal_id), [0.0, 0.0])
        rec[0] += gw
        rec[1] += paid
        if buyer == designer or not np.isfinite(price):
            return
        payer = buyer if firm is not None else FRINGE_BUYERS
        payee = designer if designer in self.firms else FRINGE_CHIPS
        self.ledger.transfer(self.t, payer, payee, gw * price, FlowKind.CHIP_PAYMENT, deal_id)
        if payee in self.firms:
            self.firms[payee].month_revenue_usd_b += gw * price
        if firm is not None:
            firm.month_cost_usd_b += gw * price
