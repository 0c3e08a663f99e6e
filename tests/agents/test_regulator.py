"""The regulator's regimes on textbook cases (docs/antitrust.md).

Known answers: 2023 Merger Guidelines screens on {25, 6, 23 firms of 3} merging 25 + 6
(HHI 868 -> 1,168, delta 300, merged 31%: presumption by the share route, no concern under
2010) and on 40/30/20/10 merging 20 + 10 (3,000 -> 3,400); a silent 20% stake of A (30%) in
B (20%) adds 120 to MHHI (3,000 -> 3,120) through the stake registry.
"""

from __future__ import annotations

from types import SimpleNamespace

import mesa
import pytest

from agents.regulator import BLOCKED, CLEARED, CONDITIONS, Regulator
from world.contracts import Deal, DealBook, DealStatus
from world.params import DealKind, InterventionKind, InterventionParams, Regime, RegulatorParams
from world.policy import Policy
from world.stakes import StakeRegistry


class _Model(mesa.Model):
    def __init__(self, shares: dict[str, dict[str, float]], roles: dict[str, str],
                 regime: Regime, interventions: list[InterventionParams] | None = None) -> None:
        super().__init__(rng=0)
        self.p = SimpleNamespace(regulator=RegulatorParams(regime=regime))
        self.view = SimpleNamespace(compute_shares=lambda market: shares.get(market, {}))
        self.firms = {n: SimpleNamespace(name=n, role=r) for n, r in roles.items()}
        self.stakes = StakeRegistry(sorted(roles))
        self.policy = Policy(interventions or [], 0, roles)
        self.deals = DealBook()
        self.t = 0


def _stake(source: str, target: str, pct: float, voting: bool) -> Deal:
    return Deal(deal_id="X", kind=DealKind.EQUITY, source=source, target=target,
                status=DealStatus.DEFINITIVE, step_proposed=0, equity_pct=pct, voting=voting)


def _decide(shares, roles, deal, regime, interventions=None):
    model = _Model(shares, roles, regime, interventions)
    reg = Regulator(model)
    review = reg.compute_review(deal)
    return reg.is_reportable(deal), reg.compute_decision(deal, review), review


FRAGMENTED = {"A": 0.25, "B": 0.06, **{f"f{k:02d}": 0.03 for k in range(23)}}
FOUR = {"W": 0.4, "X": 0.3, "Y": 0.2, "Z": 0.1}


def test_2023_share_route_blocks_a_merger_2010_clears() -> None:
    deal = _stake("A", "B", 100.0, voting=True)
    roles = {"A": "vendor", "B": "vendor"}
    shares = {"accelerators": FRAGMENTED}
    _, (decision, reason), review = _decide(shares, roles, deal, Regime.GUIDELINES_2023)
    assert review["pre_hhi"] == pytest.approx(868.0)
    assert review["post_hhi"] == pytest.approx(1_168.0)
    assert review["delta_hhi"] == pytest.approx(300.0)
    assert review["share_source"] + review["share_target"] == pytest.approx(0.31)
    assert decision == BLOCKED and "30%" in reason
    _, (decision, reason), _ = _decide(shares, roles, deal, Regime.HSR_2010)
    assert decision == CLEARED and "unconcentrated" in reason
    _, (decision, _), _ = _decide(shares, roles, deal, Regime.NONE)
    assert decision == CLEARED


def test_four_firm_merger_blocked_under_both_guidelines() -> None:
    deal = _stake("Y", "Z", 100.0, voting=True)
    roles = {n: "cloud" for n in FOUR}
    for regime in (Regime.HSR_2010, Regime.GUIDELINES_2023, Regime.STRICT):
        _, (decision, _), review = _decide({"cloud": FOUR}, roles, deal, regime)
        assert review["pre_hhi"] == pytest.approx(3_000.0)
        assert review["post_hhi"] == pytest.approx(3_400.0)
        assert decision == BLOCKED


def test_silent_minority_stake_mhhi_and_reportability() -> None:
    deal = _stake("X", "Y", 20.0, voting=False)  # A = X (30%) buys 20% of B = Y (20%)
    roles = {n: "cloud" for n in FOUR}
    shares = {"cloud": FOUR}
    reportable, (decision, _), review = _decide(shares, roles, deal, Regime.GUIDELINES_2023)
    assert review["mhhi_pre"] == pytest.approx(3_000.0)
    assert review["delta_mhhi"] == pytest.approx(120.0)
    assert review["mhhi_post"] == pytest.approx(3_120.0)
    assert decision == BLOCKED  # post-MHHI > 1,800 and delta-MHHI > 100
    assert not reportable  # non-voting stakes are exempt under the 2023 regime...
    nv = [InterventionParams(kind=InterventionKind.NONVOTING_REPORTABLE)]
    assert _decide(shares, roles, deal, Regime.GUIDELINES_2023, nv)[0]  # ...unless made so
    assert _decide(shares, roles, deal, Regime.STRICT)[0]
    assert not _decide(shares, roles, deal, Regime.HSR_2010)[0]
    # under 2010 thresholds (post > 2,500, delta > 200) the same stake raises no presumption
    assert _decide(shares, roles, deal, Regime.HSR_2010)[1][0] == CLEARED


def test_vertical_screen_conditions_and_strict_vendor_financing() -> None:
    roles = {"V": "vendor", "L": "lab", "R": "vendor"}
    shares = {"accelerators": {"V": 0.8, "R": 0.2}, "frontier_ai": {"L": 0.5, "o": 0.5}}
    deal = _stake("V", "L", 4.0, voting=True)
    _, (decision, reason), review = _decide(shares, roles, deal, Regime.GUIDELINES_2023)
    assert review["upstream"] == "V" and review["upstream_share"] == pytest.approx(0.8)
    assert decision == CONDITIONS and "vertical" in reason
    assert _decide(shares, roles, deal, Regime.STRICT)[1][0] == BLOCKED
    assert _decide(shares, roles, deal, Regime.HSR_2010)[1][0] == CLEARED
    small = {"accelerators": {"V": 0.2, "R": 0.8}, "frontier_ai": {"L": 0.5, "o": 0.5}}
    assert _decide(small, roles, deal, Regime.STRICT)[1][0] == CLEARED
