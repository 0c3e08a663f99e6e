"""Per-month records of the model, kept as columns (docs/odd.md).

The recorder reads the model after each month and appends to plain lists; the experiments
layer turns them into polars tables. Nothing here writes files.
"""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
from typing import Any

import numpy as np

from world.energy import energy_twh, homes_millions, twh_per_year
from world.market_power import (
    compute_accelerator_power,
    compute_circularity,
    compute_cloud_power,
    compute_pre_start_invested,
    compute_supplier_counts,
)
from world.params import MARKETS


class Recorder:
    """Collects the shares, markets, firms, physical tables each month; deals, flows and
    reviews at the end."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        """Table -> its rows so far (turned into columns by `compute_tables`)."""
        self.cum_produced_gw = 0.0
        self.cum_delivered_gw = 0.0
        self.cum_fringe_gw = 0.0
        self.cum_tenant_usd_b: dict[str, float] = {}
        self.pre_start_invested: dict[tuple[str, str], float] | None = None

    def _row(self, table: str, **values: Any) -> None:
        self.rows[table].append(values)

    def _columns(self) -> dict[str, dict[str, list]]:
        """The monthly tables as columns, in the order their columns were first recorded."""
        tables: dict[str, dict[str, list]] = {}
        for table, rows in self.rows.items():
            keys = list(rows[0])
            if any(len(r) != len(keys) for r in rows):  # not every row has every column
                keys = list(dict.fromkeys(k for r in rows for k in r))
                tables[table] = {k: [r.get(k) for r in rows] for k in keys}
            else:
                tables[table] = {k: list(map(itemgetter(k), rows)) for k in keys}
        return tables

    def update_record(
        self, produced: dict[str, float], delivered: dict[str, float], value: dict[str, float]
    ) -> None:
        """Append this month's rows (reads the model and its market view; writes nothing)."""
        self._record_markets()
        powered = self.model.fleet.powered_gw(self.model.n_firms)
        pipeline = self.model.fleet.pipeline_gw(self.model.n_firms)
        self._record_firms(powered, pipeline)
        self._record_physical(produced, delivered, powered, pipeline)

    def _record_markets(self) -> None:
        """The month's `shares` rows (one per market and seller) and `markets` rows."""
        m = self.model
        view = m.view
        step = m.t
        quantities = {market: view.compute_quantities(market) for market in MARKETS}
        power = self._market_power(quantities)
        prices = {
            "accelerators": None,
            "cloud": view.lease_price_usd_b_per_gw_year,
            "frontier_ai": view.ai_price_usd_b_per_gw_year,
        }
        rows = self.rows["shares"]
        for market in MARKETS:
            q = quantities[market]
            total = sum(v[0] for v in q.values())
            shares = view.compute_shares(market, q)
            in_row = {name: view.compute_firms_in_row(market, name) for name in q}
            for name in sorted(q):
                rows.append({
                    "step": step,
                    "market": market,
                    "firm": name,
                    "quantity": q[name][0],
                    "share": shares.get(name, 0.0),
                    "value_usd_b": q[name][1],
                    "firms_in_row": in_row[name],
                })
            price = prices[market]
            if m.textbook is not None and market in m.textbook.markets:
                price = None  # a docking case's market: its price is value / quantity
            if price is None:
                price = (sum(v[1] for v in q.values()) / total) if total > 0 else 0.0
            hhi = view.compute_hhi(market, shares)
            self._row(
                "markets",
                step=step,
                market=market,
                hhi=hhi,
                mhhi=m.regulator.compute_market_mhhi(market, shares, hhi),
                price=price,
                total_quantity=total,
                n_sellers=int(sum(1 for s in shares.values() if s > 0)),
                n_firms=sum(in_row[k] if k in in_row else view.compute_firms_in_row(market, k)
                            for k, s in shares.items() if s > 0),
                captive_gw=view.compute_captive_gw(market),
                **power[market],
            )

    def _record_firms(self, powered: Any, pipeline: Any) -> None:
        """The month's `firms` rows, one per named firm."""
        m = self.model
        step = m.t
        suppliers = compute_supplier_counts(m)
        for name in m.firm_names:
            f = m.firms[name]
            i = m.firm_index[name]
            self._row(
                "firms",
                step=step,
                firm=name,
                role=f.role,
                cash_usd_b=f.cash_usd_b,
                debt_usd_b=f.debt_usd_b,
                revenue_usd_b=f.month_revenue_usd_b,
                costs_usd_b=f.month_cost_usd_b,
                revenue_usd_b_per_year=12.0 * f.month_revenue_usd_b,
                valuation_usd_b=f.valuation_usd_b,
                deployed_gw=min(f.installed_total_gw, float(powered[i])),
                powered_gw=float(powered[i]),
                installed_gw=f.installed_total_gw,
                pipeline_gw=float(pipeline[i]),
                compute_gw=f.compute_compute_gw() if f.role == "lab" else 0.0,
                **m.capital.compute_firm_columns(f),
                **self._firm_power(name, suppliers),
            )

    def _record_physical(
        self,
        produced: dict[str, float],
        delivered: dict[str, float],
        powered: Any,
        pipeline: Any,
    ) -> None:
        """The month's `physical` row (updates the cumulative chip counters it reports)."""
        m = self.model
        view = m.view
        step = m.t
        supply = m.deals.live_supply()  # what `model.compute_backlog_gw` reads
        self.cum_produced_gw += sum(produced.values())
        self.cum_delivered_gw += sum(delivered.values())
        deployed = sum(
            min(m.firms[n].installed_total_gw, float(powered[m.firm_index[n]]))
            for n in m.firm_names
        )
        acquired = float(m.sites.acquired_power_gw(m.n_firms).sum())
        self._row(
            "physical",
            step=step,
            foundry_capacity=float(m.chips.foundry_capacity),
            produced_gw=sum(produced.values()),
            delivered_gw=sum(delivered.values()),
            cum_produced_gw=self.cum_produced_gw,
            cum_delivered_gw=self.cum_delivered_gw,
            inventory_gw=sum(m.chips.inventory.values()),
            backlog_gw=sum(m.chips.compute_backlog_gw(d, supply) for d in m.designers),
            cancelled_gw=m.chips.cancelled_gw,
            deferred_gw=m.chips.deferred_gw,
            wafer_requests=float(m.chips.wafer_requests),
            installed_gw=sum(f.installed_total_gw for f in m.firms.values()),
            powered_gw=float(powered.sum()),
            deployed_gw=deployed,
            pipeline_gw=float(pipeline.sum()),
            acquired_site_gw=acquired,
            energy_twh=float(energy_twh(deployed)),
            energy_twh_per_year=float(twh_per_year(deployed)),
            homes_millions=float(homes_millions(deployed)),
            demand_index=view.demand_index,
            ai_demand_gw=m.frontier.compute_demand_gw(),
            fringe_lab_gw=m.frontier.compute_fringe_lab_gw(),
            fringe_cloud_gw=m.cloud.fringe_supply_gw,
            tenant_gw=sum(m.cloud.tenant_gw.values()),
            nvidia_price_usd_b_per_gw=self._finite(view.compute_chip_price_usd_b_per_gw("Nvidia")),
            amd_price_usd_b_per_gw=self._finite(view.compute_chip_price_usd_b_per_gw("AMD")),
        )

    @staticmethod
    def _finite(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    def _market_power(self, quantities: dict) -> dict[str, dict]:
        """Market-power columns of the markets table (`world.market_power`)."""
        m = self.model
        accel = compute_accelerator_power(m, self.cum_fringe_gw)
        self.cum_fringe_gw = accel["fringe_cum_gw"]
        cloud_q = quantities["cloud"]
        cloud = compute_cloud_power(
            m, sum(v[0] for v in cloud_q.values()), m.cloud.fringe_supply_gw
        )
        frontier = dict.fromkeys(accel, None)
        frontier["foreclosure_share"] = 0.0
        return {"accelerators": accel, "cloud": cloud, "frontier_ai": frontier}

    def _firm_power(self, name: str, suppliers: dict[str, int]) -> dict[str, float]:
        """Circularity and supplier count columns of the firms table (`suppliers`: this
        month's `compute_supplier_counts`)."""
        if self.pre_start_invested is None:
            self.pre_start_invested = compute_pre_start_invested(self.model)
        m = self.model
        self.cum_tenant_usd_b[name] = self.cum_tenant_usd_b.get(name, 0.0) + (
            m.cloud.tenant_gw.get(name, 0.0) * m.view.lease_price_usd_b_per_gw_year / 12.0
        )
        circular, share = compute_circularity(
            m, name, self.pre_start_invested, self.cum_tenant_usd_b[name]
        )
        return {
            "circular_usd_b": circular,
            "circularity": share,
            "n_suppliers": suppliers.get(name, 0),
        }

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """All tables as columns; deals, flows and reviews are read from the model now.

        Rows carry `step` only: `experiments.run.results` derives the `date` column from it.
        """
        m = self.model
        tables = self._columns()
        deals: dict[str, list] = defaultdict(list)
        for d in sorted(m.deals, key=lambda d: d.deal_id):
            row = dict(
                deal_id=d.deal_id,
                kind=d.kind.value,
                source=d.source,
                target=d.target,
                status=d.status.value,
                step_proposed=d.step_proposed,
                step_signed=d.step_signed,
                step_closed=d.step_closed,
                value_usd_b=d.value_usd_b,
                gw=d.gw,
                equity_pct=d.equity_pct,
                binding=d.binding,
                exclusive=d.exclusive,
                voting=d.voting,
                price_usd_b_per_gw=d.price_usd_b_per_gw,
                duration_months=d.duration_months,
                start_step=d.start_step,
                valuation_usd_b=d.valuation_usd_b,
                origin=d.origin,
                parent_id=d.parent_id or "",
                tranches=len(d.tranches),
                tranches_paid=sum(1 for t in d.tranches if t.paid_step is not None),
                delivered_gw=m.delivered_by_deal.get(d.deal_id, 0.0),
                rounds=m.negotiation_rounds.get(d.deal_id, 0),
                surplus_usd_b=d.surplus_usd_b,
                disagreement_source_usd_b=d.disagreement_source_usd_b,
                disagreement_target_usd_b=d.disagreement_target_usd_b,
                history=" > ".join(f"{s}:{st.value}" for s, st in d.history),
                **m.capital.compute_deal_columns(d.deal_id),
            )
            for k, v in row.items():
                deals[k].append(v)
        tables["deals"] = dict(deals)
        tables["flows"] = m.ledger.flows_columns()
        reviews: dict[str, list] = defaultdict(list)
        rows = m.regulator.reviews  # the regulator's record
        keys = list(dict.fromkeys(k for r in rows for k in r))  # one column per screen key
        for r in rows:
            for k in keys:
                reviews[k].append(r.get(k))
        tables["reviews"] = dict(reviews)
        return tables
