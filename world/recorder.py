"""Per-month records of the model, kept as columns (docs/odd.md).

The recorder reads the model after each month and keeps what it read as plain tuples, one per
row; `compute_tables` turns them into columns at the end. What follows from a month's
records alone (the shares rows, each market's HHI, MHHI, number of sellers and firms) is
computed there too, from the month's shares and the stake holdings of that month (a snapshot
taken only when the holdings have changed). Nothing here writes files or changes the model.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from world.capital import FIRM_COLUMNS
from world.contracts import Deal
from world.energy import energy_twh, homes_millions, twh_per_year
from world.market_power import (
    POWER_COLUMNS,
    StakeLinks,
    compute_accelerator_power_path,
    compute_circularity,
    compute_cloud_power,
    compute_pre_start_invested,
    compute_supplier_counts,
    compute_tied_deliveries,
)
from world.params import MARKETS
from world.screens import compute_firms_mhhi_path

SHARES_COLUMNS = ("step", "market", "firm", "quantity", "share", "value_usd_b", "firms_in_row")
MARKETS_COLUMNS = ("step", "market", "hhi", "mhhi", "price", "total_quantity", "n_sellers",
                   "n_firms", "captive_gw")
FIRMS_COLUMNS = ("step", "firm", "role", "cash_usd_b", "debt_usd_b", "revenue_usd_b",
                 "costs_usd_b", "revenue_usd_b_per_year", "valuation_usd_b", "deployed_gw",
                 "powered_gw", "installed_gw", "pipeline_gw", "compute_gw")
FIRM_POWER_COLUMNS = ("circular_usd_b", "circularity", "n_suppliers")
PHYSICAL_COLUMNS = (
    "step", "foundry_capacity", "produced_gw", "delivered_gw", "cum_produced_gw",
    "cum_delivered_gw", "inventory_gw", "backlog_gw", "cancelled_gw", "deferred_gw",
    "wafer_requests", "installed_gw", "powered_gw", "deployed_gw", "pipeline_gw",
    "acquired_site_gw", "energy_twh", "energy_twh_per_year", "homes_millions", "demand_index",
    "ai_demand_gw", "fringe_lab_gw", "fringe_cloud_gw", "tenant_gw",
    "nvidia_price_usd_b_per_gw", "amd_price_usd_b_per_gw",
)
DEAL_COLUMNS = (
    "deal_id", "kind", "source", "target", "status", "step_proposed", "step_signed",
    "step_closed", "value_usd_b", "gw", "equity_pct", "binding", "exclusive", "voting",
    "price_usd_b_per_gw", "duration_months", "start_step", "valuation_usd_b", "origin",
    "parent_id", "tranches", "tranches_paid", "delivered_gw", "rounds", "surplus_usd_b",
    "disagreement_source_usd_b", "disagreement_target_usd_b", "history",
)
LEAN_OMITS: dict[str, frozenset[str]] = {
    "shares": frozenset({"firms_in_row"}),
    "markets": frozenset({"n_firms"}),
    "physical": frozenset({"energy_twh", "energy_twh_per_year", "homes_millions"}),
}
"""Columns a lean reading of the monthly tables leaves out (`Recorder.compute_monthly_tables`:
the paired comparison's path; no outcome series reads them)."""
RECORDED_PHYSICAL = tuple(c for c in PHYSICAL_COLUMNS if c not in (
    "energy_twh", "energy_twh_per_year", "homes_millions"))
"""The physical columns kept each month (the energy columns follow from `deployed_gw`)."""
_FRONTIER_POWER = (0.0, *(None for _ in POWER_COLUMNS[1:]))
"""The frontier-AI market's power columns (no tied sales: foreclosure 0, the rest empty)."""


class Recorder:
    """Collects the shares, markets, firms, physical tables each month; deals, flows and
    reviews at the end."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.cum_produced_gw = 0.0
        self.cum_delivered_gw = 0.0
        self.cum_tenant_usd_b: dict[str, float] = {}
        self.pre_start_invested: dict[tuple[str, str], float] | None = None
        self.links = StakeLinks(model)
        """Affiliations and tied contracts, kept while the holdings are unchanged."""
        self._stakes: tuple[tuple, Any] = ((), None)
        """(`StakeRegistry.compute_holdings_key`, a snapshot of those holdings): the holdings
        each month's MHHI is computed from (`compute_tables`), taken again when the key no
        longer names the registry's holdings."""
        self._markets: list[tuple] = []
        """Per market and month: step, market, quantities, shares, price, total quantity,
        captive GW, the market-power values, the holdings snapshot."""
        self._deliveries: list[tuple] = []
        """Per month: month index, the chip deliveries, which are tied, the holdings snapshot
        (`world.market_power.compute_accelerator_power_path`)."""
        self._firms: list[tuple] = []
        self._firm_keys: tuple[str, ...] = ()
        """The firms table's columns after `FIRMS_COLUMNS`: the capital columns
        (`world.capital.FIRM_COLUMNS`), then `FIRM_POWER_COLUMNS` (set on the first record)."""
        self._physical: list[tuple] = []
        self._suppliers: tuple[tuple[int, int], dict[str, int]] = ((-1, -1), {})
        """`compute_supplier_counts` under the key (`Deal.changes`, number of deals): it
        reads the live deals' parties, kinds and statuses only, which cannot change without
        moving the key."""
        self._acquired: tuple[bytes, bytes, float] = (b"", b"", 0.0)
        """The acquired sites' power under the bytes of the sites' owners and used power (the
        columns of the pool that change; `world.sites.SitePool._typical_of`)."""

    def update_record(
        self, produced: dict[str, float], delivered: dict[str, float], value: dict[str, float]
    ) -> None:
        """Keep this month's rows (reads the model and its market view; writes nothing)."""
        self._record_markets()
        powered = self.model.fleet.powered_gw(self.model.n_firms)
        pipeline = self.model.fleet.pipeline_gw(self.model.n_firms)
        deployed = self._record_firms(powered, pipeline)
        self._record_physical(produced, delivered, powered, pipeline, deployed)

    def _holdings(self) -> Any:
        """The stake holdings as they are now, a snapshot kept until the next change."""
        stakes = self.model.stakes
        key, snapshot = self._stakes
        if not stakes.is_holdings_key(key):
            snapshot = stakes.compute_snapshot()
            self._stakes = (stakes.compute_holdings_key(), snapshot)
        return snapshot

    def _record_markets(self) -> None:
        """The month's quantities, shares and market-power values of each market (the rows
        of `shares` and `markets` are built from them in `compute_tables`)."""
        m = self.model
        view = m.view
        step = m.t
        quantities = {market: view.compute_quantities(market) for market in MARKETS}
        holdings = self._holdings()
        power = self._market_power(quantities, holdings)
        prices = {
            "accelerators": None,
            "cloud": view.lease_price_usd_b_per_gw_year,
            "frontier_ai": view.ai_price_usd_b_per_gw_year,
        }
        for market in MARKETS:
            q = quantities[market]
            total = sum(v[0] for v in q.values())
            shares = view.compute_shares(market, q)
            price = prices[market]
            if m.textbook is not None and market in m.textbook.markets:
                price = None  # a docking case's market: its price is value / quantity
            if price is None:
                price = (sum(v[1] for v in q.values()) / total) if total > 0 else 0.0
            self._markets.append((step, market, q, shares, price, total,
                                  view.compute_captive_gw(market),
                                  power[market], holdings))

    def _record_firms(self, powered: Any, pipeline: Any) -> list[Any]:
        """The month's `firms` rows, one per named firm; returns their deployed GW."""
        m = self.model
        step = m.t
        key = (Deal.changes, len(m.deals))
        if self._suppliers[0] != key:
            self._suppliers = (key, compute_supplier_counts(m))
        suppliers = self._suppliers[1]
        if self.pre_start_invested is None:
            self.pre_start_invested = compute_pre_start_invested(m)
        powered_l = np.asarray(powered, dtype=float).tolist()  # Python floats, as float(x)
        pipeline_l = np.asarray(pipeline, dtype=float).tolist()
        tenant_gw = m.cloud.tenant_gw
        lease_price = m.view.lease_price_usd_b_per_gw_year
        capital_row, pre_start = m.capital.compute_firm_row, self.pre_start_invested
        cum_tenant, firms, index, rows = self.cum_tenant_usd_b, m.firms, m.firm_index, self._firms
        self._firm_keys = (*FIRM_COLUMNS, *FIRM_POWER_COLUMNS)
        deployed_all = []
        for name in m.firm_names:
            f = firms[name]
            i = index[name]
            tenant = cum_tenant[name] = cum_tenant.get(name, 0.0) + (
                tenant_gw.get(name, 0.0) * lease_price / 12.0
            )
            circular, share = compute_circularity(m, name, pre_start, tenant)
            installed = f.installed_total_gw
            deployed = min(installed, powered_l[i])
            deployed_all.append(deployed)
            revenue = f.month_revenue_usd_b
            role = f.role
            rows.append((
                step, name, role, f.cash_usd_b, f.debt_usd_b, revenue, f.month_cost_usd_b,
                12.0 * revenue, f.valuation_usd_b, deployed, powered_l[i], installed,
                pipeline_l[i], f.compute_compute_gw() if role == "lab" else 0.0,
                *capital_row(f), circular, share, suppliers.get(name, 0),
            ))
        return deployed_all

    def _record_physical(
        self,
        produced: dict[str, float],
        delivered: dict[str, float],
        powered: Any,
        pipeline: Any,
        deployed_by_firm: list[Any],
    ) -> None:
        """The month's `physical` row (updates the cumulative chip counters it reports);
        `deployed_by_firm`: the firms rows' deployed GW, in `firm_names` order."""
        m = self.model
        view = m.view
        chips = m.chips
        supply = m.deals.live_supply()  # what `model.compute_backlog_gw` reads
        produced_gw, delivered_gw = sum(produced.values()), sum(delivered.values())
        self.cum_produced_gw += produced_gw
        self.cum_delivered_gw += delivered_gw
        deployed = sum(deployed_by_firm)
        self._physical.append((
            m.t,
            float(chips.foundry_capacity),
            produced_gw,
            delivered_gw,
            self.cum_produced_gw,
            self.cum_delivered_gw,
            sum(chips.inventory.values()),
            sum(chips.compute_backlog_gw(d, supply) for d in m.designers),
            chips.cancelled_gw,
            chips.deferred_gw,
            float(chips.wafer_requests),
            sum(f.installed_total_gw for f in m.firms.values()),
            float(powered.sum()),
            deployed,
            float(pipeline.sum()),
            self._compute_acquired_site_gw(),
            view.demand_index,
            m.frontier.compute_demand_gw(),
            m.frontier.compute_fringe_lab_gw(),
            m.cloud.fringe_supply_gw,
            sum(m.cloud.tenant_gw.values()),
            view.compute_chip_price_usd_b_per_gw("Nvidia"),
            view.compute_chip_price_usd_b_per_gw("AMD"),
        ))

    def _compute_acquired_site_gw(self) -> float:
        """Grid power of the sites the firms hold, GW (`SitePool.acquired_power_gw`)."""
        sites = self.model.sites
        owner, used = sites.owner.tobytes(), sites.used_gw.tobytes()
        if self._acquired[0] != owner or self._acquired[1] != used:
            gw = float(sites.acquired_power_gw(self.model.n_firms).sum())
            self._acquired = (owner, used, gw)
        return self._acquired[2]

    def _compute_physical_columns(self, lean: bool = False) -> dict[str, list]:
        """The `physical` table: the monthly records, with the energy columns of the deployed
        GW (`world.energy`, elementwise) and the chip prices (None when there is no price);
        `lean`: without the energy columns."""
        cols = dict(zip(RECORDED_PHYSICAL, map(list, zip(*self._physical, strict=True)),
                        strict=True))
        for name in ("nvidia_price_usd_b_per_gw", "amd_price_usd_b_per_gw"):
            cols[name] = [float(x) if np.isfinite(x) else None for x in cols[name]]
        if lean:
            omit = LEAN_OMITS["physical"]
            return {name: cols[name] for name in PHYSICAL_COLUMNS if name not in omit}
        deployed = np.asarray(cols["deployed_gw"], dtype=float)
        cols["energy_twh"] = np.asarray(energy_twh(deployed), dtype=float).tolist()
        cols["energy_twh_per_year"] = np.asarray(twh_per_year(deployed), dtype=float).tolist()
        cols["homes_millions"] = np.asarray(homes_millions(deployed), dtype=float).tolist()
        return {name: cols[name] for name in PHYSICAL_COLUMNS}

    def _market_power(self, quantities: dict, holdings: Any) -> dict[str, tuple | None]:
        """Market-power columns of the markets table (`world.market_power`), in
        `POWER_COLUMNS` order; the accelerators' are computed at the end from the month's
        deliveries kept here (`compute_accelerator_power_path`)."""
        m = self.model
        self._deliveries.append((m.now_idx, tuple(m.chips.deliveries),
                                 compute_tied_deliveries(m, self.links), holdings))
        cloud_q = quantities["cloud"]
        cloud = compute_cloud_power(
            m, sum(v[0] for v in cloud_q.values()), m.cloud.fringe_supply_gw, self.links
        )
        return {"accelerators": None, "cloud": tuple([cloud[k] for k in POWER_COLUMNS]),
                "frontier_ai": _FRONTIER_POWER}

    def _compute_market_columns(self, lean: bool = False) -> dict[str, dict[str, list]]:
        """The `shares` and `markets` tables from the monthly records: a market's HHI counts
        the fringe's small firms as firms (`view.compute_hhi`), its MHHI reads the holdings of
        its month (`world.screens.compute_firms_mhhi_path`). `lean`: without the columns
        that count the firms behind the rows (`LEAN_OMITS`; the other lists are the same)."""
        if not self._markets:
            return {}
        view = self.model.view
        # market -> row -> firms it stands for (the fringe is fixed for the run)
        in_row: dict[str, dict[str, int]] = {market: {} for market in MARKETS}
        steps, markets, firms, quantity, share, value, n_in_row = ([] for _ in range(7))
        hhi = []
        for step, market, q, shares, *_ in self._markets:
            names = sorted(q)
            rows = [q[name] for name in names]
            steps += [step] * len(names)
            markets += [market] * len(names)
            firms += names
            quantity += [r[0] for r in rows]
            share += [shares.get(name, 0.0) for name in names]
            value += [r[1] for r in rows]
            hhi.append(view.compute_hhi(market, shares))
            if not lean:
                known = in_row[market]
                for name in names:
                    if name not in known:
                        known[name] = view.compute_firms_in_row(market, name)
                n_in_row += [known[name] for name in names]
        mhhi = self._compute_mhhi_column(hhi)
        accel = compute_accelerator_power_path(self._deliveries, self.model.catalog)
        accel_rows = iter(zip(*(accel[k] for k in POWER_COLUMNS), strict=True))
        rows = []  # one tuple per market and month, turned into columns at once below
        for k, (step, market, q, shares, price, total, captive, power, _) in enumerate(
            self._markets
        ):
            if power is None:
                power = next(accel_rows)
            selling = [r for r, s in shares.items() if s > 0]
            known = in_row[market]
            n_firms = None if lean else sum([
                known[r] if r in q else view.compute_firms_in_row(market, r) for r in selling])
            rows.append((step, market, hhi[k], mhhi[k], price, total, len(selling), n_firms,
                         captive, *power))
        tables = {
            "shares": dict(zip(SHARES_COLUMNS, (steps, markets, firms, quantity, share, value,
                                                n_in_row), strict=True)),
            "markets": dict(zip((*MARKETS_COLUMNS, *POWER_COLUMNS),
                                map(list, zip(*rows, strict=True)), strict=True)),
        }
        for table, omit in LEAN_OMITS.items() if lean else ():
            if table in tables:
                tables[table] = {k: v for k, v in tables[table].items() if k not in omit}
        return tables

    def _compute_mhhi_column(self, hhi: list[float]) -> list[float]:
        """The markets table's MHHI, row by row (`world.screens.compute_firms_mhhi_path` of
        each market's months, with their holdings and HHI of the firms `hhi`)."""
        mhhi = [0.0] * len(hhi)
        for market in MARKETS:
            at = [k for k, rec in enumerate(self._markets) if rec[1] == market]
            path = compute_firms_mhhi_path([self._markets[k][3] for k in at],
                                           [self._markets[k][8] for k in at],
                                           [hhi[k] for k in at])
            for k, v in zip(at, path, strict=True):
                mhhi[k] = v
        return mhhi

    def compute_monthly_tables(self, lean: bool = False) -> dict[str, dict[str, list]]:
        """The monthly tables as columns (a table with no rows yet is absent). `lean`: leave
        out the columns of `LEAN_OMITS` (the ones that cost most to build and no outcome
        series reads); every other column is the same list."""
        tables = self._compute_market_columns(lean)
        if self._firms:
            keys = (*FIRMS_COLUMNS, *self._firm_keys)
            tables["firms"] = dict(zip(keys, map(list, zip(*self._firms, strict=True)),
                                       strict=True))
        if self._physical:
            tables["physical"] = self._compute_physical_columns(lean)
        return tables

    def _deal_row(self, d: Any) -> tuple:
        """One row of the `deals` table (`DEAL_COLUMNS`, then the capital's deal columns)."""
        m = self.model
        return (
            d.deal_id, d.kind.value, d.source, d.target, d.status.value, d.step_proposed,
            d.step_signed, d.step_closed, d.value_usd_b, d.gw, d.equity_pct, d.binding,
            d.exclusive, d.voting, d.price_usd_b_per_gw, d.duration_months, d.start_step,
            d.valuation_usd_b, d.origin, d.parent_id or "", len(d.tranches),
            sum(1 for t in d.tranches if t.paid_step is not None),
            m.delivered_by_deal.get(d.deal_id, 0.0), m.negotiation_rounds.get(d.deal_id, 0),
            d.surplus_usd_b, d.disagreement_source_usd_b, d.disagreement_target_usd_b,
            " > ".join(f"{s}:{st.value}" for s, st in d.history),
            *m.capital.compute_deal_columns(d.deal_id).values(),
        )

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """All tables as columns; deals, flows and reviews are read from the model now.

        Rows carry `step` only: `experiments.run.results` derives the `date` column from it.
        """
        m = self.model
        tables = self.compute_monthly_tables()
        rows = [self._deal_row(d) for d in sorted(m.deals, key=lambda d: d.deal_id)]
        keys = (*DEAL_COLUMNS, *m.capital.compute_deal_columns(""))
        tables["deals"] = (dict(zip(keys, map(list, zip(*rows, strict=True)), strict=True))
                           if rows else {})
        tables["flows"] = m.ledger.flows_columns()
        reviews: dict[str, list] = defaultdict(list)
        screened = m.regulator.reviews  # the regulator's record
        names = list(dict.fromkeys(k for r in screened for k in r))  # one column per screen key
        for r in screened:
            for k in names:
                reviews[k].append(r.get(k))
        tables["reviews"] = dict(reviews)
        return tables
