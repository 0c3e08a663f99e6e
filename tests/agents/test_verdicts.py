"""The regime's decision rules on hand-made screen rows: the thresholds of the 2010 and 2023
guidelines, the strict regime's vendor-financing rule, and the order blocked > conditions >
cleared."""

from __future__ import annotations

import pytest

from agents.verdicts import BLOCKED, CLEARED, CONDITIONS, compute_decision
from world.params import Regime, RegulatorParams


def _mhhi_row(post: float, delta: float) -> dict:
    return {"screen": "partial_ownership", "market": "cloud", "mhhi_post": post,
            "delta_mhhi": delta}


def _vertical_row(share: float, vguppi: float) -> dict:
    return {"screen": "vertical", "market": "cloud", "upstream": "N", "upstream_share": share,
            "upstream_market": "accelerators", "vguppi": vguppi}


@pytest.mark.parametrize(("regime", "post", "delta", "blocked"), [
    # 2010 guidelines s.5.3 / s.13: post > 2,500 and delta > 200
    (Regime.HSR_2010, 2_600.0, 250.0, True),
    (Regime.HSR_2010, 2_000.0, 150.0, False),
    # 2023 guidelines 1 and 11: post > 1,800 and delta > 100
    (Regime.GUIDELINES_2023, 2_000.0, 150.0, True),
    (Regime.GUIDELINES_2023, 2_000.0, 100.0, False),  # the delta must exceed 100
])
def test_minority_stake_thresholds(regime, post, delta, blocked) -> None:
    """A minority stake is screened on the MHHI it creates, with the regime's HHI thresholds
    (strict inequalities, as the guidelines state them)."""
    rows = [_mhhi_row(post, delta)]
    decision, _ = compute_decision(RegulatorParams(regime=regime), rows, financing=False)
    assert decision == (BLOCKED if blocked else CLEARED)
    assert rows[0]["concern"] is blocked


def test_vertical_concern_gives_conditions_and_none_clears_everything() -> None:
    """A supplier at or above `foreclosure_share` with a vGUPPI at or above the threshold is
    a vertical concern: cleared with conditions under 2023, not screened under HSR 2010, and
    under `none` every deal is cleared."""
    p = RegulatorParams(regime=Regime.GUIDELINES_2023)
    high = [_vertical_row(p.foreclosure_share, p.vguppi_threshold)]
    low = [_vertical_row(p.foreclosure_share * 0.99, p.vguppi_threshold)]
    assert compute_decision(p, high, financing=False)[0] == CONDITIONS
    assert compute_decision(p, low, financing=False)[0] == CLEARED
    for regime in (Regime.HSR_2010, Regime.NONE):
        rows = [_vertical_row(0.9, 0.9)]
        assert compute_decision(RegulatorParams(regime=regime), rows, False)[0] == CLEARED
        assert rows[0]["concern"] is False


def test_strict_blocks_vendor_financing_above_the_share_and_blocking_wins() -> None:
    """Under `strict` vendor financing by a supplier with a share >= `financing_share` is
    blocked and reported as the `vendor_financing` screen; the same row without financing is
    only a vertical concern; a blocking row outranks a conditions row in one review."""
    p = RegulatorParams(regime=Regime.STRICT)
    row = _vertical_row(max(p.financing_share, p.foreclosure_share), p.vguppi_threshold)
    rows = [dict(row)]
    assert compute_decision(p, rows, financing=True)[0] == BLOCKED
    assert rows[0]["screen"] == "vendor_financing"
    rows = [dict(row)]
    assert compute_decision(p, rows, financing=False)[0] == CONDITIONS
    assert rows[0]["screen"] == "vertical"
    both = [dict(row), _mhhi_row(3_000.0, 500.0)]
    assert compute_decision(p, both, financing=False)[0] == BLOCKED
