"""This month's quantities and shares of each market, as the market view reports them.

The rows are read from the market components (`ChipMarket`, `CloudMarket`, `FrontierDemand`)
and the fringe (`world.fringe`), never written to. What each market counts (docs/outputs.md
'Markets'):

- `accelerators`: GW of accelerators delivered this month by designer, merchant sales and
  in-house designs alike (Trainium to Amazon, OpenAI's chip to OpenAI): in-house designs take
  the same packaging capacity and replace purchases, as in the facts' share definitions
  ('Nvidia share of all AI chips (incl. custom)'). Value: USD B paid (in-house: 0).
- `cloud`: GW of merchant AI cloud capacity deployed (the named clouds and the fringe
  clouds); a lab's own datacenters are captive (nobody else can rent them) and are left out
  (`captive_gw` reports them). Value: GW x the lease price, USD B per year.
- `frontier_ai`: AI-services revenue by lab, USD B per year (price x served compute).

The fringe rows are split among the named fringe firms and the remainder row of small firms.

Two readings are kept, each with what invalidates it: the accelerators' rows with the
deliveries list they were counted from (`compute_quantities`), and, while a phase that moves
no quantity runs, each market's shares from their first reading (`update_hold_shares`). The
last shares of a market are kept for a month in which nothing is traded (`compute_shares`).
"""

from __future__ import annotations

from typing import Any

from world.metrics import compute_shares


class MarketShares:
    """Quantities and shares of the markets of one model, read through `world.view.MarketView`.

    Args:
        model: the model whose components are read (never mutated).
    """

    def __init__(self, model: Any) -> None:
        self._m = model
        self._last_shares: dict[str, dict[str, float]] = {}
        """Market -> its shares in the last month anything was traded in it."""
        self._accelerator_rows: tuple[Any, int, dict[str, tuple[float, float]]] = (None, -1, {})
        """(the deliveries list read, its length, the accelerators' rows from it)."""
        self._held_shares: dict[str, dict[str, float]] | None = None
        """Market -> shares kept while a phase that moves no quantity reads them
        (`update_hold_shares`); None outside such a phase."""

    def compute_quantities(self, market: str) -> dict[str, tuple[float, float]]:
        """Row -> (quantity, value) this month in `market` (module docstring for what each
        market counts, in which units).

        The accelerators' rows are kept with the deliveries they were read from: each month's
        deliveries are a new list (`ChipMarket.update_deliver`), only appended to, of
        immutable items, so the same list at the same length gives the same rows (read by the
        vendors' offers in the next month's decisions as well as by the records)."""
        if market == "accelerators" and (self._m.textbook is None
                                         or market not in self._m.textbook.markets):
            deliveries = self._m.chips.deliveries
            kept, size, rows = self._accelerator_rows
            if kept is not deliveries or size != len(deliveries):
                rows = self._compute_quantities(market)
                self._accelerator_rows = (deliveries, len(deliveries), rows)
            return dict(rows)
        return self._compute_quantities(market)

    def _compute_quantities(self, market: str) -> dict[str, tuple[float, float]]:
        """`compute_quantities` read afresh."""
        m = self._m
        if m.textbook is not None and market in m.textbook.markets:  # a docking case's market
            return m.textbook.compute_quantities(market)
        fringe = m.fringe[market]
        if market == "accelerators":
            rows = dict.fromkeys(m.designers, 0.0)
            paid = dict.fromkeys(m.designers, 0.0)
            for item in m.chips.deliveries:
                rows[item.designer] += item.gw
                if item.buyer != item.designer:
                    paid[item.designer] += item.gw * item.price_usd_b_per_gw
            out = {d: (rows[d], paid[d]) for d in m.designers if d != fringe.remainder}
            base = rows.get(fringe.remainder, 0.0)
            price = paid.get(fringe.remainder, 0.0) / base if base > 0 else 0.0
        elif market == "cloud":
            price = m.cloud.price_usd_b_per_gw_year
            out = {}
            for c in m.clouds:  # deployed GW read once per cloud
                gw = c.compute_deployed_gw()
                out[c.name] = (gw, gw * price)
            base = m.cloud.fringe_supply_gw
        else:
            revenue = dict(m.frontier.revenue_usd_b_per_year)
            out = {k: (v, v) for k, v in revenue.items() if k != fringe.remainder}
            base = revenue.get(fringe.remainder, 0.0)
            price = 1.0
        if m.has_fringe:  # `[components] fringe = false`: no fringe rows
            for name, q in fringe.compute_split(base).items():
                out[name] = (q, q * price)
        return dict(sorted(out.items()))

    def compute_shares(
        self, market: str, quantities: dict[str, tuple[float, float]] | None = None
    ) -> dict[str, float]:
        """Row -> share of `market` this month (sums to 1); a month with nothing traded keeps
        the last shares (equal shares before any trade). `quantities`: this month's
        `compute_quantities(market)` if already at hand. While shares are held
        (`update_hold_shares`) a market's shares are computed at their first reading and
        then handed out as they are (callers must not mutate them)."""
        held = self._held_shares
        if held is not None and quantities is None:
            shares = held.get(market)
            if shares is None:
                q = self.compute_quantities(market)
                shares = held[market] = self.compute_shares(market, q)
            return shares
        q = self.compute_quantities(market) if quantities is None else quantities
        total = sum(v[0] for v in q.values())
        if total > 0:
            shares = compute_shares({k: v[0] for k, v in q.items()})
            self._last_shares[market] = shares
        else:
            shares = self._last_shares.get(market) or {k: 1.0 / len(q) for k in q}
        return shares

    def update_hold_shares(self, hold: bool) -> None:
        """Start (`hold`) or end a stretch in which no quantity the shares are read from
        moves (chip deliveries, deployed cloud capacity, AI revenue: the deal phase only
        changes deals, stakes and money): each market's shares are computed at their first
        reading in it and kept until it ends. Ending it drops them."""
        self._held_shares = {} if hold else None
