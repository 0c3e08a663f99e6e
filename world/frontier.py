"""Demand for AI services (the frontier-AI market): a component that owns the demand state.

Unit of quantity: GW of served compute (one GW serving users for a year sells one GW-year).
Unit of price: USD B per GW-year of served compute, P. Users demand

    Q_t(P) = A_t (P / P_ref)^-e,    A_t = Abar(t) x X_t x m_t,

with Abar(t) the reference path `demand.frontier_demand_gw`, X_t a random walk in logs
(log X_{t+1} = log X_t + sigma / sqrt(12) z_t, z_t ~ N(0, 1) from the seed: uncertain growth),
and m_t the product of `lab_revenue` shocks and `demand.revenue_multiplier`. The labs serve
all their compute K_t (OpenAI's own deployed plus leased GW, the fringe labs' GW), so the price
clears at P_t = P_ref (A_t / K_t)^(1/e) (`world.clearing.clear_frontier_market`), and each
lab's revenue is P_t x its served GW. Sources: P_ref = $10.5B per GW-year from 'OpenAI compute
and revenue' (OpenAI CFO, 2026-01: > $20B annualised at ~1.9 GW).

The fringe labs are many small price takers that rent their compute. Compute they decide on
now arrives over the next year (each month they move a `FRINGE_ADJUST_MONTHS`-th of the way to
their target), so, like the lab planning its compute for the month it arrives, they plan for
the month `FRINGE_LEAD_MONTHS` ahead: the quantity at which the price of AI services expected
then equals their marginal cost of a GW-year, the lease price r_t,

    K_f*(t) = max(0, A_{t+L} (r_t / P_ref)^-e - K_named(t+L)),   L = FRINGE_LEAD_MONTHS,

with A_{t+L} = Abar(t+L) X_t m_t (today's demand index carried forward) and the named labs'
compute expected then, K_named(t+L) = K_named(t) Abar(t+L) / Abar(t) (grown like the reference
demand: the view the lab takes of the fringe, turned round). Hence
K_f*(t) = g_t max(0, A_t (r_t / P_ref)^-e - K_named(t)) with g_t = Abar(t+L) / Abar(t): with a
flat reference path the fringe converges to the static competitive quantity P(K) = r.
They start at their reference plan (`fringe_lab_revenue_usd_b_per_year` / P_ref).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from world.clearing import FrontierClearing, clear_frontier_market
from world.market import compute_path_value
from world.params import DemandParams

FRINGE_ADJUST_MONTHS = 12.0
"""The fringe labs close their gap to the profit-maximising compute over about a year (cloud
contracts ramp over 12 months, datacenters take 12-36: facts.toml build_times)."""

FRINGE_LEAD_MONTHS = int(FRINGE_ADJUST_MONTHS) - 1
"""How far ahead the fringe labs plan their compute, months: the mean delay with which a
decision reaches their compute when they close a `FRINGE_ADJUST_MONTHS`-th of the gap a month
(a geometric lag: weight (1/n)(1 - 1/n)^j on the target of j months ago, mean lag n - 1 = 11).
Without a lead they chase today's target and hold only ~62% of it while demand doubles yearly;
with it ~117% (~106% at 1.5x a year): tests/world/test_frontier_fringe.py (Kydland and
Prescott 1982: capacity is planned for the date it comes into service)."""


def compute_cournot_compute_gw(
    demand_gw: float,
    rivals_gw: float,
    ref_price: float,
    elasticity: float,
    cost_usd_b_per_gw_year: float,
    most_gw: float,
) -> float:
    """Compute (GW) a lab with Cournot conjectures buys against demand Q = A (P / P_ref)^-e.

    Rule: maximise P(K) q - c q with K = q + rivals and P(K) = P_ref (A / K)^(1/e); the first
    order condition P(K) (1 - q / (e K)) = c is decreasing in q, solved by bisection on
    [0, most_gw] (Cournot 1838; with e the market elasticity, s = q / K the lab's share).
    Returns 0 when even the first GW does not pay, `most_gw` when the last one still does.
    """

    def marginal(q: float) -> float:
        k = max(q + rivals_gw, 1e-9)
        return ref_price * (demand_gw / k) ** (1.0 / elasticity) * (1.0 - q / (elasticity * k))

    if demand_gw <= 0 or marginal(0.0) <= cost_usd_b_per_gw_year:
        return 0.0
    if marginal(most_gw) >= cost_usd_b_per_gw_year:
        return most_gw
    lo, hi = 0.0, most_gw
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if marginal(mid) > cost_usd_b_per_gw_year:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


class FrontierDemand:
    """Users' demand for AI services and its monthly clearing (module docstring).

    Attributes:
        log_growth_shock: log X_t, the accumulated demand surprise.
        multiplier: m_t, the product of the scenario's demand shocks.
        price_usd_b_per_gw_year: this month's end-user price P_t.
        revenue_usd_b_per_year: lab -> P_t x served GW this month (annualised).
        served_gw: lab -> served GW this month.
    """

    def __init__(self, params: DemandParams, rng: np.random.Generator) -> None:
        self.p = params
        self.rng = rng
        self.log_growth_shock = 0.0
        self.multiplier = params.revenue_multiplier
        self.price_usd_b_per_gw_year = params.frontier_price_usd_b_per_gw_year
        self.revenue_usd_b_per_year: dict[str, float] = {}
        self.served_gw: dict[str, float] = {}
        self.now_idx = 0
        self.fringe_lab_gw = -1.0
        """The fringe labs' compute, GW (set to their plan at the first month)."""

    # ----- reading ------------------------------------------------------------------------------
    def compute_demand_index(self) -> float:
        """X_t m_t: realised demand relative to the reference path (1 = as expected)."""
        return math.exp(self.log_growth_shock) * self.multiplier

    def compute_demand_gw(self, month_idx: int | None = None) -> float:
        """A at `month_idx` (default now) given today's demand index, GW at P_ref."""
        idx = self.now_idx if month_idx is None else month_idx
        return compute_path_value(self.p.frontier_demand_gw, idx) * self.compute_demand_index()

    def compute_fringe_plan_gw(self, month_idx: int) -> float:
        """The fringe labs' reference plan at `month_idx`, GW: revenue plan / P_ref."""
        plan = compute_path_value(self.p.fringe_lab_revenue_usd_b_per_year, month_idx)
        return plan / self.p.frontier_price_usd_b_per_gw_year

    def compute_fringe_lab_gw(self, month_idx: int | None = None) -> float:
        """The fringe labs' compute now (default), or expected at `month_idx`: today's compute
        grown like the reference demand path, GW."""
        if month_idx is None or month_idx == self.now_idx:
            return self.fringe_lab_gw
        return self.fringe_lab_gw * self.compute_reference_growth(month_idx)

    def compute_reference_growth(self, month_idx: int) -> float:
        """Abar(month_idx) / Abar(now): growth of the reference demand path by `month_idx`
        (1 if the path is 0 now)."""
        now = compute_path_value(self.p.frontier_demand_gw, self.now_idx)
        then = compute_path_value(self.p.frontier_demand_gw, month_idx)
        return then / now if now > 0 else 1.0

    def compute_fringe_target_gw(
        self, named_compute_gw: float, cost: float, month_idx: int | None = None
    ) -> float:
        """Compute the price-taking fringe labs want at `month_idx` (default now), GW: they add
        compute while the price of AI services expected then exceeds their marginal cost of a
        GW-year `cost` (USD B), so at the target P(named + fringe) = cost, i.e.
        fringe = g (A (cost / P_ref)^-e - named), never < 0, with A and `named_compute_gw`
        today's demand and named labs' compute and g = Abar(month_idx) / Abar(now) the growth
        of the reference demand by then (both expected to grow with it; module docstring)."""
        p_ref = self.p.frontier_price_usd_b_per_gw_year
        wanted = self.compute_demand_gw() * (max(cost, 1e-9) / p_ref) ** -self.p.frontier_elasticity
        growth = 1.0 if month_idx is None else self.compute_reference_growth(month_idx)
        return max(0.0, growth * (wanted - named_compute_gw))

    def update_remove_fringe_labs(self) -> None:
        """No fringe labs (`[components] fringe = false`): their compute is 0 GW."""
        self.fringe_lab_gw = 0.0

    def update_fringe_labs(self, named_compute_gw: float, cost: float) -> None:
        """The fringe labs move their compute a `FRINGE_ADJUST_MONTHS`-th of the way to their
        target for `FRINGE_LEAD_MONTHS` ahead each month (leases and builds take time), given
        the named labs' compute now (GW) and the lease price `cost` (USD B per GW-year)."""
        target = self.compute_fringe_target_gw(
            named_compute_gw, cost, self.now_idx + FRINGE_LEAD_MONTHS
        )
        self.fringe_lab_gw += (target - self.fringe_lab_gw) / FRINGE_ADJUST_MONTHS

    def compute_shares(self) -> dict[str, float]:
        """Revenue shares of the labs this month (empty before the first clearing)."""
        total = sum(self.revenue_usd_b_per_year.values())
        if total <= 0:
            return {}
        return {k: v / total for k, v in sorted(self.revenue_usd_b_per_year.items())}

    # ----- the month ----------------------------------------------------------------------------
    def update_demand(self, now_idx: int) -> None:
        """Draw this month's growth shock (one standard-normal draw a month, in order)."""
        self.now_idx = now_idx
        if self.fringe_lab_gw < 0:
            self.fringe_lab_gw = self.compute_fringe_plan_gw(now_idx)
        sd = self.p.growth_sd_per_year / math.sqrt(12.0)
        self.log_growth_shock += sd * float(self.rng.standard_normal())

    def update_shock(self, multiplier: float) -> None:
        """A dated `lab_revenue` shock scales demand from now on."""
        self.multiplier *= multiplier

    def update_clear(self, compute_gw: Mapping[str, float]) -> FrontierClearing:
        """Clear this month's market against the labs' compute (lab -> GW, sorted)."""
        names = sorted(compute_gw)
        p_ref = self.p.frontier_price_usd_b_per_gw_year
        result = clear_frontier_market(
            np.array([compute_gw[n] for n in names]),
            self.compute_demand_gw(),
            p_ref,
            self.p.frontier_elasticity,
            (p_ref * self.p.price_floor_frac, p_ref * self.p.price_cap_frac),
        )
        self.price_usd_b_per_gw_year = result.price_usd_b_per_gw_year
        self.served_gw = {n: float(q) for n, q in zip(names, result.served_gw, strict=True)}
        self.revenue_usd_b_per_year = {
            n: float(r) for n, r in zip(names, result.revenue_usd_b_per_year, strict=True)
        }
        return result
