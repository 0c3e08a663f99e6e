"""Market-structure metrics: shares, HHI, delta-HHI, modified HHI and merger screens.

Shares are fractions in [0, 1]; every index is reported on the usual 0-10,000 scale (percent
shares squared). Sources: US DOJ/FTC Horizontal Merger Guidelines 2010 (section 5.3) and
Merger Guidelines 2023 (guideline 1; facts.toml merger_guidelines_2023 row); O'Brien and
Salop (2000), "Competitive effects of partial ownership", Antitrust Law Journal 67, for MHHI.
Pure functions: nothing here mutates its arguments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np

HHI_SCALE = 10_000.0
"""Shares as fractions -> HHI on the 0-10,000 scale."""


def compute_shares(quantities: Mapping[str, float]) -> dict[str, float]:
    """Each seller's quantity divided by the market total, keys sorted.

    Shares sum to 1 whenever the total is positive. An empty market (all quantities zero)
    has no shares: every share is 0.0 (and its HHI is 0); callers that must show shares summing
    to 1 decide what an empty month means.

    Raises:
        ValueError: a quantity is negative or not finite.
    """
    for name, q in quantities.items():
        if not math.isfinite(q) or q < 0.0:
            raise ValueError(f"quantity of {name!r} must be finite and >= 0, got {q!r}")
    total = math.fsum(quantities.values())
    if total <= 0.0:
        return {name: 0.0 for name in sorted(quantities)}
    return {name: quantities[name] / total for name in sorted(quantities)}


def _as_array(shares: Mapping[str, float] | Iterable[float] | np.ndarray) -> np.ndarray:
    if isinstance(shares, Mapping):
        arr = np.array([shares[k] for k in sorted(shares)], dtype=float)
    else:
        arr = np.asarray(
            list(shares) if not isinstance(shares, np.ndarray) else shares, dtype=float
        )
    if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0.0):
        raise ValueError("shares must be finite fractions >= 0")
    return arr


def compute_hhi(shares: Mapping[str, float] | Iterable[float] | np.ndarray) -> float:
    """Herfindahl-Hirschman index: 10,000 x sum of squared share fractions (0-10,000).

    Accepts a dict of shares, a sequence or an array. Source: HMG 2010 s.5.3.
    """
    arr = _as_array(shares)
    return float(HHI_SCALE * np.dot(arr, arr))


def compute_delta_hhi(s_i: float, s_j: float) -> float:
    """HHI change from merging sellers with share fractions s_i and s_j: 2 s_i s_j x 10,000."""
    return 2.0 * s_i * s_j * HHI_SCALE


def compute_mhhi(shares: np.ndarray, ownership: np.ndarray, control: np.ndarray) -> float:
    """O'Brien-Salop modified HHI (0-10,000) with partial ownership and control.

    MHHI = 10,000 x sum_j sum_k s_j s_k (sum_i c_ij b_ik) / (sum_i c_ij b_ij), where s are the
    firms' share fractions, b = `ownership` (owners x firms: fraction of firm k's profits owned
    by owner i) and c = `control` (owners x firms: control weight of owner i over firm j).
    The j = k terms give the HHI; the rest is the common-ownership delta. Convention where the
    formula is undefined (nobody with control over firm j owns any of it): firm j is taken to
    maximise its own profit (weight 1 on itself, 0 on the others).
    """
    s = np.asarray(shares, dtype=float)
    b = np.asarray(ownership, dtype=float)
    c = np.asarray(control, dtype=float)
    if b.shape != c.shape or b.ndim != 2 or b.shape[1] != s.size:
        raise ValueError(
            f"ownership {b.shape} and control {c.shape} must both be (owners, {s.size} firms)"
        )
    return compute_mhhi_from_weights(s, compute_mhhi_weights(b, c))


def compute_mhhi_weights(ownership: np.ndarray, control: np.ndarray) -> np.ndarray:
    """The (firms, firms) weights of the MHHI quadratic form: w[j, k] = (sum_i c_ij b_ik) /
    (sum_i c_ij b_ij), row j = (0, .., 1, .., 0) where the denominator is not positive
    (`compute_mhhi`). They depend on ownership and control only, not on the shares."""
    b = np.asarray(ownership, dtype=float)
    c = np.asarray(control, dtype=float)
    num = c.T @ b  # num[j, k] = sum_i c_ij b_ik
    own = np.diag(num).copy()
    undefined = own <= 0.0
    safe = np.where(undefined, 1.0, own)
    weights = num / safe[:, None]
    weights[undefined, :] = 0.0
    weights[undefined, undefined] = 1.0
    return weights


def compute_mhhi_from_weights(shares: np.ndarray, weights: np.ndarray) -> float:
    """MHHI (0-10,000) = 10,000 x s' W s with the weights of `compute_mhhi_weights`."""
    return float(HHI_SCALE * shares @ weights @ shares)


