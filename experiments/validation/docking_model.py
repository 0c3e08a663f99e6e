"""The docking model: textbook special cases played by the market model's own parts.

A run whose `simulation.mode` is not ``market`` builds a `DockingModel` instead of the market
model (`experiments.run.runner`). It has no physical layer, no fringe, no dated events and no
regulator; what remains is the agents' decision rules (`agents.vendor`, `agents.cloud`), the
market rules of `world.market`, the Nash-in-Nash terms of `world.bargaining`, the bargaining
protocol and deal-making of `agents.negotiation` and `agents.contracting`, and the deal book,
network and ledger of the market model. Reaching the closed forms checks that code (docking in
the sense of Axtell, Axelrod, Epstein and Cohen 1996, "Aligning simulation models", Comput.
Math. Organ. Theory 1(2)).

- ``cournot``: N `ChipVendor` agents choose quantities against P = a - b Q. Each month they
  best-respond one after the other, in an order drawn from the model's generator (asynchronous,
  Gauss-Seidel updating; simultaneous best responses cycle for N >= 3, Theocharis 1960). The
  linear Cournot game is a potential game with a strictly concave potential, so this converges
  to the unique Nash equilibrium.
- ``double_marginalization``: a `ChipVendor` sells to a `CloudProvider`, which resells against
  P = a - b Q. The cloud sets its monopoly price given the wholesale price; the vendor reads the
  cloud's derived demand (two probes of its reaction) and moves its wholesale price halfway to
  the monopoly price against that demand each month. ``vendors.integrated`` prices at cost.
- ``rubinstein``: one round of `AlternatingOffers` with identical views (its subgame-perfect
  outcome is the closed form).
- ``nash``: `nash_bargain` with the scenario's weights and disagreement point.
- ``outside_option``: a seller (cost c) and a buyer (one GW worth v) with an alternative
  supplier at p_alt strike a supply contract exactly as firms do in the market: the link's
  terms from `world.bargaining.compute_link_terms` (the buyer's disagreement payoff from
  re-solving the market without the link), the price by `agents.contracting.strike`.

Outputs go to the same tables as the market: `shares` and `markets` rows per month (the
bargaining cases record the contract as the accelerator market's one sale), deals in `deals`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import mesa

from agents import contracting
from agents.cloud import CloudProvider
from agents.firm import Firm
from agents.negotiation import AlternatingOffers, nash_bargain
from agents.vendor import ChipVendor
from world.bargaining import Buyer, Link, Market, Seller, compute_link_terms
from world.contracts import Deal, DealBook, DealStatus
from world.ledger import Ledger
from world.market import compute_linear_demand_price
from world.metrics import compute_hhi, compute_shares
from world.network import DealNetwork
from world.params import FIRM_NAMES, DealKind, FirmParams, Mode, Role, ScenarioParams, month_index
from world.policy import Policy
from world.stakes import StakeRegistry

WHOLESALE_ADJUSTMENT = 0.5
"""Fraction of the gap to its target wholesale price that the vendor closes each month."""
PROBE_USD = 1.0
"""Spacing of the two wholesale prices at which the vendor probes the cloud's reaction."""


def _names(params: Any, role: Role, count: int, fallback: str) -> list[str]:
    """Names for `count` agents of `role`: the scenario's firms of that role, then fallbacks."""
    named = [f for f in FIRM_NAMES if f in params.firms and params.firms[f].role is role]
    extra = [f"{fallback} {k}" for k in range(len(named) + 1, count + 1)]
    return (named + extra)[:count]


