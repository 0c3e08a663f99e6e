"""Logit demand and Bertrand-Nash pricing with capacities: the accelerator vendors' price game.

Pure functions (nothing here reads or mutates the model). `world.clearing`, which clears the
accelerator market with them, re-exports these names. Units: GW of facility
power, USD B per GW; docs/odd.md 'Markets'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BRENT_RTOL = 4 * float(np.finfo(float).eps)
"""Relative tolerance of `find_root_brent` (scipy.optimize.brentq's default and minimum)."""
BRENT_MAX_ITER = 100


# ------------------------------------------------------------------------------ logit demand
def compute_logit_shares(utilities: np.ndarray, outside_utility: float | None = None) -> np.ndarray:
    """Multinomial-logit choice probabilities, row by row (McFadden 1974).

    Rule: s_bk = exp(u_bk) / (exp(u_0) + sum_j exp(u_bj)); without an outside option the
    exp(u_0) term is absent. Non-finite utilities (a seller not available to that buyer) get
    share 0. Rows with no available seller and no outside option get all zeros.

    Args:
        utilities: (buyers, sellers) or (sellers,) utilities, dimensionless.
        outside_utility: utility of not buying this month (deferring), or None.

    Returns:
        Shares of the same shape; each row sums to 1 minus its outside share.
    """
    u = np.atleast_2d(np.asarray(utilities, dtype=float))
    finite = np.isfinite(u)
    top = np.where(finite, u, -np.inf).max(axis=1, keepdims=True)
    if outside_utility is not None:
        top = np.maximum(top, outside_utility)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.where(finite, np.exp(np.where(finite, u, 0.0) - top), 0.0)
    denom = w.sum(axis=1, keepdims=True)
    if outside_utility is not None:
        denom = denom + np.exp(outside_utility - top)
    out = np.divide(w, denom, out=np.zeros_like(w), where=denom > 0)
    return out.reshape(np.shape(utilities)) if np.ndim(utilities) == 1 else out


# ------------------------------------------------------------------------------ Bertrand-Nash
@dataclass(frozen=True)
class BertrandSolution:
    """Prices and demand of a logit Bertrand-Nash game with capacities.

    Attributes:
        price: (sellers,) price per GW, USD B/GW.
        demand_gw: (sellers,) GW demanded at those prices.
        shares: (buyers, sellers) logit shares (the outside option is the rest of each row).
        capacity_bound: (sellers,) True where the seller's capacity binds (shadow price).
        iterations: best-response rounds used; converged: whether prices settled.
    """

    price: np.ndarray
    demand_gw: np.ndarray
    shares: np.ndarray
    capacity_bound: np.ndarray
    iterations: int
    converged: bool


def _utilities(base: np.ndarray, alpha: float, price: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return base - alpha * np.log(price)[None, :]


def _best_response(
    terms: list[tuple[float, float, float]],
    alpha: float,
    cost: float,
    capacity: float,
    bounds: tuple[float, float],
) -> tuple[float, bool]:
    """Profit-maximising price of one seller given the others' prices.

    `terms` holds, per buyer that can buy from it, (w_b, x_b, R_b): the buyer's demand, the
    seller's exp(non-price utility) and the rest of the buyer's logit denominator (rivals and
    the outside option), all scaled by the same per-buyer constant. The seller's demand is
    D(p) = sum_b w_b s_b(p), s_b = x_b p^-a / (x_b p^-a + R_b). The marginal profit in log
    price, p D - (p - c) a sum_b w_b s_b (1 - s_b), is positive below the optimum and negative
    above (profit is quasi-concave in log p); while D(p) exceeds capacity K, raising the price
    loses no sales, so the sign is positive. Brent's root finder on that sign in log p finds
    max(unconstrained optimum, capacity-clearing price) within the bounds.
    """
    if not terms:
        return bounds[1], False
    lo, hi = math.log(bounds[0]), math.log(bounds[1])

    cap_floor = max(capacity, 1e-12)

    def marginal(log_p: float) -> float:
        p = math.exp(log_p)
        scale = p**-alpha
        dem = slope = 0.0
        for w, x, r in terms:
            xs = x * scale
            s = xs / (xs + r)
            ws = w * s
            dem += ws
            slope += ws * (1.0 - s)
        if dem > capacity:
            return 1.0 + (dem - capacity) / cap_floor
        revenue = p * dem
        loss = (p - cost) * alpha * slope
        total = revenue + loss
        return (revenue - loss) / (total if total > 1e-300 else 1e-300)

    f_hi = marginal(hi)
    if f_hi > 0.0:
        return bounds[1], True
    f_lo = marginal(lo)
    if f_lo <= 0.0:
        return bounds[0], False
    log_p = find_root_brent(marginal, lo, hi, xtol=1e-9, f_ends=(f_lo, f_hi))
    p = math.exp(log_p)
    scale = p**-alpha
    dem = sum(w * x * scale / (x * scale + r) for w, x, r in terms)
    return p, dem >= capacity * (1.0 - 1e-6)


def find_root_brent(
    f: Callable[[float], float],
    xa: float,
    xb: float,
    xtol: float,
    rtol: float = BRENT_RTOL,
    f_ends: tuple[float, float] | None = None,
) -> float:
    """A root of `f` in [xa, xb] by Brent's method (Brent 1973, ch. 4), where f(xa) and f(xb)
    differ in sign.

    Rule: inverse quadratic or linear interpolation while it shrinks the bracket fast enough,
    bisection otherwise, until half the bracket is below (xtol + rtol |x|) / 2. The steps and
    the floating-point operations are those of `scipy.optimize.brentq` (its C routine
    `brentq.c`, written by Charles Harris), in the same order, so the root is bit for bit the
    same; written in Python to save the calls into and out of C (a best response needs ~13
    evaluations of a cheap function). `f_ends`: (f(xa), f(xb)) when the caller has them
    already (they are not evaluated again). Raises ValueError if f(xa) and f(xb) have one
    sign or f returns NaN, RuntimeError after `BRENT_MAX_ITER` iterations.
    """
    xpre, xcur = xa, xb
    xblk = fblk = spre = scur = 0.0
    fpre, fcur = (f(xpre), f(xcur)) if f_ends is None else f_ends
    if fpre != fpre or fcur != fcur:
        raise ValueError(f"f is NaN at an end of [{xa}, {xb}]")
    if fpre * fcur > 0:
        raise ValueError(f"f must have different signs at {xa} and {xb}")
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    for _ in range(BRENT_MAX_ITER):
        if fpre * fcur < 0:
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        abs_sbis = abs(sbis)
        if fcur == 0 or abs_sbis < delta:
            return xcur
        abs_spre = abs(spre)
        if abs_spre > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # extrapolate
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            bound = 3 * abs_sbis - delta
            if 2 * abs(stry) < (abs_spre if abs_spre < bound else bound):  # good short step
                spre, scur = scur, stry
            else:  # bisect
                spre = scur = sbis
        else:  # bisect
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        if scur > delta or scur < -delta:  # |scur| > delta
            xcur += scur
        else:
            xcur += delta if sbis > 0 else -delta
        fcur = f(xcur)
        if fcur != fcur:
            raise ValueError(f"f is NaN at {xcur}")
    raise RuntimeError(f"Brent's method did not converge in {BRENT_MAX_ITER} iterations")


def solve_logit_bertrand(
    demand_gw: np.ndarray,
    base_utility: np.ndarray,
    alpha: float,
    cost: np.ndarray,
    capacity_gw: np.ndarray,
    price_bounds: np.ndarray,
    strategic: np.ndarray,
    start_price: np.ndarray,
    outside_utility: float = 0.0,
    max_rounds: int = 12,
    tol: float = 1e-3,
) -> BertrandSolution:
    """Bertrand-Nash prices of differentiated sellers facing logit buyers, with capacities.

    Rule: buyer b wants `demand_gw[b]` GW and picks seller k with utility
    u_bk = base_bk - alpha ln p_k (an outside option "defer" has `outside_utility`). Each
    strategic seller maximises (p_k - c_k) min(D_k(p), K_k) over p_k in its bounds, holding
    the others' prices (best-response iteration, Gauss-Seidel, from `start_price`, until the
    last n - 1 best responses moved no price by `tol` in log: then every seller's price is a
    best response to the others' current prices). Without
    a binding capacity the optimum satisfies (p - c) / p = D_k / (alpha sum_b w_b s_bk
    (1 - s_bk)) (the logit markup); with a binding capacity the price rises until demand
    equals capacity (Kreps and Scheinkman 1983 for the capacity-constrained shadow price).
    Non-strategic sellers (captive chips, the price-taking fringe) keep `start_price`.

    Args:
        demand_gw: (buyers,) GW each buyer would order if prices were at the outside level.
        base_utility: (buyers, sellers) non-price utility; -inf where a buyer cannot buy.
        alpha: price sensitivity (> 0) on log price.
        cost: (sellers,) marginal cost, USD B/GW.
        capacity_gw: (sellers,) GW each seller can accept this month.
        price_bounds: (sellers, 2) lowest and highest price, USD B/GW (low > 0).
        strategic: (sellers,) True for sellers that set prices.
        start_price: (sellers,) prices to start from (last month's), USD B/GW.

    Returns:
        A `BertrandSolution`.
    """
    price = np.clip(np.asarray(start_price, dtype=float), price_bounds[:, 0], price_bounds[:, 1])
    base = np.asarray(base_utility, dtype=float)
    w = np.asarray(demand_gw, dtype=float)
    bound = np.zeros(price.size, dtype=bool)
    players = [k for k in range(price.size) if strategic[k]]
    x, outside = _scaled_exp_utilities(base, alpha, price_bounds, outside_utility)
    rounds, converged = _iterate_best_responses(
        price, bound, players, w, x, outside, alpha, cost, capacity_gw, price_bounds,
        max_rounds, tol,
    )
    shares = compute_logit_shares(_utilities(base, alpha, price), outside_utility)
    return BertrandSolution(price, w @ shares, shares, bound, rounds, converged)


def _scaled_exp_utilities(
    base: np.ndarray, alpha: float, price_bounds: np.ndarray, outside_utility: float
) -> tuple[np.ndarray, np.ndarray]:
    """exp(non-price utility) of every (buyer, seller) and of each buyer's outside option,
    both scaled by the buyer's highest possible utility (so nothing overflows); 0 where a
    buyer cannot buy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ceiling = base - alpha * np.log(price_bounds[:, 0])[None, :]
    shift = np.maximum(np.max(np.where(np.isfinite(ceiling), ceiling, -np.inf), axis=1,
                              initial=-np.inf), outside_utility)
    x = np.where(np.isfinite(base), np.exp(np.where(np.isfinite(base), base, 0.0)
                                           - shift[:, None]), 0.0)
    return x, np.exp(outside_utility - shift)


def compute_sum_like_numpy(values: list[float]) -> float:
    """Sum of `values` with the additions in the order numpy's `ndarray.sum` uses on a
    contiguous row: 0.0 plus numpy's pairwise sum (`_pairwise_sum`). Plain floats, so a loop
    of sums over short rows costs no numpy call, with the same double as numpy's row sum
    (pinned by a test against numpy)."""
    if len(values) < 8:  # the common case, without a second call
        res = -0.0
        for v in values:
            res += v
        return 0.0 + res
    return 0.0 + _pairwise_sum(values)


def _pairwise_sum(values: list[float]) -> float:
    """numpy's `pairwise_sum`: below 8 terms one running sum from -0.0; up to 128 terms
    eight running sums over strides of 8, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5)
    + (r6 + r7)), then the remainder added in turn; longer rows split in two halves (the
    first a multiple of 8 terms long), each summed that way."""
    n = len(values)
    if n < 8:
        res = -0.0
        for v in values:
            res += v
        return res
    if n <= 128:
        r = values[:8]
        i = 8
        end = n - n % 8
        while i < end:
            for j in range(8):
                r[j] += values[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for v in values[i:]:
            res += v
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values[:half]) + _pairwise_sum(values[half:])


def _iterate_best_responses(
    price: np.ndarray,
    bound: np.ndarray,
    players: list[int],
    w: np.ndarray,
    x: np.ndarray,
    outside: np.ndarray,
    alpha: float,
    cost: np.ndarray,
    capacity_gw: np.ndarray,
    price_bounds: np.ndarray,
    max_rounds: int,
    tol: float,
) -> tuple[int, bool]:
    """Gauss-Seidel best-response rounds (`solve_logit_bertrand`), updating `price` and
    `bound` in place; returns (rounds used, converged).

    The (buyers, sellers) weights x_bk p_k^-a are held as lists of plain floats (a few
    dozen numbers: numpy calls would cost more than the arithmetic), each row's sum taken
    in numpy's order (`compute_sum_like_numpy`), so every double is the one the array
    form gives."""
    weight = (x * price[None, :] ** -alpha).tolist()  # rows of plain floats
    out_l, w_l, prices = outside.tolist(), w.tolist(), price.tolist()
    fixed = {}  # what a player's best response reads that the others' prices do not change
    for k in players:
        x_col = x[:, k].tolist()
        rows = [b for b, (xb, wb) in enumerate(zip(x_col, w_l, strict=True))
                if xb > 0 and wb > 0]
        fixed[k] = (rows, [w_l[b] for b in rows], [x_col[b] for b in rows], x_col,
                    float(cost[k]), float(capacity_gw[k]),
                    (float(price_bounds[k, 0]), float(price_bounds[k, 1])))
    rounds, converged = 0, False
    settled = 0  # consecutive best responses that moved the price by less than tol
    need = max(len(players) - 1, 1)
    for rounds in range(1, max_rounds + 1):
        for k in players:
            rows, w_k, x_k, x_col, cost_k, cap_k, bounds_k = fixed[k]
            rest = [out_l[b] + compute_sum_like_numpy(weight[b]) - weight[b][k] for b in rows]
            terms = list(zip(w_k, x_k, rest, strict=True))
            p, bound[k] = _best_response(terms, alpha, cost_k, cap_k, bounds_k)
            settled = settled + 1 if abs(math.log(p / prices[k])) < tol else 0
            prices[k] = p
            scale = p**-alpha
            for row, xb in zip(weight, x_col, strict=True):
                row[k] = xb * scale
            if settled >= need and (rounds > 1 or k == players[-1]):
                converged = True  # every player has best-responded to the others' prices
                break
        if converged:
            break
    price[:] = prices
    return rounds, converged