def compute_delta_mhhi(shares: np.ndarray, ownership: np.ndarray, control: np.ndarray) -> float:
    """MHHI minus HHI: the concentration added by cross and common ownership (0-10,000)."""
    return compute_mhhi(shares, ownership, control) - compute_hhi(np.asarray(shares, dtype=float))


class MergerScreen(NamedTuple):
    """Result of a structural merger screen (HHI on 0-10,000, merged share a fraction)."""

    post_hhi: float
    delta_hhi: float
    merged_share: float
    presumption: bool
    reason: str


def _merge(shares: Mapping[str, float], i: str, j: str) -> tuple[float, float, float]:
    for name in (i, j):
        if name not in shares:
            raise ValueError(f"{name!r} has no share in this market; known: {sorted(shares)}")
    if i == j:
        raise ValueError("a merger needs two different firms")
    s_i, s_j = float(shares[i]), float(shares[j])
    delta = compute_delta_hhi(s_i, s_j)
    return compute_hhi(shares) + delta, delta, s_i + s_j


def compute_merger_screen_2023(shares: Mapping[str, float], i: str, j: str) -> MergerScreen:
    """2023 Merger Guidelines structural presumption for merging i and j.

    Presumed to substantially lessen competition if post-merger HHI > 1,800 and delta > 100,
    or merged share > 30% and delta > 100 (facts.toml merger_guidelines_2023).
    """
    post, delta, merged = _merge(shares, i, j)
    if delta > 100.0 and post > 1_800.0:
        return MergerScreen(post, delta, merged, True, "post-HHI > 1,800 and delta > 100")
    if delta > 100.0 and merged > 0.30:
        return MergerScreen(post, delta, merged, True, "merged share > 30% and delta > 100")
    if delta <= 100.0:
        return MergerScreen(post, delta, merged, False, "delta <= 100: no presumption")
    return MergerScreen(post, delta, merged, False, "post-HHI <= 1,800 and merged share <= 30%")


def compute_merger_screen_2010(shares: Mapping[str, float], i: str, j: str) -> MergerScreen:
    """2010 Horizontal Merger Guidelines (s.5.3) screen for merging i and j.

    Delta < 100 or post-HHI < 1,500: unlikely adverse effects. Post-HHI 1,500-2,500 with
    delta > 100: potential concerns (no presumption). Post-HHI > 2,500 with delta 100-200:
    potential significant concerns; with delta > 200: presumed likely to enhance market power
    (the only case where `presumption` is True).
    """
    post, delta, merged = _merge(shares, i, j)
    if delta < 100.0:
        return MergerScreen(post, delta, merged, False, "delta < 100: unlikely adverse effects")
    if post < 1_500.0:
        return MergerScreen(post, delta, merged, False, "unconcentrated: unlikely adverse effects")
    if post <= 2_500.0:
        return MergerScreen(
            post, delta, merged, False, "moderately concentrated, delta > 100: potential concerns"
        )
    if delta > 200.0:
        return MergerScreen(
            post,
            delta,
            merged,
            True,
            "highly concentrated, delta > 200: presumed to enhance market power",
        )
    return MergerScreen(
        post,
        delta,
        merged,
        False,
        "highly concentrated, delta 100-200: potential significant concerns",
    )


# --------------------------------------------------------------------------- vertical screens