class DockingModel(mesa.Model):
    """One textbook game played month by month by the market model's agents and parts.

    Args:
        params: a scenario whose `simulation.mode` is a docking case.
        rng: the seed (defaults to the scenario's).
    """

    def __init__(self, params: ScenarioParams, rng: int | None = None) -> None:
        super().__init__(rng=params.seed if rng is None else rng)
        self.p = params
        self.t = 0
        self.start_idx = month_index(params.simulation.start)
        self.now_idx = self.start_idx
        self.mode = params.simulation.mode
        self.a, self.b = params.demand.intercept, params.demand.slope
        self.costs = list(params.vendors.marginal_costs)
        self.deals = DealBook()
        self.delivered_by_deal: dict[str, float] = {}
        self.negotiation_rounds: dict[str, int] = {}
        self.reviews: list[dict] = []
        self.cols: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        children = iter(self.rng.spawn(len(self.costs) + 2))
        n_vendors = len(self.costs) if self.mode is Mode.COURNOT else 1
        self.vendors = [
            ChipVendor(self, name, self._firm_params(name, Role.VENDOR), next(children))
            for name in _names(params, Role.VENDOR, n_vendors, "Vendor")
        ]
        self.cloud = None
        if self.mode is Mode.DOUBLE_MARGINALIZATION:
            name = _names(params, Role.CLOUD, 1, "Cloud")[0]
            self.cloud = CloudProvider(self, name, self._firm_params(name, Role.CLOUD),
                                       next(children))
        self.buyer = None
        if self.mode in (Mode.RUBINSTEIN, Mode.NASH, Mode.OUTSIDE_OPTION):
            name = next((f for f in FIRM_NAMES if f in params.firms
                         and f != self.vendors[0].name), "Buyer")
            self.buyer = Firm(self, name, self._firm_params(name, Role.LAB), next(children))
        parties = [*self.vendors, *(a for a in (self.cloud, self.buyer) if a is not None)]
        self.firms = {a.name: a for a in parties}
        self.ledger = Ledger(list(self.firms))
        self.network = DealNetwork(list(self.firms))
        self.stakes = StakeRegistry(list(self.firms))
        self.policy = Policy([], self.start_idx, {a.name: a.role for a in parties})
        self.quantity = dict.fromkeys((v.name for v in self.vendors), 0.0)
        self.wholesale = self.costs[0]

    def _firm_params(self, name: str, role: Role) -> FirmParams:
        return self.p.firms.get(name) or FirmParams(role=role)

    def run_steps(self, steps: int | None = None) -> None:
        """Run `steps` months (default: the scenario's horizon)."""
        for _ in range(self.p.simulation.steps if steps is None else steps):
            self.step()

    # ----- the month ---------------------------------------------------------------------------
    def step(self) -> None:
        """Play one month of the game and record it."""
        self.now_idx = self.start_idx + self.t
        if self.mode is Mode.COURNOT:
            self._step_cournot()
        elif self.mode is Mode.DOUBLE_MARGINALIZATION:
            self._step_double_marginalization()
        else:
            if self.t == 0:
                self._bargain()
            self._record_contract()
        self.t += 1

    def _step_cournot(self) -> None:
        order = self.rng.permutation(len(self.vendors))
        for k in order:
            vendor = self.vendors[int(k)]
            rivals = sum(q for n, q in self.quantity.items() if n != vendor.name)
            self.quantity[vendor.name] = vendor.compute_best_response_quantity(
                rivals, self.a, self.b, self.costs[int(k)]
            )
        total = sum(self.quantity.values())
        price = compute_linear_demand_price(self.a, self.b, total)
        self._record_market("accelerators", self.quantity, price)

    def _step_double_marginalization(self) -> None:
        vendor, cloud, cost = self.vendors[0], self.cloud, self.costs[0]
        if self.p.vendors.integrated:
            self.wholesale = cost  # one firm: the chips move at marginal cost
        else:
            q0 = self._compute_cloud_quantity(cost)
            q1 = self._compute_cloud_quantity(cost + PROBE_USD)
            slope = (q0 - q1) / PROBE_USD  # derived demand Q(w) = A - B w, read from the cloud
            if slope > 0:
                target = vendor.compute_monopoly_price(q0 + slope * cost, slope, cost)
                self.wholesale += WHOLESALE_ADJUSTMENT * (target - self.wholesale)
        price = cloud.compute_best_response_price(self.wholesale, self.a, self.b)
        quantity = max(0.0, (self.a - price) / self.b)
        self._record_market("accelerators", {vendor.name: quantity}, self.wholesale)
        self._record_market("cloud", {cloud.name: quantity}, price)

    def _compute_cloud_quantity(self, wholesale: float) -> float:
        """What the cloud would sell (and so buy) at a wholesale price: its reaction."""
        price = self.cloud.compute_best_response_price(wholesale, self.a, self.b)
        return max(0.0, (self.a - price) / self.b)

    def _bargain(self) -> None:
        neg = self.p.negotiation
        seller, buyer = self.vendors[0].name, self.buyer.name
        if self.mode is Mode.OUTSIDE_OPTION:
            self._strike_outside_option()
            return
        pie = neg.surplus_usd_b
        if self.mode is Mode.RUBINSTEIN:
            d_p, d_r = neg.discount_factors
            out = AlternatingOffers((seller, buyer)).run(pie, pie, 0.0, 0.0, d_p, d_r,
                                                         neg.max_rounds)
            agreed, value, rounds = out.agreed, out.proposer_share * pie, out.rounds
        else:
            value, _ = nash_bargain(pie, neg.bargaining_weights, neg.disagreement_usd_b)
            agreed = pie > sum(neg.disagreement_usd_b)  # gains from trade exist
            rounds = 1
        deal = Deal(
            deal_id=self.deals.next_id(self.mode.value[:3].upper()),
            kind=DealKind.SUPPLY,
            source=seller,
            target=buyer,
            status=DealStatus.DEFINITIVE if agreed else DealStatus.ABANDONED,
            step_proposed=self.t,
            value_usd_b=value if agreed else 0.0,
            binding=agreed,
            surplus_usd_b=pie,
            disagreement_source_usd_b=neg.disagreement_usd_b[0],
            disagreement_target_usd_b=neg.disagreement_usd_b[1],
        )
        self.deals.add(deal)
        self.negotiation_rounds[deal.deal_id] = rounds

    def compute_outside_option_market(self) -> Market:
        """The ``outside_option`` market: the seller (cost c, no capacity limit), an
        alternative supplier posting p_alt, one buyer of one GW worth v, and the link."""
        neg, c = self.p.negotiation, self.costs[0]
        seller, buyer = self.vendors[0].name, self.buyer.name
        return Market(
            sellers=(Seller(seller, 1e9, c, c),
                     Seller("Alternative supplier", 1e9, 0.0, neg.alternative_price_usd_b)),
            buyers=(Buyer(buyer, 1.0, neg.buyer_value_usd_b),),
            links=(Link(contracting.LINK_ID, seller, buyer, 1.0),),
        )

    def _strike_outside_option(self) -> None:
        terms = compute_link_terms(self.compute_outside_option_market(), contracting.LINK_ID)
        vendor = self.vendors[0]
        deal = contracting.strike(
            self, vendor, self.buyer, DealKind.SUPPLY, terms, seller_first=True,
            months=1, start_in=0, rng=vendor.generator,
        )
        if deal is None:  # no gains from trade, or an impasse: recorded as abandoned
            deal = Deal(deal_id=self.deals.next_id("SUP"), kind=DealKind.SUPPLY,
                        source=vendor.name, target=self.buyer.name,
                        status=DealStatus.ABANDONED, step_proposed=self.t, gw=1.0,
                        surplus_usd_b=terms.surplus_usd_b,
                        disagreement_source_usd_b=terms.disagreement_source_usd_b,
                        disagreement_target_usd_b=terms.disagreement_target_usd_b)
            self.deals.add(deal)

    def _record_contract(self) -> None:
        """The bargaining cases' contract as the month's accelerator market: the seller's one
        sale (GW, or one contract) at the agreed price (or the seller's payoff)."""
        deal = next(iter(self.deals), None)
        if deal is None or deal.status is DealStatus.ABANDONED:
            self._record_market("accelerators", {self.vendors[0].name: 0.0}, 0.0)
            return
        quantity = deal.gw or 1.0
        price = deal.price_usd_b_per_gw or deal.value_usd_b
        self._record_market("accelerators", {deal.source: quantity}, price)

    # ----- records -----------------------------------------------------------------------------
    def _record_market(self, market: str, quantity: dict[str, float], price: float) -> None:
        m = self
        step = m.t
        total = sum(quantity.values())
        shares = compute_shares(quantity) if total > 0 else dict.fromkeys(quantity, 0.0)
        for name in sorted(quantity):
            self._row("shares", step=step, market=market, firm=name,
                      quantity=quantity[name], share=shares[name],
                      value_usd_b=quantity[name] * price)
        hhi = compute_hhi([shares[k] for k in sorted(shares)]) if total > 0 else 0.0
        self._row("markets", step=step, market=market, hhi=hhi, price=price,
                  total_quantity=total, n_sellers=sum(1 for q in quantity.values() if q > 0))
        if market == "accelerators":  # one firms row per party a month (no balance sheets)
            for name in sorted(self.firms):
                self._row("firms", step=step, firm=name, cash_usd_b=0.0,
                          revenue_usd_b=quantity.get(name, 0.0) * price, valuation_usd_b=0.0,
                          deployed_gw=0.0, powered_gw=0.0)

    def _row(self, table: str, **values: Any) -> None:
        for key, value in values.items():
            self.cols[table][key].append(value)

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """The run's tables in the market's layout: shares, markets, firms (each party's monthly
        sales revenue only), deals, flows; empty physical and reviews (no physical layer, no
        regulator)."""
        tables = {name: dict(self.cols.get(name, {})) for name in ("shares", "markets", "firms")}
        tables["physical"] = {}
        tables["reviews"] = {}
        deals: dict[str, list] = defaultdict(list)
        for d in sorted(self.deals, key=lambda d: d.deal_id):
            row = {f.name: getattr(d, f.name) for f in dataclasses.fields(d)
                   if f.name not in ("tranches", "history")}
            row.update(kind=d.kind.value, status=d.status.value, parent_id=d.parent_id or "",
                       tranches=0, tranches_paid=0,
                       delivered_gw=self.delivered_by_deal.get(d.deal_id, 0.0),
                       rounds=self.negotiation_rounds.get(d.deal_id, 0),
                       history=" > ".join(f"{s}:{st.value}" for s, st in d.history))
            for key, value in row.items():
                deals[key].append(value)
        tables["deals"] = dict(deals)
        tables["flows"] = self.ledger.flows_columns()
        return _fill_required(tables)


def _fill_required(tables: dict[str, dict[str, list]]) -> dict[str, dict[str, list]]:
    """Give every non-empty table the market's required columns: a shares row is one firm
    (`firms_in_row` 1); a column the docking cases have no value for is null."""
    from experiments.run.results import ID_SCHEMA, SCHEMAS

    for name, schema in SCHEMAS.items():
        cols = tables.get(name) or {}
        rows = len(next(iter(cols.values()), []))
        if not rows:
            continue
        for key in schema:
            if key not in cols and key not in ID_SCHEMA and key != "date":
                cols[key] = [1 if key == "firms_in_row" else None] * rows
    return tables
