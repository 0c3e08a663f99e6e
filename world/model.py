"""The Mesa model of the AI-compute market: one step is one month.

Order of a month (docs/odd.md): dated announcements and interventions; datacenter lifecycle
and capex; the firms' decisions (in a seeded random order); packaging allocation and chip
production; chip orders and deliveries (the accelerator market); cloud leases (the cloud
market); lab revenue (the frontier-AI market); the deal pipeline; debt; valuations; records.

Firms read the world through `view` (`world.view.MarketView`) and act by submitting
decisions to `desk` (`world.desk.Desk`); the model tells them what the markets did through
their `update_*` methods. This module holds the construction of every component and the
month's phase list, so that the order of a month and what each phase touches are read in
one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from agents.cloud import CloudProvider, compute_chip_needs_gw
from agents.firm import Firm
from agents.lab import AILab
from agents.pipeline import DealPipeline
from agents.regulator import Regulator
from agents.vendor import ChipVendor
from world.capital import CapitalMarket
from world.catalog import Catalog
from world.chip_market import FRINGE_BUYERS, FRINGE_CHIPS, ChipMarket, compute_partners_by_buyer
from world.closing import DealClosing
from world.cloud_market import FRINGE_CLOUDS, CloudMarket, Payment
from world.components import compute_switched_params
from world.contracts import Deal, DealBook, DealStatus
from world.datacenters import Fleet
from world.desk import Desk
from world.foundry import Foundry
from world.fringe import build_fringe
from world.frontier import FrontierDemand
from world.history import compute_dated_by_month, compute_history
from world.ledger import FlowKind, Ledger
from world.market import compute_path_value
from world.network import DealNetwork
from world.params import (
    FIRM_NAMES,
    MARKETS,
    DealKind,
    EventKind,
    InterventionKind,
    Role,
    ScenarioParams,
    month_index,
)
from world.policy import Policy
from world.recorder import Recorder
from world.roadmap import draw_roadmap
from world.sites import generate_sites
from world.stakes import StakeRegistry
from world.textbook import build_textbook
from world.view import MarketView

EXTERNAL_ACCOUNTS = ("Customers", "Investors", "Lenders", "Suppliers", FRINGE_CHIPS, FRINGE_BUYERS)
ROLE_CLASS = {Role.VENDOR: ChipVendor, Role.CLOUD: CloudProvider, Role.LAB: AILab}
PRESTART_PLAN_MONTHS = 12
"""Datacenters under construction at the start were planned this many months before it."""
FRINGE_LABS = "Other labs"


class ComputeMarketModel(mesa.Model):
    """Six firms, a fringe, a physical layer and a deal network (docs/odd.md).

    The model holds the components, each owning its state and rules: the physical layer
    (`catalog`, `foundry`, `sites`, `fleet`), the markets (`chips`: accelerators, `cloud`:
    cloud capacity, `frontier`: AI services), `capital`, the deal book, network, stakes and
    ledger. Firms read the world through `view` (read-only) and act by submitting decisions
    to `desk`; `step()` lists the month's phases once, in order.
    """

    def __init__(self, params: ScenarioParams, rng: int | None = None) -> None:
        super().__init__(rng=params.seed if rng is None else rng)
        params = compute_switched_params(params)
        self.p = params
        self.has_fringe = params.components.fringe
        """Whether the fringe exists (`[components] fringe`): its labs' compute stays 0 if not."""
        self.start_idx = month_index(params.simulation.start)
        self.t = 0
        self.now_idx = self.start_idx
        self.events = compute_history(params)  # grouped by month by the setter
        self.firm_names = [f for f in FIRM_NAMES if f in params.firms]
        self.firm_index = {f: i for i, f in enumerate(self.firm_names)}
        self.n_firms = len(self.firm_names)
        children = self.rng.spawn(self.n_firms + 2)
        site_rng, self.market_rng = children[-2], children[-1]
        capital_rng, roadmap_rng, build_rng = self.rng.spawn(3)
        self.catalog = Catalog(draw_roadmap(params.catalog.products, params.roadmap, roadmap_rng))
        self.foundry = Foundry.from_params(params.foundry)
        self.sites = generate_sites(params.sites, site_rng)
        self.fleet = Fleet(overrun=params.sites.build_overrun, rng=build_rng)
        self.capital = CapitalMarket(
            params.capital, self.firm_names, capital_rng, params.market.chip_life_years
        )
        self.ledger = Ledger(self.firm_names + list(EXTERNAL_ACCOUNTS))
        self.deals = DealBook()
        self.network = DealNetwork([*self.firm_names, FRINGE_CHIPS, FRINGE_CLOUDS, FRINGE_LABS])
        self.stakes = StakeRegistry(self.firm_names)
        roles = {f: params.firms[f].role.value for f in self.firm_names}
        self.policy = Policy(params.interventions, self.start_idx, roles)
        self.policy.exclusivity_allowed = params.market.exclusivity_allowed
        self.textbook = build_textbook(params, roles)
        """A docking case's textbook market (`world.textbook`); None in a market run."""
        self.firms: dict[str, Firm] = {}
        self.negotiation_rounds: dict[str, int] = {}
        self.view = MarketView(self)
        self.desk = Desk(
            ledger=self.ledger, capital=self.capital, sites=self.sites, fleet=self.fleet,
            deals=self.deals, network=self.network, stakes=self.stakes, firms=self.firms,
            firm_index=self.firm_index, clock=self,
            negotiation_rounds=self.negotiation_rounds, textbook=self.textbook,
        )
        for name, child in zip(self.firm_names, children, strict=False):
            fp = params.firms[name]
            self.firms[name] = ROLE_CLASS[fp.role](self, name, fp, child, self.view, self.desk)
        self.vendors = [f for f in self.firms.values() if f.role == "vendor"]
        self.clouds = [f for f in self.firms.values() if f.role == "cloud"]
        self.labs = [f for f in self.firms.values() if f.role == "lab"]
        demand_rng = self.rng.spawn(1)[0]
        self.frontier = FrontierDemand(params.demand, demand_rng)
        self.cloud = CloudMarket(params.demand)
        self.chips = ChipMarket(
            params.market,
            self.catalog,
            self.foundry,
            [*self.firm_names, FRINGE_BUYERS],
            params.demand.fringe_chip_price_usd_b_per_gw,
            params.demand.opening_backlog_gw,
        )
        self.fringe = build_fringe(params.fringe)
        self.designers = self.chips.designers
        self.buyers = self.chips.buyers
        # ----- deals: the pipeline and the regulator decide, the closing carries out ---------
        self.closing = DealClosing(self.deals, self.network, self.stakes, self.ledger,
                                   self.capital, self.policy, self.view, self.firms)
        self.regulator = Regulator(self.view, self.closing, params.regulator)
        self.regulator.enabled = params.components.regulator
        self.pipeline = DealPipeline(self.view, self.closing, self.regulator, params.negotiation,
                                     {name: firm.generator for name, firm in self.firms.items()})
        self.recorder = Recorder(self)
        dated = [month_index(e.date) for e in self.events if e.kind is EventKind.DEAL]
        cutoff = params.simulation.history_cutoff
        self.last_event_idx = (
            month_index(cutoff) if cutoff else max(dated) if dated else self.start_idx - 1
        )
        self._setup_initial_state()

    # ----- set-up ------------------------------------------------------------------------------
    def _setup_initial_state(self) -> None:
        for name in self.firm_names:
            fp = self.p.firms[name]
            if fp.cash_usd_b > 0:
                self.ledger.transfer(0, "Investors", name, fp.cash_usd_b, FlowKind.INITIAL)
            if fp.powered_gw > 0:
                owner = self.firm_index[name]
                site = self.sites.add_existing(owner, fp.powered_gw)
                self.fleet.add_powered(site, owner, fp.powered_gw, 0, self.sites)
            if fp.pipeline_gw > 0:
                self._setup_pipeline(self.firm_index[name], fp.pipeline_gw)
        self.fleet.update_capex_paid(-1, self.n_firms)  # pre-start capex: in opening balances
        self.fleet.update(0)
        self.powered_by_firm = self.fleet.powered_gw(self.n_firms)
        for ev in sorted(self.events, key=lambda e: (e.date, e.id)):
            if month_index(ev.date) < self.start_idx and ev.kind is EventKind.DEAL:
                self.pipeline.create_event_deal(ev, initial=True)

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
        # 1. policy, dated announcements and shocks; the capital market opens the month
        self.policy.update_month(self.now_idx)
        self._apply_dated_inputs()
        self.capital.update_month_open(
            self.now_idx, sum(self.frontier.revenue_usd_b_per_year.values())
        )
        # 2. physical layer: datacenters move through their lifecycle, capex is paid
        self.fleet.update(self.t)
        self._pay_capex()
        self.powered_by_firm = self.fleet.powered_gw(self.n_firms)
        # 3. users' demand for AI services: this month's growth shock
        self.frontier.update_demand(self.now_idx)
        # 4. the firms decide (seeded random order)
        for idx in self.market_rng.permutation(self.n_firms).tolist():
            self.firms[self.firm_names[idx]].step()
        # 5. accelerators: production, prices, cancellations and orders, deliveries
        produced, delivered, value = self._trade_chips()
        # 6. cloud capacity: contracted leases, then tenants at the clearing price
        self._lease_capacity()
        # 7. AI services: the end-user price and the labs' revenue
        self._sell_ai_services()
        # 8. deals: announcements, diligence, review, execution
        self.pipeline.update_month()
        # 9. capital: interest once a month, distress and defaults, valuations
        self.capital.update_charge_interest(self.firms, self.t, self.ledger)
        self.capital.update_settle(
            self.firms, self.firm_index, self.t, self.deals, self.network, self.fleet,
            self.chips.compute_undelivered_gw,
        )
        for name in self.firm_names:
            self.firms[name].update_valuation()
        # 10. records (read only), then the month closes
        self.recorder.update_record(produced, delivered, value)
        for firm in self.firms.values():
            firm.update_close_month()
        self.capital.update_month_close(self.firms, self.ledger, self.fleet, self.chips)
        self.t += 1

    def run_steps(self, steps: int | None = None) -> None:
        """Run `steps` months (default: the scenario's horizon) with Mesa's `run_for`: one
        pass of its event loop runs the months' scheduled steps, so `model.steps` and
        `model.time` advance exactly as with `step()` called `steps` times (without a call
        and an event re-queued per month)."""
        months = self.p.simulation.steps if steps is None else steps
        if months > 0:
            self.run_for(months)

    def compute_tables(self) -> dict[str, dict[str, list]]:
        """Columnar output tables (docs/odd.md) without run_id / scenario / seed."""
        return self.recorder.compute_tables()

    def compute_outcome_tables(self) -> dict[str, dict[str, list]]:
        """The part of `compute_tables` a paired comparison reduces to its outcome series
        (`experiments.analysis.outcome_series`): the monthly tables (shares, markets, firms,
        physical) as `compute_tables` gives them but for the columns that count the firms
        behind a row and the energy columns (`world.recorder.LEAN_OMITS`), and of the deals
        table only its `status` and `step_closed` columns (same values, same deal-id order);
        no flows or reviews table. Saves building the columns the comparison never reads."""
        tables = self.recorder.compute_monthly_tables(lean=True)
        deals = sorted(self.deals, key=lambda d: d.deal_id)
        tables["deals"] = {
            "status": [d.status.value for d in deals],
            "step_closed": [d.step_closed for d in deals],
        }
        return tables

    @property
    def events(self) -> list:
        """The scenario's events with dated announcements after the history cutoff dropped."""
        return self._events

    @events.setter
    def events(self, events: list) -> None:
        """Set the events and group them, with the scenario's interventions, by month once
        (`world.history.compute_dated_by_month`); the list is only ever set, not appended to."""
        self._events = events
        self._dated = compute_dated_by_month(events, self.p.interventions, self.start_idx)

    def _dated_inputs_at(self, month_idx: int) -> tuple[list, list]:
        """The events and interventions dated `month_idx`."""
        events, interventions = self._dated
        return events.get(month_idx, []), interventions.get(month_idx, [])

    def _apply_dated_inputs(self) -> None:
        events, interventions = self._dated_inputs_at(self.now_idx)
        for ev in events:
            if ev.kind is EventKind.DEAL:
                self.pipeline.create_event_deal(ev, initial=False)
            elif ev.target.value == "foundry_capacity":
                self.foundry.capacity_multiplier *= ev.multiplier
            elif ev.target.value == "lab_revenue":
                self.frontier.update_shock(ev.multiplier)
            else:
                self.chips.fringe_multiplier *= ev.multiplier
        for iv in interventions:
            if iv.kind is InterventionKind.ALLOCATION_RULE and iv.allocation_rule is not None:
                self.foundry.rule = iv.allocation_rule
            elif iv.kind is InterventionKind.DIVESTITURE and len(iv.parties) == 2:
                owner, firm = iv.parties
                sold = self.stakes.update_divest(owner, firm)
                proceeds = sold * self.firms[firm].valuation_usd_b
                if proceeds > 0:
                    self.ledger.transfer(self.t, "Investors", owner, proceeds, FlowKind.DIVESTITURE)

    def _pay_capex(self) -> None:
        due = self.fleet.update_capex_paid(self.t, self.n_firms)  # what each owner owed
        for name, amount in zip(self.firm_names, due.tolist(), strict=False):
            if amount > 0:
                self.firms[name].update_pay("Suppliers", amount, FlowKind.CAPEX, cost=False)

    # ----- the markets' phases -----------------------------------------------------------------
    def _book(self, payments: list[Payment]) -> None:
        """Book a market's payments in the ledger and in the firms' month revenue and costs."""
        firms, transfer, t = self.firms, self.ledger.transfer, self.t
        accounts = self.ledger.accounts  # booking opens no account
        opex = FlowKind.OPEX
        for payer, payee, amount, kind, deal_id in payments:
            if amount <= 0:
                continue
            buyer = firms.get(payer)
            if buyer is None and payer not in accounts:  # (every firm has an account)
                payer = FRINGE_CHIPS if payer in self.designers else payer
            transfer(t, payer, payee, amount, kind, deal_id)
            if kind is not opex:
                seller = firms.get(payee)
                if seller is not None:
                    seller.update_count_revenue(amount)
            if buyer is not None:
                buyer.update_count_cost(amount)

    def _trade_chips(self) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """Phase 5: production, Bertrand-Nash prices, cancellations and orders, deliveries."""
        chips = self.chips
        if not chips.designers:  # no chips in the catalog: nothing to make or trade
            chips.deliveries = []
            return {}, {}, {}
        deals = self.deals.live_supply()
        self._book(chips.update_produce(self.t, self.now_idx, deals))
        produced = dict(chips.capacity_gw)
        need = np.array(self._chip_need_gw(deals))
        chips.update_cancel(need)
        held = sum(chips.backlog[d] for d in chips.designers)
        want = np.maximum(need - held, 0.0)
        values = chips.compute_value_usd_b_per_gw(self.cloud.price_usd_b_per_gw_year)
        partners = compute_partners_by_buyer(deals)
        base = chips.compute_base_utilities(
            self.view.compute_nonprice_utilities(deals, partners), values)
        chips.update_prices(want, base, deals)
        chips.update_orders(want)
        delivered, value, completed = chips.update_deliver(deals, self.closing.equal_access)
        payments = []  # booked in delivery order after the installs (separate state)
        installs: dict[str, list[tuple[str, float]]] = {}  # buyer -> its deliveries, in order
        firms = self.firms
        for designer, buyer, gw, price, deal_id in chips.deliveries:
            firm = firms.get(buyer)
            if firm is not None:
                installs.setdefault(buyer, []).append((designer, gw))
            if buyer == designer or not math.isfinite(price):
                continue
            payer = buyer if firm is not None else FRINGE_BUYERS
            payee = designer if designer in firms else FRINGE_CHIPS
            payments.append(Payment(payer, payee, gw * price, FlowKind.CHIP_PAYMENT, deal_id))
        for buyer, items in installs.items():
            firms[buyer].update_install_all(items)
        self._book(payments)
        for deal in completed:
            deal.update_status(DealStatus.COMPLETED, self.t)
            self.network.update_remove_deal(deal.deal_id)
        return produced, delivered, value

    def _chip_need_gw(self, deals: Sequence[Deal]) -> list[float]:
        """Open orders each buyer of the chip market needs in all (GW, in its buyer order):
        an operator's rule (the clouds and labs at once, `agents.cloud.compute_chip_needs_gw`),
        a vendor's own rule, or the fringe's flow."""
        firms, operators = self.firms, [*self.clouds, *self.labs]
        need = dict(zip([f.name for f in operators],
                        compute_chip_needs_gw(operators, deals), strict=True))
        out = []
        for buyer in self.chips.buyers:
            firm = firms.get(buyer)
            if firm is None:  # the fringe keeps a year of its order flow on order (facts.toml hbm)
                path = self.p.demand.fringe_accel_gw_per_year
                flow = compute_path_value(path, self.now_idx) / 12.0
                flow *= self.chips.fringe_multiplier * self.frontier.compute_demand_index()
                backlog = self.chips.backlog
                held = float(sum([backlog[d][-1] for d in self.chips.designers]))
                out.append(min(held + flow, 12.0 * flow))
            else:
                got = need.get(buyer)
                out.append(got if got is not None else firm.compute_chip_need_gw(deals))
        return out

    def _lease_capacity(self) -> None:
        """Phase 6: clear the cloud market; labs learn what they lease."""
        cloud_gw = {c.name: c.compute_deployed_gw() for c in self.clouds}
        leases = self.deals.live(DealKind.CLOUD_CAPACITY)  # (the market reads no other deal)
        payments = self.cloud.update_clear(
            self.t, self.now_idx, cloud_gw, leases, self.frontier.compute_demand_index()
        )
        self._book(payments)
        for lab in self.labs:
            lab.update_leased_gw(self.cloud.compute_leased_gw(lab.name))

    def _sell_ai_services(self) -> None:
        """Phase 7: clear the AI-services market; labs earn price x served compute."""
        compute = {lab.name: lab.compute_compute_gw() for lab in self.labs}
        if self.has_fringe:
            self.frontier.update_fringe_labs(
                sum(compute.values()), self.cloud.price_usd_b_per_gw_year
            )
            compute[FRINGE_LABS] = self.frontier.compute_fringe_lab_gw()
        else:
            self.frontier.update_remove_fringe_labs()
            compute[FRINGE_LABS] = 0.0
        self.frontier.update_clear(compute)
        for lab in self.labs:
            revenue = self.frontier.revenue_usd_b_per_year.get(lab.name, 0.0)
            lab.update_receive("Customers", revenue / 12.0, FlowKind.REVENUE)

    # ----- read-only accessors of the recorder, the metrics and the deal pipeline -------------
    @property
    def cloud_price_usd_b_per_gw_year(self) -> float:
        """This month's cloud lease price, USD B per GW-year."""
        return self.cloud.price_usd_b_per_gw_year

    @property
    def latest_shares(self) -> dict[str, dict[str, float]]:
        """Market -> firm -> share this month (`MarketView.compute_shares`)."""
        return {m: self.view.compute_shares(m) for m in MARKETS}

    @property
    def leased_by_deal(self) -> dict[str, float]:
        """Deal id -> GW provided under that cloud-capacity contract this month."""
        return self.cloud.leased_by_deal

    @property
    def other_tenant_gw(self) -> dict[str, float]:
        """Named cloud -> GW leased to tenants outside the named labs this month."""
        return {k: v for k, v in self.cloud.tenant_gw.items() if k in self.firms}

    @property
    def delivered_by_deal(self) -> dict[str, float]:
        """Supply deal id -> GW delivered so far."""
        return self.chips.delivered_by_deal

    def compute_backlog_gw(self, designer: str) -> float:
        """Open orders plus contracted deliveries due within 6 months for a designer, GW."""
        return self.view.compute_backlog_gw(designer)

    def compute_commitments_usd_b(self, firm: str, months: int) -> float:
        """Payments `firm` has contracted as a buyer over the next `months`, USD B."""
        return self.view.compute_commitments_usd_b(firm, months)
