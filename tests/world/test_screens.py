"""Textbook values of the competition screens, computed independently of the code.

Sources of the expected values:
- MHHI: O'Brien and Salop (2000), "Competitive effects of partial ownership: financial
  interest and corporate control", Antitrust Law Journal 67, the formula
  MHHI = sum_j sum_k s_j s_k (sum_i c_ij b_ik) / (sum_i c_ij b_ij) worked by hand in each
  docstring below.
- vGUPPI: Moresi and Salop (2013), "vGUPPI: scoring unilateral pricing incentives in vertical
  mergers", Antitrust Law Journal 79: vGUPPI_u = DR x M_D / W_R, vGUPPI_d = DR x M_U / P_D,
  worked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.metrics import (
    compute_diversion_to,
    compute_exclusive_screen,
    compute_hhi,
    compute_mhhi,
    compute_vguppi_downstream,
    compute_vguppi_upstream,
)
from world.screens import compute_market_mhhi
from world.stakes import StakeRegistry


def test_mhhi_silent_stake_and_controlling_stake() -> None:
    """A (30%) holds 20% of B (20%); C and D hold 30% and 20% (HHI 900+400+900+400 = 2,600).
    Owners: A's holders (own all of A and, through A, 20% of B), B's outside holders (80% of
    B). Silent: A's weight on B is 0.2/1, B's on A is 0 -> delta = 0.3 x 0.2 x 0.2 x 10,000 =
    120. Control by A's holders of B: B's weight on A is 1/0.2 = 5 -> delta = 0.3 x 0.2 x
    (0.2 + 5) x 10,000 = 3,120."""
    s = np.array([0.3, 0.2, 0.3, 0.2])
    own = np.array([[1, 0.2, 0, 0], [0, 0.8, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    silent = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    control = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    assert compute_hhi(s) == pytest.approx(2_600.0)
    assert compute_mhhi(s, own, silent) - 2_600.0 == pytest.approx(120.0)
    assert compute_mhhi(s, own, control) - 2_600.0 == pytest.approx(3_120.0)


def test_mhhi_common_owner_proportional_control() -> None:
    """One owner with 20% of each of two 50/50 firms, control proportional to shares: each
    firm's weight on the other is (0.2 x 0.2) / (0.2 x 0.2 + 0.8 x 0.8) = 0.04 / 0.68, so
    MHHI = 5,000 + 2 x 0.25 x 10,000 x 0.04 / 0.68 = 5,294.1."""
    s = np.array([0.5, 0.5])
    own = np.array([[0.2, 0.2], [0.8, 0.0], [0.0, 0.8]])
    assert compute_mhhi(s, own, own) == pytest.approx(5_000 + 5_000 * 0.04 / 0.68)
    assert compute_mhhi(s, own, own) == pytest.approx(5_294.1, abs=0.05)


def test_registry_silent_voting_and_controlling_stakes() -> None:
    """Through the registry: the silent 20% gives 120 (as above); a 20% voting stake gives
    B's holders proportional control (A 0.2, outsiders 0.8): B's weight on A is
    0.2 x 1 / (0.2 x 0.2 + 0.8 x 0.8) = 0.2 / 0.68, delta = 0.06 x (0.2 + 0.2/0.68) x 10,000
    = 296.5; a 60% voting stake is control (weight 1/0.6 on A): delta = 0.06 x (0.6 + 1/0.6)
    x 10,000 = 1,360."""
    shares = {"A": 0.3, "B": 0.2, "C": 0.3, "D": 0.2}
    cases = ((0.2, False, 120.0), (0.2, True, 0.06 * (0.2 + 0.2 / 0.68) * 1e4),
             (0.6, True, 0.06 * (0.6 + 1 / 0.6) * 1e4))
    for frac, voting, delta in cases:
        reg = StakeRegistry(["A", "B"])
        reg.update_set("A", "B", frac, voting)
        assert compute_market_mhhi(shares, reg) - 2_600.0 == pytest.approx(delta)
    reg = StakeRegistry(["A", "B"])
    reg.update_set("A", "B", 0.6, True)
    assert reg.compute_controller("B") == "A" and reg.compute_controller("A") == "A"


@given(
    st.lists(st.floats(0.01, 1.0), min_size=2, max_size=8),
    st.floats(0.0, 0.49),
    st.integers(0, 7),
)
def test_silent_stake_closed_form(raw: list[float], frac: float, pick: int) -> None:
    """A silent stake f of firm 0 in firm k (nobody else holding anything) raises MHHI by
    exactly s_0 s_k f x 10,000 (O'Brien and Salop: only the acquirer's objective changes),
    whatever the number of other firms (fringe firms outside the registry)."""
    total = sum(raw)
    names = [f"f{i}" for i in range(len(raw))]
    shares = {n: x / total for n, x in zip(names, raw, strict=True)}
    k = 1 + pick % (len(raw) - 1)
    reg = StakeRegistry(names[:2] if k == 1 else [names[0], names[k]])
    base = compute_market_mhhi(shares, reg)
    reg.update_set(names[0], names[k], frac, False)
    delta = compute_market_mhhi(shares, reg) - base
    assert base == pytest.approx(compute_hhi(shares))
    assert delta == pytest.approx(shares[names[0]] * shares[names[k]] * frac * 1e4, abs=1e-6)


def test_vguppi_by_hand() -> None:
    """Upstream: DR 0.3, downstream margin 40 on a price of 100 (cost 60), input price 50:
    vGUPPI_u = 0.3 x 40 / 50 = 0.24; a 25% financial interest scales it to 0.06.
    Downstream: DR 0.5 to rivals using the input, upstream margin 20, downstream price 100:
    vGUPPI_d = 0.5 x 20 / 100 = 0.10."""
    assert compute_vguppi_upstream(0.3, 100 - 60, 50) == pytest.approx(0.24)
    assert compute_vguppi_upstream(0.3, 40, 50, interest=0.25) == pytest.approx(0.06)
    assert compute_vguppi_downstream(0.5, 20, 100) == pytest.approx(0.10)
    with pytest.raises(ValueError):
        compute_vguppi_upstream(0.3, 40, 0.0)


def test_proportional_diversion() -> None:
    """Shares D 20%, R1 30%, R2 50%: R1's lost sales go to D with 0.2/0.7, R2's with 0.2/0.5;
    weighted by the rivals' shares of the rest (0.3/0.8, 0.5/0.8): 0.375 x 0.2857 + 0.625 x
    0.4 = 0.3571. Two firms: all of the rival's lost sales go to D (1.0)."""
    shares = {"D": 0.2, "R1": 0.3, "R2": 0.5}
    expected = 0.375 * 0.2 / 0.7 + 0.625 * 0.2 / 0.5
    assert compute_diversion_to(shares, "D") == pytest.approx(expected)
    assert compute_diversion_to({"D": 0.6, "R": 0.4}, "D") == pytest.approx(1.0)
    assert compute_diversion_to({"D": 1.0}, "D") == 0.0


