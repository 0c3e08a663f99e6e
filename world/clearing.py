"""Market-clearing rules as pure functions: one month of each market, solvable on its own.

Nothing here reads or mutates the model. Each function takes arrays in a fixed order (buyers
by row, sellers by column) and returns a frozen result, so a month's market can be re-solved
cheaply with links removed (`excluded_links`): what a buyer would pay elsewhere and what a
seller would earn elsewhere if one bilateral link failed (the disagreement payoffs of
Nash-in-Nash bargaining; Collard-Wexler, Gowrisankaran and Lee 2019, Econometrica 87(1)).

Rules (units: GW of facility power, USD B, months; docs/odd.md 'Markets'):

- accelerators: logit demand with an outside option ("defer the order"), log-price utility,
  each strategic vendor setting the Bertrand-Nash price with a capacity constraint
  (`solve_logit_bertrand`, in `world.bertrand` and re-exported here); orders are rationed
  pro rata when a seller is short (`clear_chip_market`);
- cloud capacity: contracted leases first, the rest of the powered capacity leased to tenants
  at the price where their constant-elasticity demand equals it (`clear_cloud_market`);
- frontier AI services: constant-elasticity demand Q = A (P / P_ref)^-e against the labs'
  compute (`clear_frontier_market`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from world.bertrand import (
    BertrandSolution,
    compute_logit_shares,
    compute_sum_like_numpy,
    solve_logit_bertrand,
)

__all__ = [
    "BertrandSolution",
    "ChipClearing",
    "CloudClearing",
    "FrontierClearing",
    "Link",
    "clear_chip_market",
    "clear_cloud_market",
    "clear_frontier_market",
    "compute_lease_price",
    "compute_logit_shares",
    "compute_rationing",
    "compute_rationing_gw",
    "solve_logit_bertrand",
]

Link = tuple[int, int]
"""A bilateral link as (buyer row, seller column)."""


def _mask_links(utilities: np.ndarray, excluded_links: Collection[Link]) -> np.ndarray:
    u = np.array(utilities, dtype=float, copy=True)
    for b, k in excluded_links:
        u[b, k] = -np.inf
    return u


# ------------------------------------------------------------------------------ accelerators
@dataclass(frozen=True)
class ChipClearing:
    """One month of the accelerator market (GW, USD B).

    Attributes:
        orders_gw: (buyers, sellers) orders placed.
        delivered_gw: (buyers, sellers) GW delivered (orders rationed by capacity).
        deferred_gw: (buyers,) GW not ordered (the outside option).
        seller_profit_usd_b: (sellers,) (price - cost) x delivered.
        buyer_paid_usd_b: (buyers,) price x delivered.
        buyer_surplus_usd_b: (buyers,) (value - price) x delivered.
    """

    orders_gw: np.ndarray
    delivered_gw: np.ndarray
    deferred_gw: np.ndarray
    seller_profit_usd_b: np.ndarray
    buyer_paid_usd_b: np.ndarray
    buyer_surplus_usd_b: np.ndarray


def clear_chip_market(
    demand_gw: np.ndarray,
    utilities: np.ndarray,
    capacity_gw: np.ndarray,
    price: np.ndarray,
    cost: np.ndarray,
    value_usd_b_per_gw: np.ndarray,
    outside_utility: float = 0.0,
    excluded_links: Collection[Link] = (),
) -> ChipClearing:
    """Split buyers' orders by logit, ration each seller's capacity pro rata, settle payments.

    Rule: orders_bk = demand_b x s_bk (logit with the outside option, `excluded_links` made
    unavailable, so a buyer cut off from a seller turns to the others or defers); each
    seller delivers min(1, K_k / sum_b orders_bk) of every order (proportional rationing).
    Conserves quantity: delivered <= orders, sum over buyers of delivered <= capacity, and
    orders + deferred = demand for every buyer with an available option.
    """
    u = _mask_links(np.atleast_2d(utilities), excluded_links)
    shares = compute_logit_shares(u, outside_utility)
    w = np.asarray(demand_gw, dtype=float)
    orders = w[:, None] * shares
    total = orders.sum(axis=0)
    cap = np.maximum(np.asarray(capacity_gw, dtype=float), 0.0)
    fill = np.divide(cap, total, out=np.ones_like(total), where=total > cap)
    delivered = orders * np.minimum(fill, 1.0)[None, :]
    p = np.asarray(price, dtype=float)
    margin = p - np.asarray(cost, dtype=float)
    return ChipClearing(
        orders_gw=orders,
        delivered_gw=delivered,
        deferred_gw=w - orders.sum(axis=1),
        seller_profit_usd_b=delivered.sum(axis=0) * margin,
        buyer_paid_usd_b=delivered @ p,
        buyer_surplus_usd_b=(delivered * (np.asarray(value_usd_b_per_gw)[:, None] - p)).sum(1),
    )


def compute_rationing(
    priority_gw: np.ndarray, open_gw: np.ndarray, supply_gw: float, equal_access: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Split one seller's output among its buyers (GW): contracted orders first, then the open
    backlog pro rata; with `equal_access` both are rationed pro rata together (the supply
    remedy of `world.closing`). Arrays in and out; the rule is `compute_rationing_gw`.

    Returns:
        (delivered against contracts, delivered against open orders) per buyer: each never
        exceeds what was ordered, their total never exceeds supply.
    """
    pri, opn = compute_rationing_gw(
        np.asarray(priority_gw, dtype=float).tolist(), np.asarray(open_gw, dtype=float).tolist(),
        supply_gw, equal_access)
    return np.array(pri, dtype=float), np.array(opn, dtype=float)