def compute_diversion_to(shares: Mapping[str, float], firm: str) -> float:
    """Share-weighted diversion ratio from `firm`'s rivals to `firm` (fraction, 0-1).

    Rule: with diversion proportional to shares, a unit lost by rival r goes to `firm` with
    probability s_firm / (1 - s_r); averaged over the rivals with weights s_r / (1 - s_firm)
    (the rivals' share of the market). Source: the proportional-diversion benchmark of the
    2010 Horizontal Merger Guidelines s.6.1 and Moresi and Salop (2013), s.III. A firm with
    no rivals, or a market without sales, gives 0.
    """
    s_f = float(shares.get(firm, 0.0))
    rivals = {k: float(v) for k, v in shares.items() if k != firm and v > 0.0}
    total = math.fsum(rivals.values())
    if total <= 0.0 or s_f <= 0.0:
        return 0.0
    return math.fsum(s_r / total * min(1.0, s_f / (1.0 - s_r)) for s_r in rivals.values())


def compute_vguppi_upstream(
    diversion: float, downstream_margin: float, input_price: float, interest: float = 1.0
) -> float:
    """Upstream vGUPPI (fraction of the input price): the upstream firm's incentive to raise
    the price of the input it sells to the downstream rivals of its partner.

    vGUPPI_u = interest x DR x M_D / W_R (Moresi and Salop 2013, "vGUPPI: scoring unilateral
    pricing incentives in vertical mergers", Antitrust Law Journal 79, eq. 1): DR is the
    diversion ratio from the rivals' lost downstream sales to the partner D, M_D the partner's
    margin per unit, W_R the input price rivals pay (M_D and W_R in the same money unit).
    `interest` is the upstream firm's share of D's profits: 1 for a merger, the financial
    interest for a partial stake (a silent stake still moves profits, O'Brien and Salop 2000).
    """
    if input_price <= 0.0:
        raise ValueError(f"input price must be positive, got {input_price!r}")
    return interest * diversion * downstream_margin / input_price


def compute_vguppi_downstream(
    diversion: float, upstream_margin: float, downstream_price: float, interest: float = 1.0
) -> float:
    """Downstream vGUPPI (fraction of the downstream price): the downstream partner's
    incentive to raise its own price because part of the sales it loses go to rivals that buy
    the input from its upstream partner.

    vGUPPI_d = interest x DR x (W_R - MC_U) / P_D (Moresi and Salop 2013, eq. 2): DR is the
    diversion ratio from D to the rivals supplied by the upstream partner U, W_R - MC_U is U's
    margin on the input, P_D the downstream price; `interest` is D's share of U's profits.
    """
    if downstream_price <= 0.0:
        raise ValueError(f"downstream price must be positive, got {downstream_price!r}")
    return interest * diversion * upstream_margin / downstream_price


class ForeclosureScreen(NamedTuple):
    """Exclusive dealing scored as a vertical restraint (shares as fractions)."""

    foreclosed_share: float
    duration_months: int
    concern: bool
    reason: str


def compute_exclusive_screen(
    tied_quantity: float,
    market_quantity: float,
    duration_months: int,
    share_threshold: float,
    min_months: int,
) -> ForeclosureScreen:
    """Foreclosure screen of exclusive contracts: the share of the market they tie up.

    Rule: foreclosed share = quantity bought under exclusive contracts / market quantity (the
    part of demand the seller's rivals cannot contest); a concern when it reaches
    `share_threshold` for a term of at least `min_months`. Sources: Tampa Electric v.
    Nashville Coal, 365 U.S. 320 (1961) (share of the market foreclosed and duration);
    US v. Microsoft, 253 F.3d 34 (D.C. Cir. 2001) (roughly 40-50% foreclosure); 2023 Merger
    Guidelines, guideline 5 (foreclosure share); EU Vertical Block Exemption (30% share).
    """
    share = min(1.0, tied_quantity / market_quantity) if market_quantity > 0 else 0.0
    if share < share_threshold:
        return ForeclosureScreen(share, duration_months, False,
                                 f"forecloses {share:.0%} < {share_threshold:.0%}")
    if duration_months < min_months:
        return ForeclosureScreen(share, duration_months, False,
                                 f"forecloses {share:.0%} but for {duration_months} months "
                                 f"< {min_months}")
    return ForeclosureScreen(share, duration_months, True,
                             f"forecloses {share:.0%} >= {share_threshold:.0%} for "
                             f"{duration_months} months")
