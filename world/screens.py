"""The numbers of a merger review: which screens a deal gets in which markets.

Pure functions of the markets' shares, the stake registry and the deal's terms (nothing here
reads the model or mutates its arguments; one memo of matrices keeps the monthly MHHI cheap),
so they work on whatever set of firms the markets hold: a market's participants are the keys
of its share mapping, and participants outside the registry (fringe firms) are independent
owners of themselves.

Screens (one row per screen and market; docs/antitrust.md):

- `horizontal`: a deal that gives the acquirer control (a merger, or a voting stake of at
  least `world.stakes.CONTROL_STAKE`), in every market where both parties sell: HHI before,
  delta = 2 s_i s_j (HMG 2010 s.5.3; 2023 Merger Guidelines, guideline 1).
- `partial_ownership`: a stake without control, in every market where the acquirer or the
  acquired firm sells: MHHI before and after the stake (O'Brien and Salop 2000), financial
  interest and control kept apart (`world.stakes.StakeRegistry.compute_ownership_control`).
  A standing stake (held before the start) gets the same screens, before = without the
  holding, after = as held (`compute_standing_stake_rows`).
- `vertical_stake`: a stake between firms at different levels of the chain (vendor -> cloud
  -> lab): upstream vGUPPI when the supplier gains an interest in its customer, downstream
  vGUPPI when the customer gains one in its supplier (Moresi and Salop 2013), in the
  downstream market, with the supplier's share of its own market (the ability to foreclose).
- `exclusive_dealing`: an exclusive contract, a vertical restraint and not a merger: the share
  of the input market it forecloses (the tied buyers' share of demand) and its term.
- `vendor_financing`: a supply contract tied to the vendor's investment in its customer: the
  vendor's share and its interest in the customer, scored with the upstream vGUPPI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from world.metrics import (
    HHI_SCALE,
    compute_delta_hhi,
    compute_diversion_to,
    compute_exclusive_screen,
    compute_hhi,
    compute_mhhi_from_weights,
    compute_mhhi_weights,
    compute_vguppi_downstream,
    compute_vguppi_upstream,
)
from world.stakes import StakeRegistry

ROLE_MARKET = {"vendor": "accelerators", "cloud": "cloud", "lab": "frontier_ai"}
ROLE_LEVEL = {"vendor": 0, "cloud": 1, "lab": 2}
BUYER_MARKET = {"supply": "cloud", "cloud_capacity": "frontier_ai"}
"""Where a tied buyer's share of demand is read: chip buyers by their share of deployed AI
capacity (the `cloud` market holds every cloud's and lab's capacity), cloud tenants by their
share of frontier-AI revenue."""
Shares = Mapping[str, Mapping[str, float]]


def compute_market_mhhi(
    shares: Mapping[str, float],
    stakes: StakeRegistry,
    extra: tuple[str, str, float, bool] | None = None,
) -> float:
    """O'Brien-Salop MHHI (0-10,000) of one market from the stake registry, plus an optional
    hypothetical stake (owner, firm, fraction, voting). Participants outside the registry own
    and control themselves."""
    if not shares:
        return 0.0
    if extra is not None and extra[2] > 0:
        stakes = stakes.compute_with_stake(*extra)
    names = tuple(sorted(shares))
    weights = stakes.compute_derived(
        ("mhhi_weights", names), lambda owned, ctrl: _market_weights(names, stakes, owned, ctrl)
    )
    return compute_mhhi_from_weights(np.array([shares[n] for n in names], dtype=float), weights)


def compute_firms_mhhi(
    shares: Mapping[str, float], stakes: StakeRegistry, firms_hhi: float
) -> float:
    """MHHI (0-10,000) of a market whose fringe remainder row stands for many small firms,
    counted as firms the way the market's HHI of the firms (`firms_hhi`,
    `world.fringe.compute_hhi_with_fringe`) counts them (no stakes among the sellers: MHHI =
    HHI).

    The small firms hold no stakes and nobody holds stakes in them, so their cross terms are 0
    and each adds only its own squared share: MHHI of the firms = MHHI with the row as one
    firm (`compute_market_mhhi`) - (HHI with the row as one firm - HHI of the firms), without
    building the small firms' rows every month (`FringeMarket.compute_firm_shares` gives the
    same number)."""
    return _firms_from_lumped(compute_market_mhhi(shares, stakes), shares, firms_hhi)


def _firms_from_lumped(lumped: float, shares: Mapping[str, float], firms_hhi: float) -> float:
    """`compute_firms_mhhi` from the MHHI with the remainder row as one firm."""
    rows_hhi = HHI_SCALE * sum(s * s for s in shares.values())
    return lumped - (rows_hhi - firms_hhi)


def compute_firms_mhhi_path(
    shares: Sequence[Mapping[str, float]],
    stakes: Sequence[StakeRegistry],
    firms_hhi: Sequence[float],
) -> list[float]:
    """`compute_firms_mhhi` of one market month after month (month k: its shares, the
    holdings of that month, its HHI of the firms), the same floats.

    The MHHI weights (`_market_weights`) depend on the participants and on their columns of
    the ownership and control matrices only, so they are built again only when those change:
    a change of holdings elsewhere (another market's firms) keeps them."""
    out: list[float] = []
    key: tuple = ()
    weights = np.empty((0, 0))
    for s, reg, hhi in zip(shares, stakes, firms_hhi, strict=True):
        if not s:
            out.append(_firms_from_lumped(0.0, s, hhi))
            continue
        names = tuple(sorted(s))
        if not key or key[0] is not reg or key[1] != names:
            owned, ctrl = reg.compute_ownership_control()
            cols = [reg.index[n] for n in names if n in reg.index]
            content = (names, tuple(cols), owned.shape,
                       owned[:, cols].tobytes(), ctrl[:, cols].tobytes())
            if not key or key[2] != content:
                weights = _market_weights(names, reg, owned, ctrl)
            key = (reg, names, content)
        lumped = compute_mhhi_from_weights(np.array([s[n] for n in names], dtype=float), weights)
        out.append(_firms_from_lumped(lumped, s, hhi))
    return out


def _market_weights(
    names: tuple[str, ...], stakes: StakeRegistry, owned: np.ndarray, ctrl: np.ndarray
) -> np.ndarray:
    """MHHI weights over a market's participants `names`: the registry's owner groups, plus
    one self-owning, self-controlling group per participant outside the registry."""
    n_reg, k = owned.shape[0], len(names)
    cols = np.array([stakes.index.get(name, -1) for name in names])
    inside = cols >= 0
    own_m = np.zeros((n_reg + k, k))
    ctl_m = np.zeros((n_reg + k, k))
    own_m[:n_reg, inside] = owned[:, cols[inside]]
    ctl_m[:n_reg, inside] = ctrl[:, cols[inside]]
    outside = np.flatnonzero(~inside)
    own_m[n_reg + outside, outside] = ctl_m[n_reg + outside, outside] = 1.0
    weights = compute_mhhi_weights(own_m, ctl_m)
    weights.flags.writeable = False  # shared by every month until the holdings change
    return weights


def compute_base_row(deal: Any, market: str, screen: str, shares: Mapping[str, float]) -> dict:
    """The columns every review row carries, with the market's shares and HHI filled in."""
    return {
        "deal_id": deal.deal_id,
        "kind": deal.kind.value,
        "source": deal.source,
        "target": deal.target,
        "market": market,
        "screen": screen,
        "share_source": float(shares.get(deal.source, 0.0)),
        "share_target": float(shares.get(deal.target, 0.0)),
        "pre_hhi": compute_hhi(list(shares.values())) if shares else 0.0,
        "post_hhi": compute_hhi(list(shares.values())) if shares else 0.0,
        "delta_hhi": 0.0,
        "mhhi_pre": None,
        "mhhi_post": None,
        "delta_mhhi": 0.0,
        "exclusive": bool(deal.exclusive),
        "voting": bool(deal.voting),
        "control": False,
        "stake_pct": 0.0,
        "upstream": "",
        "upstream_market": "",
        "upstream_share": 0.0,
        "vguppi": None,
        "foreclosed_share": None,
        "duration_months": int(deal.duration_months),
    }


def compute_stake_rows(
    deal: Any,
    owner: str,
    firm: str,
    frac: float,
    shares: Shares,
    stakes: StakeRegistry,
    roles: Mapping[str, str],
    margins: tuple[float, float],
    post: StakeRegistry | None = None,
) -> list[dict]:
    """Screens of a stake of `frac` in `firm` bought by `owner` (module docstring).

    `margins`: (downstream margin over the input price, upstream margin over the downstream
    price), the M_D / W_R and (W_R - MC_U) / P_D of the vGUPPIs. `post`: the registry after
    the stake when it is already known (a standing stake: `compute_standing_stake_rows`);
    default `stakes` with the stake issued.
    """
    rows: list[dict] = []
    standing = post is not None
    if post is None:
        post = stakes.compute_with_stake(owner, firm, frac, deal.voting) if frac > 0 else stakes
    control = frac > 0 and post.compute_controller(firm) == owner
    extra = (owner, firm, frac, bool(deal.voting))
    for market in sorted(shares):
        s = shares[market]
        if s.get(owner, 0.0) <= 0.0 and s.get(firm, 0.0) <= 0.0:
            continue
        both = s.get(owner, 0.0) > 0.0 and s.get(firm, 0.0) > 0.0
        screen = "horizontal" if control and both else "partial_ownership"
        row = compute_base_row(deal, market, screen, s)
        row["mhhi_pre"] = compute_market_mhhi(s, stakes)
        row["mhhi_post"] = (compute_market_mhhi(s, post) if standing
                            else compute_market_mhhi(s, stakes, extra))
        row["delta_mhhi"] = row["mhhi_post"] - row["mhhi_pre"]
        if screen == "horizontal":
            row["delta_hhi"] = compute_delta_hhi(s[owner], s[firm])
        row["post_hhi"] = row["pre_hhi"] + row["delta_hhi"]
        row.update(control=control, stake_pct=100.0 * frac)
        rows.append(row)
    vertical = compute_vertical_stake_row(deal, owner, firm, post, shares, roles, margins)
    if vertical is not None:
        vertical.update(control=control, stake_pct=100.0 * frac)
        rows.append(vertical)
    return rows


def compute_without_stake(stakes: StakeRegistry, owner: str, firm: str) -> StakeRegistry:
    """A copy of the registry without `owner`'s holding in `firm`, every other holding as it
    is: the market as it would be had outside investors held that stake."""
    other = StakeRegistry(stakes.firms)
    other.owned = stakes.owned.copy()
    other.voting = stakes.voting.copy()
    i, j = stakes.index[owner], stakes.index[firm]
    other.owned[i, j] = 0.0
    other.voting[i, j] = False
    return other


def compute_standing_stake_rows(
    deal: Any,
    owner: str,
    firm: str,
    shares: Shares,
    stakes: StakeRegistry,
    roles: Mapping[str, str],
    margins: tuple[float, float],
) -> list[dict]:
    """Screens of a stake `owner` already holds in `firm` (a standing stake, held before the
    start): the rows of `compute_stake_rows` for the holding as it stands (`stake_pct`), with
    MHHI before = the registry without it (`compute_without_stake`) and MHHI after = the
    registry as it is, so delta-MHHI is what the holding adds to each market's MHHI given
    every other holding."""
    frac = stakes.compute_stake(owner, firm)
    pre = compute_without_stake(stakes, owner, firm)
    return compute_stake_rows(deal, owner, firm, frac, shares, pre, roles, margins, post=stakes)


def compute_vertical_stake_row(
    deal: Any,
    owner: str,
    firm: str,
    post: StakeRegistry,
    shares: Shares,
    roles: Mapping[str, str],
    margins: tuple[float, float],
) -> dict | None:
    """vGUPPI of a stake between a supplier and a customer (None if both sit at one level).

    Upstream vGUPPI when the supplier holds an interest in the customer (its financial
    interest after the deal), downstream vGUPPI when the customer holds one in the supplier;
    the larger of the two is the row's `vguppi`. Diversion is proportional to shares in the
    downstream market; in the downstream direction the rivals buy from the supplier in
    proportion to its share of the input market.
    """
    if owner not in roles or firm not in roles or roles[owner] == roles[firm]:
        return None
    up, down = sorted((owner, firm), key=lambda f: ROLE_LEVEL[roles[f]])
    up_market, down_market = ROLE_MARKET[roles[up]], ROLE_MARKET[roles[down]]
    s_down = shares.get(down_market, {})
    s_up = float(shares.get(up_market, {}).get(up, 0.0))
    interest_up = post.compute_stake(up, down) if up in post.index and down in post.index else 0.0
    interest_down = (
        post.compute_stake(down, up) if up in post.index and down in post.index else 0.0
    )
    to_partner = compute_diversion_to(s_down, down)
    to_rivals = (1.0 if s_down.get(down, 0.0) > 0 else 0.0) * s_up
    v_up = compute_vguppi_upstream(to_partner, margins[0], 1.0, interest_up)
    v_down = compute_vguppi_downstream(to_rivals, margins[1], 1.0, interest_down)
    row = compute_base_row(deal, down_market, "vertical_stake", s_down)
    row.update(upstream=up, upstream_market=up_market, upstream_share=s_up,
               vguppi=max(v_up, v_down))
    return row


def compute_exclusive_row(
    deal: Any,
    shares: Shares,
    roles: Mapping[str, str],
    tied_buyers: Iterable[str],
    threshold: tuple[float, int],
) -> dict:
    """The foreclosure screen of an exclusive contract (a vertical restraint).

    Foreclosed share = the buyers' share of demand for the input (`BUYER_MARKET`) summed over
    this contract's buyer and `tied_buyers` (buyers already tied by live exclusive contracts
    of the same kind), capped at 1; the term is the contract's duration. `threshold`:
    (share, minimum months), `world.metrics.compute_exclusive_screen`.
    """
    up_market = ROLE_MARKET.get(roles.get(deal.source, ""), "")
    market = up_market or ("accelerators" if deal.kind.value == "supply" else "cloud")
    demand = shares.get(BUYER_MARKET.get(deal.kind.value, "cloud"), {})
    buyers = sorted({deal.target, *tied_buyers})
    tied = sum(float(demand.get(b, 0.0)) for b in buyers)
    screen = compute_exclusive_screen(tied, 1.0, int(deal.duration_months), *threshold)
    s = shares.get(market, {})
    row = compute_base_row(deal, market, "exclusive_dealing", s)
    row.update(upstream=deal.source, upstream_market=market,
               upstream_share=float(s.get(deal.source, 0.0)),
               foreclosed_share=screen.foreclosed_share)
    row["screen_concern"], row["screen_reason"] = screen.concern, screen.reason
    return row


def compute_financing_row(
    deal: Any, shares: Shares, stakes: StakeRegistry, roles: Mapping[str, str], margin: float
) -> dict:
    """A supply contract tied to the vendor's investment in its buyer: the vendor's share of
    its market and the upstream vGUPPI of its interest in the buyer."""
    market = ROLE_MARKET.get(roles.get(deal.source, ""), "accelerators")
    s = shares.get(market, {})
    down_market = ROLE_MARKET.get(roles.get(deal.target, ""), "cloud")
    interest = (
        stakes.compute_stake(deal.source, deal.target)
        if deal.source in stakes.index and deal.target in stakes.index
        else 0.0
    )
    diversion = compute_diversion_to(shares.get(down_market, {}), deal.target)
    row = compute_base_row(deal, market, "vendor_financing", s)
    row.update(upstream=deal.source, upstream_market=market,
               upstream_share=float(s.get(deal.source, 0.0)),
               vguppi=compute_vguppi_upstream(diversion, margin, 1.0, interest))
    return row