def compute_rationing_gw(
    priority_gw: Sequence[float], open_gw: Sequence[float], supply_gw: float,
    equal_access: bool = False,
) -> tuple[list[float], list[float]]:
    """`compute_rationing` on plain floats (a seller's month is a few numbers: cheaper than
    arrays). Rule: negative orders count as 0; if contracted orders P = sum_b p_b reach the
    supply S, each gets S / P of its order and open orders get nothing; otherwise contracts
    are met in full and each open order gets min(1, (S - P) / O) of itself, O the open
    total; with `equal_access` every order gets min(1, S / (P + O)). Sums are taken in
    numpy's order (`compute_sum_like_numpy`), so the doubles are those of the array form;
    the results are Python floats."""
    pri = [0.0 if v <= 0.0 else float(v) for v in priority_gw]  # np.maximum(v, 0.0)
    opn = [0.0 if v <= 0.0 else float(v) for v in open_gw]
    supply = max(0.0, supply_gw)
    if equal_access:
        total = compute_sum_like_numpy(pri) + compute_sum_like_numpy(opn)
        scale = min(1.0, supply / total) if total > 0 else 0.0
        return [v * scale for v in pri], [v * scale for v in opn]
    total_pri = compute_sum_like_numpy(pri)
    if total_pri >= supply:
        scale = supply / total_pri if total_pri > 0 else 0.0
        return [v * scale for v in pri], [0.0] * len(opn)
    total_open = compute_sum_like_numpy(opn)
    scale = min(1.0, (supply - total_pri) / total_open) if total_open > 0 else 0.0
    return pri, [v * scale for v in opn]


# ------------------------------------------------------------------------------ cloud capacity
@dataclass(frozen=True)
class CloudClearing:
    """One month of the cloud-capacity market.

    Attributes:
        price_usd_b_per_gw_year: lease price to tenants, USD B per GW-year.
        contracted_gw: (buyers, sellers) GW provided under contracts.
        tenant_gw: (sellers,) GW leased to tenants at the market price.
        idle_gw: (sellers,) powered capacity left unleased.
        seller_revenue_usd_b_per_year: (sellers,) contracts at their prices + tenants at market.
        buyer_paid_usd_b_per_year: (buyers,) what each contract buyer pays (its displaced
            contracted GW bought at the market price when a link is excluded).
    """

    price_usd_b_per_gw_year: float
    contracted_gw: np.ndarray
    tenant_gw: np.ndarray
    idle_gw: np.ndarray
    seller_revenue_usd_b_per_year: np.ndarray
    buyer_paid_usd_b_per_year: np.ndarray


def compute_lease_price(
    free_gw: float,
    tenant_demand_gw: float,
    ref_price: float,
    elasticity: float,
    bounds: tuple[float, float],
    inelastic_gw: float = 0.0,
) -> float:
    """Lease price at which tenants' demand takes up the free capacity (USD B per GW-year).

    Rule: tenants demand T (r / r_ref)^-eta GW (constant elasticity eta, T the demand at the
    reference price); buyers displaced from a contract add `inelastic_gw`. The price solves
    T (r / r_ref)^-eta = free - inelastic, clipped to `bounds` (at the floor, capacity idles;
    at the cap, tenants are rationed).
    """
    room = free_gw - inelastic_gw
    if tenant_demand_gw <= 0:
        return bounds[0]
    if room <= 0:
        return bounds[1]
    log_price = math.log(ref_price) + (math.log(tenant_demand_gw) - math.log(room)) / elasticity
    if log_price >= math.log(bounds[1]):
        return float(bounds[1])
    if log_price <= math.log(bounds[0]):
        return float(bounds[0])
    return math.exp(log_price)


