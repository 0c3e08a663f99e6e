"""A read-only view of the markets: what firms, the regulator and the recorder may see.

The view reads the market components (`ChipMarket`, `CloudMarket`, `FrontierDemand`) and the
fringe (`world.fringe`) and never writes to them; each market's quantities and shares are
read by `world.market_shares.MarketShares` (what each market counts, and how long a reading
is kept).

Firms see the market only through this view: besides the market outcomes it answers what a
firm may know of the rest of the world (the calendar, the scenario's parameters, the live
deals, the sites on offer, its fleet, stakes, the capital market's terms, the policy in
force) and never hands out a component to write to. Firms act through `world.desk.Desk`.

The module is over the house's ~400 lines on purpose: it is the one window through which
agents read the world, so every read-only accessor they may use is listed here, in sections
(markets, calendar, other firms, money, policy, deals, chips, sites, demand, and what the deal
pipeline and the regulator read); an accessor found elsewhere would be a door round the view.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from world.chip_market import compute_partners_by_buyer
from world.contracts import Deal
from world.exposure import compute_commitments_usd_b, compute_dependence
from world.fringe import compute_hhi_with_fringe
from world.market_shares import MarketShares
from world.params import DealKind, Product, ScenarioParams
from world.policy import compute_capped_amount
from world.stakes import StakeRegistry


class MarketView:
    """Read-only access to this month's market outcomes (prices, quantities, shares).

    Args:
        model: the model whose components are read (never mutated).
    """

    def __init__(self, model: Any) -> None:
        self._m = model
        self._shares = MarketShares(model)
        """This month's quantities and shares of each market, with what it keeps of them."""
        self._firms: Mapping[str, Any] | None = None
        self.p: ScenarioParams = getattr(model, "p", None)
        """The scenario's parameters (frozen; read on every decision, so a plain attribute)."""

    # ----- prices ---------------------------------------------------------------------------
    @property
    def lease_price_usd_b_per_gw_year(self) -> float:
        """This month's cloud lease price, USD B per GW-year."""
        return self._m.cloud.price_usd_b_per_gw_year

    @property
    def ai_price_usd_b_per_gw_year(self) -> float:
        """This month's end-user price of a GW-year of served AI compute, USD B."""
        return self._m.frontier.price_usd_b_per_gw_year

    @property
    def demand_index(self) -> float:
        """AI-services demand relative to its reference path (1 = as expected)."""
        return self._m.frontier.compute_demand_index()

    def compute_chip_price_usd_b_per_gw(self, designer: str) -> float:
        """This month's price of a designer's newest chips, USD B per GW (inf: none)."""
        return self._m.chips.price_usd_b_per_gw.get(designer, float("inf"))

    # ----- quantities and shares ------------------------------------------------------------
    def compute_quantities(self, market: str) -> dict[str, tuple[float, float]]:
        """Row -> (quantity, value) this month in `market` (`MarketShares.compute_quantities`
        for what each market counts, in which units)."""
        return self._shares.compute_quantities(market)

    def compute_shares(
        self, market: str, quantities: dict[str, tuple[float, float]] | None = None
    ) -> dict[str, float]:
        """Row -> share of `market` this month, summing to 1 (`MarketShares.compute_shares`:
        the rule for a month with nothing traded, and while shares are held); `quantities`:
        this month's `compute_quantities(market)` if already at hand."""
        return self._shares.compute_shares(market, quantities)

    def update_hold_shares(self, hold: bool) -> None:
        """Start (`hold`) or end a stretch in which no quantity the shares are read from moves
        (the deal phase): each market's shares are kept from their first reading in it until
        it ends (`MarketShares.update_hold_shares`)."""
        self._shares.update_hold_shares(hold)

    def compute_hhi(self, market: str, shares: dict[str, float] | None = None) -> float:
        """HHI of `market` (0-10,000), the fringe's small firms counted as firms (`shares`:
        this month's `compute_shares(market)` if already at hand)."""
        shares = self.compute_shares(market) if shares is None else shares
        return compute_hhi_with_fringe(shares, self._m.fringe[market])

    def compute_firm_shares(self, market: str, shares: Mapping[str, float]) -> dict[str, float]:
        """`shares` of `market` with the fringe's remainder row split into its small firms
        (`world.fringe.FringeMarket.compute_firm_shares`): one entry per firm, for screens."""
        fringe = self._m.fringe.get(market)
        return fringe.compute_firm_shares(shares) if fringe is not None else dict(shares)

    def compute_firms_in_row(self, market: str, row: str) -> int:
        """Firms a row of `market` stands for (the remainder row: its small firms)."""
        return self._m.fringe[market].compute_firms_in_row(row)

    def compute_captive_gw(self, market: str) -> float:
        """GW outside the merchant market: labs' own deployed datacenters (cloud), chips
        delivered to their own designer (accelerators); 0 for frontier AI."""
        m = self._m
        if market == "cloud":
            return float(sum(lab.compute_deployed_gw() for lab in m.labs))
        if market == "accelerators":
            return float(sum(i.gw for i in m.chips.deliveries if i.buyer == i.designer))
        return 0.0

    # ----- the calendar and the scenario ------------------------------------------------------
    @property
    def t(self) -> int:
        """This month's step (0 = the first simulated month)."""
        return self._m.t

    @property
    def now_idx(self) -> int:
        """This month as a month index (`world.params.month_index`)."""
        return self._m.now_idx

    @property
    def start_idx(self) -> int:
        """The first simulated month as a month index."""
        return self._m.start_idx

    @property
    def last_event_idx(self) -> int:
        """Month index of the scenario's last dated deal announcement (history replayed)."""
        return self._m.last_event_idx

    @property
    def events(self) -> Sequence[Any]:
        """The scenario's dated events (announcements after the history cutoff dropped)."""
        return tuple(self._m.events)

    def compute_step_of(self, month: str) -> int:
        """Step of a 'YYYY-MM' month (negative before the start)."""
        return self._m.step_of(month)

    # ----- the other firms (their public state and rules) -------------------------------------
    @property
    def firms(self) -> Mapping[str, Any]:
        """Name -> firm, read-only."""
        if self._firms is None:
            self._firms = MappingProxyType(self._m.firms)
        return self._firms

    @property
    def vendors(self) -> Sequence[Any]:
        """The chip vendors, in the scenario's firm order."""
        return tuple(self._m.vendors)

    @property
    def clouds(self) -> Sequence[Any]:
        """The cloud providers, in the scenario's firm order."""
        return tuple(self._m.clouds)

    @property
    def labs(self) -> Sequence[Any]:
        """The AI labs, in the scenario's firm order."""
        return tuple(self._m.labs)

    @property
    def textbook(self) -> Any:
        """A docking case's textbook market (read its state; move through the desk), or None."""
        return self._m.textbook

    # ----- money and capital ------------------------------------------------------------------
    def compute_cash_usd_b(self, firm: str) -> float:
        """A firm's cash: its ledger balance, USD B."""
        return self._m.ledger.balance(firm)

    def compute_debt_capacity_usd_b(self, firm: Any) -> float:
        """Debt `firm` may still draw, USD B (`CapitalMarket.compute_debt_capacity_of`)."""
        return self._m.capital.compute_debt_capacity_of(firm)

    @property
    def equity_pool_usd_b(self) -> float:
        """Outside equity investors can still put in this month, USD B."""
        return self._m.capital.equity_pool_usd_b

    @property
    def equity_price_impact(self) -> float:
        """The capital market's price impact of a round's size (`capital.price_impact`)."""
        return self._m.capital.p.price_impact

    def compute_stake(self, owner: str, firm: str) -> float:
        """`owner`'s equity stake in `firm` (0-1)."""
        return self._m.stakes.compute_stake(owner, firm)

    def compute_capped_amount_usd_b(self, owner: str, firm: str, amount_usd_b: float,
                                    post_usd_b: float) -> float:
        """Largest part of an `amount_usd_b` investment at `post_usd_b` post-money that keeps
        `owner`'s stake in `firm` within the equity cap (`Policy.compute_allowed_fraction`)."""
        allowed = self._m.policy.compute_allowed_fraction(self.compute_stake(owner, firm))
        return compute_capped_amount(allowed, amount_usd_b, post_usd_b)

    # ----- the policy in force ----------------------------------------------------------------
    def forbids_financing(self, investor: str, investee: str) -> bool:
        """Whether `investor` may not finance `investee` (`Policy.forbids_financing`)."""
        return self._m.policy.forbids_financing(investor, investee)

    def compute_lockin_factor(self) -> float:
        """Multiplier of the CUDA lock-in under the policy in force (`Policy`)."""
        return self._m.policy.compute_lockin_factor()

    # ----- deals and the network --------------------------------------------------------------
    def live_deals(self) -> Sequence[Deal]:
        """The deals not yet ended, in id order (a copy: the book is not changed through it)."""
        return self._m.deals.live()

    def all_deals(self) -> Iterator[Deal]:
        """Every deal of the run so far, ended ones included, in id order."""
        return iter(self._m.deals)

    def compute_partners(self, firm: str) -> list[str]:
        """Firms tied to `firm` by a live deal on the network."""
        return self._m.network.compute_partners(firm)

    def compute_outside_options(self, buyer: str, sellers: list[str], kind: DealKind,
                                scores: dict[str, float]) -> list[tuple[str, float]]:
        """Sellers `buyer` may turn to in `kind`, best first
        (`DealNetwork.compute_outside_options`)."""
        return self._m.network.compute_outside_options(buyer, sellers, kind, scores)

    def compute_undelivered_gw(self, deal: Deal, within_months: int | None = None) -> float:
        """GW of a supply deal not yet delivered (`ChipMarket.compute_undelivered_gw`)."""
        return self._m.chips.compute_undelivered_gw(deal, within_months)

    def compute_commitments_usd_b(self, firm: str, months: int) -> float:
        """Payments `firm` has contracted as a buyer over the next `months`, USD B
        (`world.exposure.compute_commitments_usd_b`)."""
        return compute_commitments_usd_b(
            firm, months, self._m.t, self._m.deals.live(), self._m.chips.compute_due_gw)

    def compute_dependence(self, lab: str, partner: str) -> float:
        """Share of `lab`'s secured compute that depends on `partner`, in [0, 1]
        (`world.exposure.compute_dependence`)."""
        firms = self._m.firms
        return compute_dependence(
            lab, partner, {n: f.installed_gw for n, f in firms.items()},
            {n: f.role for n, f in firms.items()}, self._m.deals.live(),
            self.compute_undelivered_gw)

    # ----- chips ------------------------------------------------------------------------------
    def compute_latest_product(self, designer: str) -> Product | None:
        """The designer's newest released product (None before its first release)."""
        return self._m.catalog.latest(designer, self._m.now_idx)

    def compute_chip_capacity_gw(self, designer: str) -> float:
        """The designer's packaging output this month, GW (0 if it makes no chips), as a
        Python float: the same double as the market's entry, cheaper in the bargaining's
        arithmetic than a numpy scalar."""
        return float(self._m.chips.capacity_gw.get(designer, 0.0))

    def compute_backlog_gw(self, designer: str) -> float:
        """Open orders plus contracted deliveries due within 6 months for a designer, GW."""
        return self._m.chips.compute_backlog_gw(designer, self._m.deals.live_supply())

    def compute_open_orders_gw(self, designer: str) -> float | None:
        """Open chip orders the designer holds from all buyers, GW (None: it takes none)."""
        backlog = self._m.chips.backlog.get(designer)
        return float(backlog.sum()) if backlog is not None else None

    def compute_on_order_gw(self, buyer: str) -> float:
        """Chips `buyer` has on order from all designers, GW."""
        chips = self._m.chips
        row = chips.buyers.index(buyer)
        return sum(float(b[row]) for b in chips.backlog.values())

    @property
    def fringe_chip_multiplier(self) -> float:
        """The fringe buyers' demand multiplier from dated shocks (1 = as expected)."""
        return self._m.chips.fringe_multiplier

    def compute_nonprice_utility(
        self, buyer: str, deals: Sequence[Deal],
        partners: Mapping[str, set[str]] | None = None,
    ) -> np.ndarray:
        """Each designer's non-price utility to `buyer` (a row of
        `ChipMarket.compute_nonprice_utilities`); `partners`: `compute_partners_by_buyer(deals)`
        if already at hand."""
        return self.compute_nonprice_utilities(deals, partners, (buyer,))[0]

    def compute_nonprice_utilities(
        self, deals: Sequence[Deal], partners: Mapping[str, set[str]] | None = None,
        buyers: Sequence[str] | None = None,
    ) -> np.ndarray:
        """(buyers, designers) non-price utilities (`ChipMarket.compute_nonprice_utilities`)
        of `buyers` (default: every buyer of the chip market, in its order)."""
        m = self._m
        if partners is None:
            partners = compute_partners_by_buyer(deals)
        rows = []
        for buyer in m.chips.buyers if buyers is None else buyers:
            firm = m.firms.get(buyer)
            rows.append((buyer, firm.installed_gw if firm else {},
                         firm.p.max_supplier_share if firm else 1.0,
                         partners.get(buyer, set())))
        return m.chips.compute_nonprice_utilities(rows, m.policy.compute_lockin_factor(), deals)

    def compute_utilities(self, buyer: str) -> np.ndarray:
        """Utility of each designer's chips to `buyer` at this month's prices (-inf: none)."""
        m = self._m
        deals = m.deals.live_supply()
        values = m.chips.compute_value_usd_b_per_gw(m.cloud.price_usd_b_per_gw_year)
        prices = np.array([m.chips.price_usd_b_per_gw[d] for d in m.designers])
        vals = np.maximum([values[d] for d in m.designers], 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.compute_nonprice_utility(buyer, deals)
                    - m.p.market.price_sensitivity * np.log(prices / vals))

    # ----- sites and datacenters --------------------------------------------------------------
    def compute_powered_gw(self, firm: str) -> float:
        """Powered datacenter capacity `firm` operates this month, GW."""
        return float(self._m.powered_by_firm[self._m.firm_index[firm]])

    def compute_powered_and_pipeline_gw(self, firm: str) -> float:
        """`firm`'s powered capacity plus datacenters planned or under construction, GW."""
        m = self._m
        return m.fleet.compute_powered_and_pipeline_gw(m.n_firms, m.firm_index[firm])

    def compute_expected_powered_gw(self, firm: str, step: int) -> float:
        """GW `firm` expects powered by `step` (`Fleet.expected_powered_gw`)."""
        m = self._m
        return float(m.fleet.expected_powered_gw(m.n_firms, step)[m.firm_index[firm]])

    def compute_capex_outstanding_usd_b(self, firm: str) -> float:
        """Capex still to be paid on `firm`'s planned and building datacenters, USD B."""
        return self._m.fleet.compute_capex_outstanding_usd_b(self._m.firm_index[firm])

    def compute_best_free_sites(self, n: int, min_gw: float = 0.0) -> np.ndarray:
        """Indices of up to `n` best free sites (`SitePool.best_free_sites`)."""
        return self._m.sites.best_free_sites(n, min_gw=min_gw)

    def compute_site_free_gw(self, site: int) -> float:
        """Grid power still free on a site, GW."""
        sites = self._m.sites
        return float(sites.grid_power_gw[site] - sites.used_gw[site])

    def compute_site_capex_usd_b_per_gw(self, site: int) -> float:
        """Building cost of a site per GW, chips excluded, USD B."""
        return float(self._m.sites.capex_usd_b_per_gw[site])

    def compute_typical_capex_usd_b_per_gw(self) -> float:
        """Median capex per GW of the 20 best free sites (what a new build would cost;
        `SitePool.compute_typical_capex_usd_b_per_gw`)."""
        return self._m.sites.compute_typical_capex_usd_b_per_gw()

    def compute_typical_time_to_power_months(self) -> float | None:
        """Median months from planning to power of the 20 best free sites (None: none free;
        `SitePool.compute_typical_time_to_power_months`)."""
        return self._m.sites.compute_typical_time_to_power_months()

    # ----- users' demand for AI services ------------------------------------------------------
    def compute_ai_demand_gw(self, month_idx: int) -> float:
        """Users' expected demand for AI compute at `month_idx`, GW (`FrontierDemand`)."""
        return self._m.frontier.compute_demand_gw(month_idx)

    def compute_fringe_lab_gw(self, month_idx: int) -> float:
        """The fringe labs' expected compute at `month_idx`, GW (`FrontierDemand`)."""
        return self._m.frontier.compute_fringe_lab_gw(month_idx)

    # ===== deals, stakes and policy: what the deal pipeline and the regulator read =========
    # Deals and the stake registry are handed out as they are (no copy: they are read every
    # month); the pipeline and the regulator change them only through
    # `world.closing.DealClosing`.
    def get_deal(self, deal_id: str) -> Deal:
        """The deal with this id (KeyError naming it if absent; read only)."""
        return self._m.deals.get(deal_id)

    @property
    def stakes(self) -> StakeRegistry:
        """The stake registry (read only: its `compute_*` methods)."""
        return self._m.stakes

    def forbids_equity_deal(self, kind: DealKind | None, source: str, target: str,
                            deal_id: str = "") -> bool:
        """Whether an intervention forbids the deal (`Policy.forbids_equity_deal`)."""
        return self._m.policy.forbids_equity_deal(kind, source, target, deal_id)

    def forbids_deal(self, kind: DealKind | None, source: str, target: str,
                     deal_id: str = "") -> bool:
        """Whether an intervention forbids the deal (`Policy.forbids_deal`)."""
        return self._m.policy.forbids_deal(kind, source, target, deal_id)

    def is_vendor_financing(self, kind: DealKind | None, source: str, target: str) -> bool:
        """Equity or a warrant from a chip vendor to another firm (`Policy`)."""
        return self._m.policy.is_vendor_financing(kind, source, target)

    def makes_nonvoting_reportable(self) -> bool:
        """Whether a `nonvoting_reportable` intervention is in force."""
        return self._m.policy.makes_nonvoting_reportable()

    def allows_exclusivity(self) -> bool:
        """Whether exclusive terms are allowed (market switch and interventions)."""
        return self._m.policy.allows_exclusivity()

    def compute_roles(self) -> dict[str, str]:
        """Firm -> role ('vendor', 'cloud', 'lab')."""
        return {name: firm.role for name, firm in self._m.firms.items()}

    def compute_role(self, firm: str) -> str:
        """The firm's role ('' for a name that is not one of the firms)."""
        named = self._m.firms.get(firm)
        return named.role if named is not None else ""

    def designs_chips(self, firm: str) -> bool:
        """Whether the firm designs accelerators (a designer in the chip market)."""
        return firm in self._m.designers

    def compute_spendable_usd_b(self, firm: str) -> float:
        """Cash plus undrawn debt capacity, USD B."""
        return self._m.firms[firm].compute_spendable_usd_b()

    def compute_expected_funding_usd_b(self, firm: str) -> float:
        """Funding a lab can expect (its round under way), USD B; 0 for other firms."""
        named = self._m.firms[firm]
        return getattr(named, "compute_expected_funding_usd_b", lambda: 0.0)()

    def compute_frontier_share_of(self, firm: str) -> float:
        """A lab's share of frontier AI; 1 for firms that are not labs (no such test)."""
        named = self._m.firms[firm]
        return named.compute_frontier_share() if hasattr(named, "compute_frontier_share") else 1.0

    def compute_burn_usd_b_per_year(self, firm: str) -> float:
        """The firm's trailing cash burn, USD B per year."""
        return self._m.firms[firm].burn_usd_b_per_year

    def compute_revenue_usd_b_per_year(self, firm: str) -> float:
        """The firm's trailing revenue, USD B per year."""
        return self._m.firms[firm].revenue_usd_b_per_year

    def compute_valuation_usd_b(self, firm: str) -> float:
        """The firm's current equity valuation, USD B."""
        return self._m.firms[firm].valuation_usd_b

    def compute_list_price_usd_b_per_gw(self, firm: str) -> float:
        """A chip vendor's list price, USD B per GW (0 for a firm that sells no chips)."""
        return getattr(self._m.firms[firm], "price_usd_b_per_gw", 0.0)

    def compute_deployed_gw(self, firm: str) -> float:
        """GW of accelerators the firm has deployed in powered datacenters."""
        return self._m.firms[firm].compute_deployed_gw()

    def compute_deployed_gw_of(self, firm: str, designer: str) -> float:
        """GW of `designer`'s accelerators the firm has deployed."""
        return self._m.firms[firm].compute_deployed_gw_of(designer)

    def compute_pipeline_gw_by_firm(self) -> dict[str, float]:
        """Firm -> GW of datacenters planned or under construction."""
        pipeline = self._m.fleet.pipeline_gw(self._m.n_firms)
        return {name: float(pipeline[i]) for name, i in self._m.firm_index.items()}
