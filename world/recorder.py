"""Per-month records of the model, kept as columns (DESIGN 'Outputs').

The recorder reads the model after each month and appends to plain lists; the experiments
layer turns them into polars tables. Nothing here writes files.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from world.energy import energy_twh, homes_millions, twh_per_year
from world.market import compute_path_value
from world.market_power import (
    compute_accelerator_power,
    compute_circularity,
    compute_cloud_power,
    compute_pre_start_invested,
    compute_supplier_count,
)
from world.metrics import compute_hhi, compute_shares
from world.params import MARKETS

FRINGE_BY_MARKET = {
    "accelerators": "Other chips",
    "cloud": "Other clouds",
    "frontier_ai": "Other labs",
}


class Recorder:
    """Collects the shares, markets, firms, physical tables each month; deals, flows and
    reviews at the end."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.cols: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.cum_produced_gw = 0.0
        self.cum_delivered_gw = 0.0
        self.cum_fringe_gw = 0.0
        self.cum_tenant_usd_b: dict[str, float] = {}
        self.pre_start_invested: dict[tuple[str, str], float] | None = None

    def _row(self, table: str, **values: Any) -> None:
        cols = self.cols[table]
        for key, value in values.items():
            cols[key].append(value)

    def compute_market_quantities(self, delivered: dict[str, float], value: dict[str, float]):
        """Quantities and values per market participant this month.

        accelerators: GW delivered by designer (value: USD B paid); cloud: GW of deployed AI
        capacity by operator (value: at the lease price, per year); frontier_ai: revenue
        run-rate by lab, USD B/yr.
        """
        m = self.model
        out: dict[str, dict[str, tuple[float, float]]] = {}
        out["accelerators"] = {d: (delivered[d], value[d]) for d in m.designers}
        cloud: dict[str, tuple[float, float]] = {}
        price = m.cloud_price_usd_b_per_gw_year
        for firm in m.clouds + m.labs:
            gw = firm.compute_deployed_gw()
            cloud[firm.name] = (gw, gw * price)
        path = m.p.demand.fringe_cloud_gw
        fringe_gw = compute_path_value(path, m.now_idx)
        cloud[FRINGE_BY_MARKET["cloud"]] = (fringe_gw, fringe_gw * price)
        out["cloud"] = cloud
        out["frontier_ai"] = {k: (v, v) for k, v in sorted(m.frontier_revenue.items())}
        return out

    def update_record(
        self, produced: dict[str, float], delivered: dict[str, float], value: dict[str, float]
    ) -> None:
        """Append this month's rows."""
        m = self.model
        step = m.t
        quantities = self.compute_market_quantities(delivered, value)
        power = self._market_power(quantities)
        for market in MARKETS:
            q = quantities[market]
            total = sum(v[0] for v in q.values())
            if total <= 0:  # nothing traded this month: keep last month's shares
                shares = m.latest_shares.get(market) or {k: 1.0 / len(q) for k in q}
            else:
                shares = compute_shares({k: v[0] for k, v in q.items()})
            m.latest_shares[market] = shares
            for name in sorted(q):
                self._row(
                    "shares",
                    step=step,
                    market=market,
                    firm=name,
                    quantity=q[name][0],
                    share=shares.get(name, 0.0),
                    value_usd_b=q[name][1],
                )
            s = np.array([shares[k] for k in sorted(shares)])
            prices = {
                "accelerators": (sum(v[1] for v in q.values()) / total) if total > 0 else 0.0,
                "cloud": m.cloud_price_usd_b_per_gw_year,
                "frontier_ai": self._frontier_price(),
            }
            self._row(
                "markets",
                step=step,
                market=market,
                hhi=compute_hhi(s),
                mhhi=m.regulator.compute_market_mhhi(shares),
                price=prices[market],
                total_quantity=total,
                n_sellers=int((s > 0).sum()),
                **power[market],
            )
        powered = m.fleet.powered_gw(m.n_firms)
        pipeline = m.fleet.pipeline_gw(m.n_firms)
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
                **self._firm_power(name),
            )
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
            foundry_capacity=float(m.foundry_capacity),
            produced_gw=sum(produced.values()),
            delivered_gw=sum(delivered.values()),
            cum_produced_gw=self.cum_produced_gw,
            cum_delivered_gw=self.cum_delivered_gw,
            inventory_gw=sum(m.inventory.values()),
            backlog_gw=sum(m.compute_backlog_gw(d) for d in m.designers),
            wafer_requests=float(m.wafer_requests),
            installed_gw=sum(f.installed_total_gw for f in m.firms.values()),
            powered_gw=float(powered.sum()),
            deployed_gw=deployed,
            pipeline_gw=float(pipeline.sum()),
            acquired_site_gw=acquired,
            energy_twh=float(energy_twh(deployed)),
            energy_twh_per_year=float(twh_per_year(deployed)),
            homes_millions=float(homes_millions(deployed)),
        )

    def _market_power(self, quantities: dict) -> dict[str, dict]:
        """Market-power columns of the markets table (`world.market_power`)."""
        m = self.model
        accel = compute_accelerator_power(m, self.cum_fringe_gw)
        self.cum_fringe_gw = accel["fringe_cum_gw"]
        cloud_q = quantities["cloud"]
        cloud = compute_cloud_power(
            m,
            sum(v[0] for v in cloud_q.values()),
            cloud_q.get(FRINGE_BY_MARKET["cloud"], (0.0, 0.0))[0],
        )
        frontier = dict.fromkeys(accel, None)
        frontier["foreclosure_share"] = 0.0
        return {"accelerators": accel, "cloud": cloud, "frontier_ai": frontier}

    def _firm_power(self, name: str) -> dict[str, float]:
        """Circularity and supplier count columns of the firms table."""
        if self.pre_start_invested is None:
            self.pre_start_invested = compute_pre_start_invested(self.model)
        m = self.model
        self.cum_tenant_usd_b[name] = self.cum_tenant_usd_b.get(name, 0.0) + (
            m.other_tenant_gw.get(name, 0.0) * m.cloud_price_usd_b_per_gw_year / 12.0
        )
        circular, share = compute_circularity(
            m, name, self.pre_start_invested, self.cum_tenant_usd_b[name]
        )
        return {
            "circular_usd_b": circular,
            "circularity": share,
            "n_suppliers": compute_supplier_count(self.model, name),
        }

    def _frontier_price(self) -> float:
        m = self.model
        gw = sum(lab.compute_compute_gw() for lab in m.labs)
        rev = sum(m.frontier_revenue.get(lab.name, 0.0) for lab in m.labs)
        return rev / gw if gw > 0 else 0.0

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """All tables as columns; deals, flows and reviews are read from the model now.

        Rows carry `step` only: `experiments.run.results` derives the `date` column from it.
        """
        m = self.model
        tables = {k: dict(v) for k, v in self.cols.items()}
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
                history=" > ".join(f"{s}:{st.value}" for s, st in d.history),
            )
            for k, v in row.items():
                deals[k].append(v)
        tables["deals"] = dict(deals)
        tables["flows"] = m.ledger.flows_columns()
        reviews: dict[str, list] = defaultdict(list)
        keys = list(dict.fromkeys(k for r in m.reviews for k in r))  # one column per screen key
        for r in m.reviews:
            for k in keys:
                reviews[k].append(r.get(k))
        tables["reviews"] = dict(reviews)
        return tables