def test_exclusive_screen_share_and_duration() -> None:
    """3 of 10 GW tied for 24 months forecloses 30% (>= 30%: a concern); 2.9 of 10 does not;
    30% for 6 months is below the 12-month floor."""
    assert compute_exclusive_screen(3.0, 10.0, 24, 0.3, 12).concern
    assert not compute_exclusive_screen(2.9, 10.0, 24, 0.3, 12).concern
    screen = compute_exclusive_screen(3.0, 10.0, 6, 0.3, 12)
    assert screen.foreclosed_share == pytest.approx(0.3) and not screen.concern


def test_market_mhhi_follows_every_stake_change() -> None:
    """The MHHI is read monthly from the same registry (its matrices are memoised while the
    stakes are unchanged): after each change it must still equal the closed form. Shares
    A 0.5, B 0.3, C 0.2, HHI 3,800; a silent 20% of A in B adds 10,000 x 0.2 x 0.5 x 0.3 =
    300; raising it to 40% adds 600; divesting it restores 3,800; a fringe participant
    outside the registry (C) changes nothing."""
    stakes = StakeRegistry(["A", "B"])
    shares = {"A": 0.5, "B": 0.3, "C": 0.2}
    assert compute_market_mhhi(shares, stakes) == pytest.approx(3_800.0)
    stakes.update_set("A", "B", 0.2, False)
    assert compute_market_mhhi(shares, stakes) == pytest.approx(4_100.0)
    assert compute_market_mhhi(shares, stakes) == pytest.approx(4_100.0)  # memo hit
    stakes.update_set("A", "B", 0.4, False)
    assert compute_market_mhhi(shares, stakes) == pytest.approx(4_400.0)
    other = StakeRegistry(["A", "B"])  # another registry with the same participants
    assert compute_market_mhhi(shares, other) == pytest.approx(3_800.0)
    assert compute_market_mhhi(shares, stakes) == pytest.approx(4_400.0)
    stakes.update_divest("A", "B")
    assert compute_market_mhhi(shares, stakes) == pytest.approx(3_800.0)


def test_market_mhhi_equals_hhi_where_no_stake_links_two_sellers(baseline_results) -> None:
    """MHHI adds to HHI only the cross terms of firms linked by stakes (O'Brien and Salop
    2000). Frontier AI has one named lab (OpenAI) and the fringe labs, none holding a stake in
    another, so its MHHI must equal its HHI every month, with the fringe's remainder row
    counted as its small firms in both (counting it as one firm in MHHI alone once put MHHI
    75 points above HHI there); elsewhere MHHI is never below HHI (stakes only add
    internalised rivalry)."""
    import polars as pl

    markets = baseline_results.tables["markets"]
    frontier = markets.filter(pl.col("market") == "frontier_ai")
    gap = (frontier["mhhi"] - frontier["hhi"]).abs().max()
    assert gap < 1e-6, f"frontier MHHI - HHI up to {gap}"
    assert ((markets["mhhi"] - markets["hhi"]) >= -1e-6).all()


def test_market_mhhi_of_the_firms_equals_mhhi_with_the_small_firms_built_out() -> None:
    """The regulator's monthly MHHI corrects the one-firm remainder row by the HHI difference
    instead of building the small firms' rows; both must give the same number, with and
    without a stake between two named sellers (the small firms hold none, so their cross
    terms are 0)."""
    from types import SimpleNamespace

    from agents.regulator import Regulator
    from world.fringe import build_fringe, compute_hhi_with_fringe
    from world.params import FringeParams

    fringe = build_fringe(FringeParams(clouds={"CoreWeave": 0.3}, small_firms=20))["cloud"]
    shares = {"Amazon": 0.4, "Microsoft": 0.3, "CoreWeave": 0.09, "Other clouds": 0.21}
    for stake in (0.0, 0.25):
        reg_stakes = StakeRegistry(["Amazon", "Microsoft"])
        if stake:
            reg_stakes.update_set("Amazon", "Microsoft", stake, False)
        view = SimpleNamespace(
            stakes=reg_stakes,
            compute_hhi=lambda _m, s: compute_hhi_with_fringe(s, fringe),
            compute_firm_shares=lambda _m, s: fringe.compute_firm_shares(s))
        reg = Regulator.__new__(Regulator)
        reg.view = view
        built_out = compute_market_mhhi(fringe.compute_firm_shares(shares), reg_stakes)
        assert reg.compute_market_mhhi("cloud", shares) == pytest.approx(built_out, abs=1e-9)
