"""Docking modes of the model: textbook special cases played by the model's own agents.

When `simulation.mode` is not ``market``, `ComputeMarketModel` hands each month to a
`DockingGame` instead of the full market. Everything else is switched off (no physical limits,
no fringe, no events, no regulator); what remains is the agents' decision rules, the market
functions of `world.market` and the bargaining mechanisms of `agents.negotiation`, so reaching
the closed forms checks that code (docking in the sense of Axtell, Axelrod, Epstein and Cohen
1996, "Aligning simulation models", Comput. Math. Organ. Theory 1(2)).

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

Like `world.model`, this module sits above `agents` (it builds agents); the leaf modules of
`world` still never import it. Outputs go to the same tables as the market mode: `shares` and
`markets` rows per month, the agreed deal in `deals`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from agents.cloud import CloudProvider
from agents.negotiation import AlternatingOffers, nash_bargain
from agents.vendor import ChipVendor
from world.contracts import Deal, DealBook, DealStatus
from world.ledger import Ledger
from world.market import compute_linear_demand_price
from world.metrics import compute_hhi, compute_shares
from world.params import FIRM_NAMES, DealKind, FirmParams, Mode, Role
from world.recorder import Recorder

WHOLESALE_ADJUSTMENT = 0.5
"""Fraction of the gap to its target wholesale price that the vendor closes each month."""
PROBE_USD = 1.0
"""Spacing of the two wholesale prices at which the vendor probes the cloud's reaction."""


def _names(params: Any, role: Role, count: int, fallback: str) -> list[str]:
    """Names for `count` agents of `role`: the scenario's firms of that role, then fallbacks."""
    named = [f for f in FIRM_NAMES if f in params.firms and params.firms[f].role is role]
    extra = [f"{fallback} {k}" for k in range(len(named) + 1, count + 1)]
    return (named + extra)[:count]


class DockingGame:
    """One textbook game played month by month by the model's agents.

    Args:
        model: the `ComputeMarketModel` in a docking mode (its `p`, `rng`, `t` are used).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        p = model.p
        self.mode = p.simulation.mode
        self.a, self.b = p.demand.intercept, p.demand.slope
        self.costs = list(p.vendors.marginal_costs)
        model.deals = DealBook()
        model.delivered_by_deal = {}
        model.negotiation_rounds = {}
        model.reviews = []
        self.cols: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        children = iter(model.rng.spawn(len(self.costs) + 1))
        n_vendors = len(self.costs) if self.mode is Mode.COURNOT else 1
        self.vendors = [
            ChipVendor(model, name, self._firm_params(name, Role.VENDOR), next(children))
            for name in _names(p, Role.VENDOR, n_vendors, "Vendor")
        ]
        self.cloud = None
        if self.mode is Mode.DOUBLE_MARGINALIZATION:
            name = _names(p, Role.CLOUD, 1, "Cloud")[0]
            self.cloud = CloudProvider(model, name, self._firm_params(name, Role.CLOUD),
                                       next(children))
        accounts = [a.name for a in self.vendors] + ([self.cloud.name] if self.cloud else [])
        model.ledger = Ledger(accounts)
        self.quantity = dict.fromkeys((v.name for v in self.vendors), 0.0)
        self.wholesale = self.costs[0]
        self.recorder = Recorder(model)

    def _firm_params(self, name: str, role: Role) -> FirmParams:
        return self.model.p.firms.get(name) or FirmParams(role=role)

    # ----- the month ---------------------------------------------------------------------------
    def step(self) -> None:
        """Play one month of the game and record it."""
        if self.mode is Mode.COURNOT:
            self._step_cournot()
        elif self.mode is Mode.DOUBLE_MARGINALIZATION:
            self._step_double_marginalization()
        elif self.model.t == 0:
            self._bargain()

    def _step_cournot(self) -> None:
        order = self.model.rng.permutation(len(self.vendors))
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
        if self.model.p.vendors.integrated:
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
        neg = self.model.p.negotiation
        seller = _names(self.model.p, Role.VENDOR, 1, "Seller")[0]
        buyer = next(
            (f for f in FIRM_NAMES if f in self.model.p.firms and f != seller), "Buyer"
        )
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
            deal_id=self.model.deals.next_id(self.mode.value[:3].upper()),
            kind=DealKind.SUPPLY,
            source=seller,
            target=buyer,
            status=DealStatus.DEFINITIVE if agreed else DealStatus.ABANDONED,
            step_proposed=self.model.t,
            value_usd_b=value if agreed else 0.0,
            binding=agreed,
        )
        self.model.deals.add(deal)
        self.model.negotiation_rounds[deal.deal_id] = rounds

    # ----- records -----------------------------------------------------------------------------
    def _record_market(self, market: str, quantity: dict[str, float], price: float) -> None:
        m = self.model
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

    def _row(self, table: str, **values: Any) -> None:
        for key, value in values.items():
            self.cols[table][key].append(value)

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """The run's tables in the market mode's layout (empty physical, firms and flows)."""
        tables = self.recorder.compute_tables()
        for name in ("shares", "markets", "firms", "physical"):
            tables[name] = dict(self.cols.get(name, {}))
        return tables
