"""Concentration metrics against textbook known answers (HMG 2010, MG 2023, O'Brien-Salop)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.metrics import (
    compute_delta_hhi,
    compute_delta_mhhi,
    compute_hhi,
    compute_merger_screen_2010,
    compute_merger_screen_2023,
    compute_mhhi,
    compute_shares,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4),
                       st.floats(min_value=0, max_value=1e6), min_size=1, max_size=12))
def test_shares_sum_to_one_and_hhi_bounds(q) -> None:
    shares = compute_shares(q)
    assert list(shares) == sorted(q)
    if sum(q.values()) > 0:
        assert sum(shares.values()) == pytest.approx(1.0)
        h = compute_hhi(shares)
        assert 10_000 / len(q) - 1e-6 <= h <= 10_000 + 1e-6
    else:
        assert all(v == 0.0 for v in shares.values())


def test_shares_reject_negative() -> None:
    with pytest.raises(ValueError):
        compute_shares({"a": -1.0})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=8))
def test_delta_hhi_equals_hhi_change_of_a_merger(raw) -> None:
    s = np.array(raw)
    if s.sum() == 0:
        return
    s = s / s.sum()
    merged = np.concatenate([[s[0] + s[1]], s[2:]])
    assert compute_hhi(merged) - compute_hhi(s) == pytest.approx(
        compute_delta_hhi(s[0], s[1]), abs=1e-6)


def test_known_hhi_answers() -> None:
    shares = {"a": 0.25, "b": 0.06, **{f"f{k:02d}": 0.03 for k in range(23)}}
    assert compute_hhi(shares) == pytest.approx(868.0)
    screen = compute_merger_screen_2023(shares, "a", "b")
    assert screen.post_hhi == pytest.approx(1_168.0)
    assert screen.delta_hhi == pytest.approx(300.0)
    assert screen.merged_share == pytest.approx(0.31)
    assert screen.presumption  # share > 30% and delta > 100, though HHI < 1,800
    four = {"w": 0.4, "x": 0.3, "y": 0.2, "z": 0.1}
    assert compute_hhi(four) == pytest.approx(3_000.0)
    assert compute_merger_screen_2010(four, "y", "z").post_hhi == pytest.approx(3_400.0)
    assert compute_delta_hhi(0.2, 0.1) == pytest.approx(400.0)


def test_merger_screen_2010_bands() -> None:
    four = {"w": 0.4, "x": 0.3, "y": 0.2, "z": 0.1}
    assert compute_merger_screen_2010(four, "y", "z").presumption  # 3,400, delta 400
    small = {"a": 0.05, "b": 0.01, **{f"f{k}": 0.94 / 20 for k in range(20)}}
    s = compute_merger_screen_2010(small, "a", "b")
    assert s.delta_hhi < 100 and not s.presumption and "unlikely" in s.reason
    moderate = {"a": 0.2, "b": 0.1, **{f"f{k}": 0.7 / 7 for k in range(7)}}
    s = compute_merger_screen_2010(moderate, "a", "b")  # post 900+700=1,600, delta 400
    assert 1_500 < s.post_hhi <= 2_500 and not s.presumption and "potential" in s.reason
    edge = {"a": 0.45, "b": 0.05, "c": 0.15, "d": 0.35}  # post 3,650, delta 150
    s = compute_merger_screen_2010(edge, "b", "c")
    assert s.delta_hhi == pytest.approx(150.0) and s.post_hhi > 2_500 and not s.presumption
    s23 = compute_merger_screen_2023(edge, "b", "c")
    assert s23.presumption and "1,800" in s23.reason


def test_mhhi_common_owner_of_two_firms() -> None:
    # owners: A's holders, B's holders, a common owner with 20% of each; control ~ ownership
    own = np.array([[0.8, 0.0], [0.0, 0.8], [0.2, 0.2]])
    mhhi = compute_mhhi(np.array([0.5, 0.5]), own, own)
    assert mhhi == pytest.approx(5_000 + 10_000 * 2 * 0.25 * (0.04 / 0.68), rel=1e-12)
    assert mhhi == pytest.approx(5_294.1, abs=0.05)


def test_mhhi_silent_and_controlling_stake() -> None:
    # firm A (30%) holds 20% of firm B (20%); owner 0 = A's holders, owner 1 = B's other holders
    own = np.array([[1.0, 0.2], [0.0, 0.8]])
    silent = np.array([[1.0, 0.0], [0.0, 1.0]])
    controlling = np.array([[1.0, 1.0], [0.0, 0.0]])
    s = np.array([0.3, 0.2])
    assert compute_delta_mhhi(s, own, silent) == pytest.approx(120.0)
    assert compute_delta_mhhi(s, own, controlling) == pytest.approx(3_120.0)


def test_mhhi_without_cross_ownership_is_hhi() -> None:
    s = np.array([0.5, 0.3, 0.2])
    eye = np.eye(3)
    assert compute_mhhi(s, eye, eye) == pytest.approx(compute_hhi(s))
    # a firm whose controllers own none of it is treated as independent
    assert compute_mhhi(s, eye, np.zeros((3, 3))) == pytest.approx(compute_hhi(s))