def clear_cloud_market(
    supply_gw: np.ndarray,
    contract_gw: np.ndarray,
    contract_price: np.ndarray,
    tenant_demand_gw: float,
    ref_price: float,
    elasticity: float,
    price_bounds: tuple[float, float],
    excluded_links: Collection[Link] = (),
) -> CloudClearing:
    """Clear powered cloud capacity: contracts first, the rest to tenants at a clearing price.

    Rule: each seller provides its contracts pro rata up to its powered capacity; free
    capacity F = sum_k (S_k - provided_k) goes to tenants at the price of
    `compute_lease_price`, spread over sellers in proportion to their free capacity. A
    contract on an excluded link is not served by its seller: its buyer buys the same GW at
    the market price from the free capacity (inelastic demand), so the re-solved market
    shows what the buyer would pay and what the seller would earn without that link.

    Args:
        supply_gw: (sellers,) powered, deployed capacity, GW.
        contract_gw: (buyers, sellers) GW due under contracts this month.
        contract_price: (buyers, sellers) contract prices, USD B per GW-year.
        tenant_demand_gw: tenants' demand at the reference price, GW.
    """
    supply = np.maximum(np.asarray(supply_gw, dtype=float), 0.0)
    due = (np.array(contract_gw, dtype=float, copy=True) if len(excluded_links)
           else np.asarray(contract_gw, dtype=float))  # (written to only to drop links)
    displaced = np.zeros(due.shape[0])
    for b, k in excluded_links:
        displaced[b] += due[b, k]
        due[b, k] = 0.0
    displaced_gw = float(displaced.sum())
    total_due = due.sum(axis=0)
    fill = np.divide(supply, total_due, out=np.ones_like(total_due), where=total_due > supply)
    provided = due * np.minimum(fill, 1.0)[None, :]
    free = supply - provided.sum(axis=0)
    free = np.where(free > 1e-12 * np.maximum(supply, 1.0), free, 0.0)  # rounding is not room
    free_total = float(free.sum())
    price = compute_lease_price(
        free_total, tenant_demand_gw, ref_price, elasticity, price_bounds, displaced_gw
    )
    wanted = tenant_demand_gw * (price / ref_price) ** (-elasticity) + displaced_gw
    taken = min(free_total, wanted)
    by_seller = free * (taken / free_total) if free_total > 0 else np.zeros_like(free)
    displaced_served = displaced * (min(1.0, taken / wanted) if wanted > 0 else 0.0)
    charged = provided * contract_price
    revenue = charged.sum(axis=0) + by_seller * price
    paid = charged.sum(axis=1) + displaced_served * price
    return CloudClearing(price, provided, by_seller, free - by_seller, revenue, paid)


# ------------------------------------------------------------------------------ frontier AI
@dataclass(frozen=True)
class FrontierClearing:
    """One month of the frontier-AI services market.

    Attributes:
        price_usd_b_per_gw_year: end-user price of a GW-year of served compute, USD B.
        served_gw: (labs,) compute each lab serves users with, GW.
        revenue_usd_b_per_year: (labs,) price x served, USD B per year.
    """

    price_usd_b_per_gw_year: float
    served_gw: np.ndarray
    revenue_usd_b_per_year: np.ndarray


def clear_frontier_market(
    compute_gw: np.ndarray,
    demand_gw: float,
    ref_price: float,
    elasticity: float,
    price_bounds: tuple[float, float],
) -> FrontierClearing:
    """Price of AI services where users' demand meets the labs' compute.

    Rule: users demand Q = A (P / P_ref)^-e GW-years per year of served compute (A =
    `demand_gw` at the reference price P_ref, constant elasticity e); the labs serve all their
    compute K, so P = P_ref (A / K)^(1/e), clipped to `price_bounds`. At the floor only
    A (P_min / P_ref)^-e is served (the rest idles, pro rata); at the cap users are rationed.
    Revenue_i = P x served_i.
    """
    k = np.maximum(np.asarray(compute_gw, dtype=float), 0.0)
    total = float(k.sum())
    if total <= 0 or demand_gw <= 0:
        price = price_bounds[1] if total <= 0 else price_bounds[0]
        return FrontierClearing(price, np.zeros_like(k), np.zeros_like(k))
    log_price = math.log(ref_price) + (math.log(demand_gw) - math.log(total)) / elasticity
    lo, hi = price_bounds
    price = hi if log_price >= math.log(hi) else lo if log_price <= math.log(lo) else (
        math.exp(log_price))
    wanted = demand_gw * (price / ref_price) ** (-elasticity)
    served = k * min(1.0, wanted / total)
    return FrontierClearing(price, served, served * price)
