"""The Mesa model of the AI-compute market: one step is one month.

Order of a month (DESIGN 'Time'): dated announcements and interventions; datacenter lifecycle
and capex; the firms' decisions (in a seeded random order); packaging allocation and chip
production; chip orders and deliveries (the accelerator market); cloud leases (the cloud
market); lab revenue (the frontier-AI market); the deal pipeline; debt; valuations; records.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.cloud import CloudProvider
from agents.firm import Firm
from agents.lab import AILab
from agents.pipeline import advance_deals, create_event_deal
from agents.regulator import Regulator
from agents.vendor import ChipVendor
from world.catalog import Catalog
from world.chip_trade import FRINGE_BUYERS, FRINGE_CHIPS, ChipTradeMixin
from world.contracts import DealBook, DealStatus
from world.datacenters import Fleet
from world.foundry import Foundry
from world.ledger import FlowKind, Ledger
from world.market import (
    compute_cloud_price,
    compute_path_value,
)
from world.network import DealNetwork
from world.params import (
    FIRM_NAMES,
    DealKind,
    EventKind,
    InterventionKind,
    Mode,
    Role,
    ScenarioParams,
    month_index,
)
from world.policy import Policy
from world.recorder import Recorder
from world.sites import generate_sites
from world.stakes import StakeRegistry

EXTERNAL_ACCOUNTS = ("Customers", "Investors", "Lenders", "Suppliers", FRINGE_CHIPS, FRINGE_BUYERS)
ROLE_CLASS = {Role.VENDOR: ChipVendor, Role.CLOUD: CloudProvider, Role.LAB: AILab}
CLOUD_RAMP_MONTHS = 12
"""A cloud-capacity contract ramps linearly to its full GW over this many months."""
OTHER_TENANT_UTILISATION = 0.85
"""Share of uncontracted deployed cloud capacity leased to other tenants at market price."""
PRESTART_PLAN_MONTHS = 12
"""Datacenters under construction at the start were planned this many months before it."""
CLOUD_PRICE_ELASTICITY = 0.25
"""Elasticity of the lease price to chip scarcity (orders over output); assumption."""


FRINGE_CLOUDS, FRINGE_LABS = "Other clouds", "Other labs"


def _apply_history_cutoff(params: ScenarioParams) -> ScenarioParams:
    """The scenario without the deal announcements dated after `simulation.history_cutoff`."""
    cutoff = params.simulation.history_cutoff
    if cutoff is None:
        return params
    last = month_index(cutoff)
    kept = [e for e in params.events
            if e.kind is not EventKind.DEAL or month_index(e.date) <= last]
    return params.model_copy(update={"events": kept})


class ComputeMarketModel(ChipTradeMixin, mesa.Model):
    """Six firms, a fringe, a physical layer and a deal network (DESIGN.md)."""

    def __init__(self, params: ScenarioParams, rng: int | None = None) -> None:
        super().__init__(rng=params.seed if rng is None else rng)
        self.p = _apply_history_cutoff(params)
        self.start_idx = month_index(params.simulation.start)
        self.t = 0
        self.now_idx = self.start_idx
        self.docking = None
        if params.simulation.mode is not Mode.MARKET:  # a textbook special case (docking)
            from world.docking import DockingGame

            self.docking = DockingGame(self)
            return
        self.firm_names = [f for f in FIRM_NAMES if f in params.firms]
        self.firm_index = {f: i for i, f in enumerate(self.firm_names)}
        self.n_firms = len(self.firm_names)
        children = self.rng.spawn(self.n_firms + 2)
        site_rng, self.market_rng = children[-2], children[-1]
        self.catalog = Catalog(params.catalog.products)
        self.foundry = Foundry.from_params(params.foundry)
        self.sites = generate_sites(params.sites, site_rng)
        self.fleet = Fleet()
        self.ledger = Ledger(self.firm_names + list(EXTERNAL_ACCOUNTS))
        self.deals = DealBook()
        self.network = DealNetwork([*self.firm_names, FRINGE_CHIPS, FRINGE_CLOUDS, FRINGE_LABS])
        self.stakes = StakeRegistry(self.firm_names)
        roles = {f: params.firms[f].role.value for f in self.firm_names}
        self.policy = Policy(params.interventions, self.start_idx, roles)
        self.policy.exclusivity_allowed = params.market.exclusivity_allowed
        self.firms: dict[str, Firm] = {}
        for name, child in zip(self.firm_names, children, strict=False):
            fp = params.firms[name]
            self.firms[name] = ROLE_CLASS[fp.role](self, name, fp, child)
        self.vendors = [f for f in self.firms.values() if f.role == "vendor"]
        self.clouds = [f for f in self.firms.values() if f.role == "cloud"]
        self.labs = [f for f in self.firms.values() if f.role == "lab"]
        self.regulator = Regulator(self)
        self.designers = sorted({p.vendor for p in params.catalog.products})
        self.buyers = [*self.firm_names, FRINGE_BUYERS]
        self.backlog = {d: np.zeros(len(self.buyers)) for d in self.designers}
        for designer, gw in sorted(params.demand.opening_backlog_gw.items()):
            if designer in self.backlog:  # orders placed before the start, by the fringe
                self.backlog[designer][-1] += gw
        self.inventory = dict.fromkeys(self.designers, 0.0)
        self.capacity_gw_by_designer = dict.fromkeys(self.designers, 0.0)
        self.delivered_by_deal: dict[str, float] = {}
        self.cloud_price_usd_b_per_gw_year = params.demand.cloud_price_usd_b_per_gw_year
        self.revenue_multiplier = params.demand.revenue_multiplier
        self.fringe_multiplier = 1.0
        self.latest_shares: dict[str, dict[str, float]] = {}
        self.frontier_share: dict[str, float] = {}
        self.reviews: list[dict] = []
        self.equal_access: set[str] = set()
        """Chip designers under a supply-to-rivals condition (`agents.remedies`)."""
        self.month_deliveries: dict[tuple[str, str, str], list[float]] = {}
        """This month's chip deliveries: (designer, buyer, deal id or '') -> [GW, USD B]."""
        self.leased_by_deal: dict[str, float] = {}
        """This month's GW provided under each cloud-capacity contract."""
        self.other_tenant_gw: dict[str, float] = {}
        """This month's GW each cloud leases to tenants outside the model's labs."""
        self.diligence_log: list = []
        self.negotiation_rounds: dict[str, int] = {}
        self.restructured_from: dict[str, str] = {}
        self.deploy_baseline: dict[str, float] = {}
        self.recorder = Recorder(self)
        dated = [month_index(e.date) for e in self.p.events]
        self.last_event_idx = max(dated) if dated else self.start_idx - 1
        self._setup_initial_state()

    # ----- set-up ------------------------------------------------------------------------------
    def _setup_initial_state(self) -> None:
        for name in self.firm_names:
            firm, fp = self.firms[name], self.p.firms[name]
            if fp.cash_usd_b > 0:
                self.ledger.transfer(0, "Investors", name, fp.cash_usd_b, FlowKind.INITIAL)
            if fp.powered_gw > 0:
                owner = self.firm_index[name]
                site = self.sites.add_existing(owner, fp.powered_gw)
                self.fleet.add_powered(site, owner, fp.powered_gw, 0, self.sites)
            if fp.pipeline_gw > 0:
                self._setup_pipeline(self.firm_index[name], fp.pipeline_gw)
            mix = fp.installed_mix or {"Nvidia": 1.0}
            total = sum(mix.values()) or 1.0
            firm.installed_gw = {d: fp.installed_gw * w / total for d, w in sorted(mix.items())}
        self.fleet.update_capex_paid(-1, self.n_firms)  # pre-start capex: in opening balances
        self.fleet.update(0)
        self.powered_by_firm = self.fleet.powered_gw(self.n_firms)
        for ev in sorted(self.p.events, key=lambda e: (e.date, e.id)):
            if month_index(ev.date) < self.start_idx and ev.kind is EventKind.DEAL:
                create_event_deal(self, ev, initial=True)

    def _setup_pipeline(self, owner: int, gw: float) -> None:
        """Datacenters under way at the start: planned `PRESTART_PLAN_MONTHS` before it on the
        best free sites, so they come online during the first months as their sites allow."""
        remaining = gw
        for site in self.sites.best_free_sites(32, min_gw=0.05):
            if remaining <= 0.05:
                break
            site = int(site)
            size = float(min(remaining, self.sites.grid_power_gw[site] - self.sites.used_gw[site]))
            self.sites.acquire(site, owner)
            self.fleet.plan(site, owner, size, -PRESTART_PLAN_MONTHS, self.sites)
            remaining -= size

    def step_of(self, month: str) -> int:
        """Step index of a 'YYYY-MM' month (negative before the start)."""
        return month_index(month) - self.start_idx

    # ----- the month ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the market by one month."""
        self.now_idx = self.start_idx + self.t
        if self.docking is not None:
            self.docking.step()
            self.t += 1
            return
        self.policy.update_month(self.now_idx)
        self._apply_dated_inputs()
        self.fleet.update(self.t)
        self._pay_capex()
        self.powered_by_firm = self.fleet.powered_gw(self.n_firms)
        for idx in self.market_rng.permutation(self.n_firms):
            self.firms[self.firm_names[int(idx)]].step()
        produced = self._produce_chips()
        delivered, value = self._trade_chips()
        self._lease_capacity()
        self._earn_frontier_revenue()
        advance_deals(self)
        for name in self.firm_names:
            firm = self.firms[name]
            firm.update_debt()
            firm.update_valuation()
        self._settle_defaults()
        self.recorder.update_record(produced, delivered, value)
        for firm in self.firms.values():
            firm.update_close_month()
        self.t += 1

    def run_steps(self, steps: int | None = None) -> None:
        """Run `steps` months (default: the scenario's horizon)."""
        for _ in range(self.p.simulation.steps if steps is None else steps):
            self.step()

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """Columnar output tables (DESIGN 'Outputs') without run_id / scenario / seed."""
        if self.docking is not None:
            return self.docking.compute_tables()
        return self.recorder.compute_tables()

    def _apply_dated_inputs(self) -> None:
        for ev in sorted(self.p.events, key=lambda e: (e.date, e.id)):
            if month_index(ev.date) != self.now_idx:
                continue
            if ev.kind is EventKind.DEAL:
                create_event_deal(self, ev, initial=False)
            elif ev.target.value == "foundry_capacity":
                self.foundry.capacity_multiplier *= ev.multiplier
            elif ev.target.value == "lab_revenue":
                self.revenue_multiplier *= ev.multiplier
            else:
                self.fringe_multiplier *= ev.multiplier
        for iv in self.p.interventions:
            at = self.start_idx if iv.date is None else month_index(iv.date)
            if at != self.now_idx:
                continue
            if iv.kind is InterventionKind.ALLOCATION_RULE and iv.allocation_rule is not None:
                self.foundry.rule = iv.allocation_rule
            elif iv.kind is InterventionKind.DIVESTITURE and len(iv.parties) == 2:
                owner, firm = iv.parties
                sold = self.stakes.update_divest(owner, firm)
                proceeds = sold * self.firms[firm].valuation_usd_b
                if proceeds > 0:
                    self.ledger.transfer(self.t, "Investors", owner, proceeds, FlowKind.DIVESTITURE)

    def _pay_capex(self) -> None:
        due = self.fleet.compute_capex_due(self.t, self.n_firms)
        self.fleet.update_capex_paid(self.t, self.n_firms)
        for i, amount in enumerate(due):
            if amount > 0:
                self.firms[self.firm_names[i]].update_pay(
                    "Suppliers", float(amount), FlowKind.CAPEX, cost=False
                )

    # ----- cloud and frontier AI ---------------------------------------------------------------
    def _lease_capacity(self) -> None:
        ordered = sum(float(b.sum()) for b in self.backlog.values())
        made = sum(self.capacity_gw_by_designer.values())
        self.cloud_price_usd_b_per_gw_year = compute_cloud_price(
            self.p.demand.cloud_price_usd_b_per_gw_year,
            made + ordered / 12.0,
            max(made, 1e-6),
            elasticity=CLOUD_PRICE_ELASTICITY,
        )
        for lab in self.labs:
            lab.leased_gw = 0.0
        self.leased_by_deal = {}
        for cloud in self.clouds:
            free = cloud.compute_deployed_gw()
            for deal in sorted(self.deals.live(), key=lambda d: d.deal_id):
                if (
                    deal.kind is not DealKind.CLOUD_CAPACITY
                    or deal.source != cloud.name
                    or deal.status is not DealStatus.ACTIVE
                    or self.t < deal.start_step
                ):
                    continue
                ramp = min(1.0, (self.t - deal.start_step + 1) / CLOUD_RAMP_MONTHS)
                provided = min(deal.gw * ramp, free)
                free -= provided
                self.leased_by_deal[deal.deal_id] = provided
                lab = self.firms[deal.target]
                lab.leased_gw += provided
                cloud.update_receive(
                    lab.name,
                    provided * deal.price_usd_b_per_gw / 12.0,
                    FlowKind.CLOUD_PAYMENT,
                    deal.deal_id,
                )
                lab.month_cost_usd_b += provided * deal.price_usd_b_per_gw / 12.0
            self.other_tenant_gw[cloud.name] = free * OTHER_TENANT_UTILISATION
            cloud.update_receive(
                "Customers",
                free * OTHER_TENANT_UTILISATION * self.cloud_price_usd_b_per_gw_year / 12.0,
                FlowKind.REVENUE,
            )

    def _earn_frontier_revenue(self) -> None:
        revenue = {}
        for lab in self.labs:
            r = lab.p.revenue_usd_b_per_gw_year * lab.compute_compute_gw() * self.revenue_multiplier
            lab.update_receive("Customers", r / 12.0, FlowKind.REVENUE)
            revenue[lab.name] = r
        path = self.p.demand.fringe_lab_revenue_usd_b_per_year
        revenue[FRINGE_LABS] = compute_path_value(path, self.now_idx) * self.revenue_multiplier
        total = sum(revenue.values())
        self.frontier_share = {k: v / total for k, v in revenue.items()} if total > 0 else {}
        self.frontier_revenue = revenue

    def _settle_defaults(self) -> None:
        """A firm whose cash stays negative after drawing all its debt defaults on its newest
        live purchase contract (supply or cloud) until it is solvent or has none left."""
        for name in self.firm_names:
            firm = self.firms[name]
            if firm.cash_usd_b >= 0:
                continue
            owed = [
                d
                for d in self.deals.live()
                if d.target == name
                and d.status is DealStatus.ACTIVE
                and d.kind in (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY)
            ]
            if owed:
                newest = max(owed, key=lambda d: (d.step_proposed, d.deal_id))
                newest.update_status(DealStatus.DEFAULTED, self.t)
                self.network.update_remove_deal(newest.deal_id)

    # ----- views used by agents ----------------------------------------------------------------
    def compute_dependence(self, lab: str, partner: str) -> float:
        """Share of `lab`'s secured compute that depends on `partner`, in [0, 1].

        Secured compute = chips installed + chips contracted + capacity leased. A cloud's part
        is what the lab leases from it; a chip designer's part is its chips in the lab's own
        datacenters plus its share of the chips installed at the clouds the lab leases from.
        """
        firm = self.firms[lab]
        parts: dict[str, float] = dict(firm.installed_gw)
        for d in self.deals.live():
            if d.target != lab or d.status in (DealStatus.STALLED, DealStatus.PROPOSED):
                continue
            if d.kind is DealKind.SUPPLY:
                parts[d.source] = parts.get(d.source, 0.0) + self.compute_undelivered_gw(d)
            elif d.kind is DealKind.CLOUD_CAPACITY:
                parts[d.source] = parts.get(d.source, 0.0) + d.gw
        total = sum(
            v for k, v in parts.items() if k not in self.firms or self.firms[k].role != "cloud"
        )
        total += sum(
            v for k, v in parts.items() if k in self.firms and self.firms[k].role == "cloud"
        )
        if total <= 0:
            return 0.0
        share = parts.get(partner, 0.0)
        if partner not in self.firms or self.firms[partner].role != "cloud":
            for cloud in self.clouds:
                installed = cloud.installed_total_gw
                if installed > 0 and parts.get(cloud.name):
                    share += parts[cloud.name] * cloud.installed_gw.get(partner, 0.0) / installed
        return min(1.0, share / total)

    def compute_commitments_usd_b(self, firm: str, months: int) -> float:
        """Payments `firm` has contracted as a buyer over the next `months`, USD B."""
        total = 0.0
        for d in self.deals.live():
            if d.target != firm or d.status in (DealStatus.STALLED, DealStatus.PROPOSED):
                continue
            if d.kind is DealKind.CLOUD_CAPACITY:
                end = d.start_step + d.duration_months
                overlap = max(0, min(end, self.t + months) - max(d.start_step, self.t))
                total += d.price_usd_b_per_gw * d.gw * overlap / 12.0
            elif d.kind is DealKind.SUPPLY:
                total += self.compute_due_gw(d, self.t + months) * d.price_usd_b_per_gw
        return total

    def compute_capex_outstanding_usd_b(self, owner: int) -> float:
        """Capex still to be paid on the owner's planned and building datacenters, USD B."""
        mask = self.fleet.owner == owner
        return float(
            (
                self.fleet.column("capex_usd_b")[mask] - self.fleet.column("capex_paid_usd_b")[mask]
            ).sum()
        )

    def compute_typical_capex_usd_b_per_gw(self) -> float:
        """Median capex per GW of the 20 best free sites (what a new build would cost)."""
        best = self.sites.best_free_sites(20)
        if len(best) == 0:
            return float(np.median(self.sites.capex_usd_b_per_gw))
        return float(np.median(self.sites.capex_usd_b_per_gw[best]))
