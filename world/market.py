"""Market rules as pure functions: the logit order split, backlog pricing, rationing, cloud price.

These are the rules of DESIGN.md 'Markets'. Nothing here mutates state; the model calls them
each month with arrays in a fixed (sorted-seller) order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from world.params import month_index


def compute_logit_split(utilities: np.ndarray) -> np.ndarray:
    """Multinomial-logit choice probabilities over sellers.

    Rule: P_j = exp(u_j) / sum_k exp(u_k) (McFadden 1974), computed stably. Sellers whose
    utility is -inf (not available to this buyer) get probability 0.

    Args:
        utilities: one utility per seller (dimensionless).

    Returns:
        Probabilities summing to 1 (all zeros if no seller is available).
    """
    u = np.asarray(utilities, dtype=float)
    finite = np.isfinite(u)
    if not finite.any():
        return np.zeros_like(u)
    top = u[finite].max()
    w = np.where(finite, np.exp(np.where(finite, u, top) - top), 0.0)
    return w / w.sum()


def compute_buyer_utilities(
    price_usd_b_per_pflop: np.ndarray,
    lead_time_months: np.ndarray,
    lockin: np.ndarray,
    relationship: np.ndarray,
    installed_share: np.ndarray,
    *,
    price_sensitivity: float,
    lead_time_weight: float,
    relationship_bonus: float,
    diversification: float,
    max_supplier_share: float = 1.0,
) -> np.ndarray:
    """Utility of each seller to one buyer (DESIGN 'Markets': price-performance, lead time,
    software lock-in, relationships, wish to diversify).

    Rule: u_j = -price_sensitivity * ln(p_j / min_k p_k) - lead_time_weight * L_j + lockin_j
    + relationship_bonus * r_j - diversification * max(0, s_j - max_supplier_share) * 10,
    where p is the price per dense PFLOP/s, L the lead time in months, r_j in {0, 1} a live
    deal with the seller, s_j the seller's share of the buyer's installed base. Unavailable
    sellers carry a non-finite price and get -inf.
    """
    p = np.asarray(price_usd_b_per_pflop, dtype=float)
    ok = np.isfinite(p) & (p > 0)
    if not ok.any():
        return np.full_like(p, -np.inf)
    rel_price = np.where(ok, p / p[ok].min(), 1.0)
    over = np.maximum(0.0, np.asarray(installed_share, dtype=float) - max_supplier_share)
    u = (
        -price_sensitivity * np.log(rel_price)
        - lead_time_weight * np.asarray(lead_time_months, dtype=float)
        + np.asarray(lockin, dtype=float)
        + relationship_bonus * np.asarray(relationship, dtype=float)
        - diversification * 10.0 * over
    )
    return np.where(ok, u, -np.inf)


def compute_markup_price(
    cost_usd_b_per_gw: float,
    base_markup: float,
    backlog_gw: float,
    capacity_gw_per_month: float,
    backlog_slope: float,
    markup_cap: float,
) -> float:
    """Seller price with a markup that rises with backlog relative to capacity.

    Rule: p = c * (1 + min(cap, m0 * (1 + slope * B / (K * 12)))), B the order backlog (GW),
    K monthly capacity (GW); a backlog of a year of output raises the markup by `slope`.
    With no capacity the markup sits at its cap (the seller can sell nothing now).
    """
    if capacity_gw_per_month <= 0:
        pressure = markup_cap
    else:
        pressure = base_markup * (1.0 + backlog_slope * backlog_gw / (12.0 * capacity_gw_per_month))
    return cost_usd_b_per_gw * (1.0 + min(markup_cap, pressure))


def compute_rationing(
    priority_gw: np.ndarray, open_gw: np.ndarray, supply_gw: float
) -> tuple[np.ndarray, np.ndarray]:
    """Split one seller's monthly output among its buyers: contracted orders first, then the
    open backlog pro rata (proportional rationing, a standard tie-breaking rule).

    Returns:
        (delivered against contracts, delivered against open orders), per buyer, in GW. Each
        never exceeds what was ordered and their total never exceeds supply.
    """
    pri = np.maximum(np.asarray(priority_gw, dtype=float), 0.0)
    opn = np.maximum(np.asarray(open_gw, dtype=float), 0.0)
    supply = max(0.0, supply_gw)
    total_pri = pri.sum()
    if total_pri >= supply:
        scale = supply / total_pri if total_pri > 0 else 0.0
        return pri * scale, np.zeros_like(opn)
    left = supply - total_pri
    total_open = opn.sum()
    scale = min(1.0, left / total_open) if total_open > 0 else 0.0
    return pri.copy(), opn * scale


def compute_equal_rationing(
    priority_gw: np.ndarray, open_gw: np.ndarray, supply_gw: float
) -> tuple[np.ndarray, np.ndarray]:
    """Split one seller's output with no priority for contracts: contracted and open orders
    are rationed pro rata together (equal access, the supply remedy of
    `agents.remedies`). Same return as `compute_rationing`."""
    pri = np.maximum(np.asarray(priority_gw, dtype=float), 0.0)
    opn = np.maximum(np.asarray(open_gw, dtype=float), 0.0)
    total = pri.sum() + opn.sum()
    scale = min(1.0, max(0.0, supply_gw) / total) if total > 0 else 0.0
    return pri * scale, opn * scale


def compute_cloud_price(
    base_usd_b_per_gw_year: float, demand_gw: float, supply_gw: float, elasticity: float = 0.5
) -> float:
    """Lease price of AI cloud capacity (USD B per GW-year) rising with tightness.

    Rule: p = base * clip(demand / supply, 0.5, 2) ** elasticity: a constant-elasticity
    scarcity premium around the calibrated base (facts.toml D4: ~$60B/yr for ~4.5 GW, ~$13B/GW-yr).
    """
    if supply_gw <= 0:
        return base_usd_b_per_gw_year * 2.0**elasticity
    ratio = min(2.0, max(0.5, demand_gw / supply_gw))
    return base_usd_b_per_gw_year * ratio**elasticity


def compute_path_value(path: Sequence[tuple[str, float]], month_idx: int) -> float:
    """Value of a dated path of ('YYYY-MM', value) points at `month_idx`.

    Rule: linear interpolation between points (sorted by month), flat before the first and
    after the last point; an empty path gives 0. Used for every exogenous path of a scenario
    (packaging capacity, fringe demand, the lab's compute ambition).
    """
    if not path:
        return 0.0
    pts = sorted((month_index(m), float(v)) for m, v in path)
    return float(np.interp(float(month_idx), [p[0] for p in pts], [p[1] for p in pts]))


def compute_linear_demand_price(intercept: float, slope: float, quantity: float) -> float:
    """Price on a linear inverse demand curve, P = max(0, a - b Q) (the textbook docking
    demand of Cournot and double marginalisation; Tirole 1988, ch. 4-5)."""
    return max(0.0, intercept - slope * quantity)
