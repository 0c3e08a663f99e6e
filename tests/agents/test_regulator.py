"""The regulator's regimes on textbook cases (docs/antitrust.md).

Known answers: 2023 Merger Guidelines screens on {25, 6, 23 firms of 3} merging 25 + 6
(HHI 868 -> 1,168, delta 300, merged 31%: presumption by the share route, no concern under
2010) and on 40/30/20/10 merging 20 + 10 (3,000 -> 3,400); a silent 20% stake of A (30%) in
B (20%) adds 120 to MHHI (3,000 -> 3,120) through the stake registry.
"""

from __future__ import annotations

import pytest

from agents.regulator import BLOCKED, CLEARED, CONDITIONS, STANDING, Regulator
from world.contracts import Deal, DealBook, DealStatus
from world.params import DealKind, InterventionKind, InterventionParams, Regime, RegulatorParams
from world.policy import Policy
from world.stakes import StakeRegistry


class _View:
    """The regulator's read-only view of a textbook market: given shares, roles, a real stake
    registry, policy and deal book; no firm has deployed capacity (cloud shares as given)."""

    def __init__(self, shares: dict[str, dict[str, float]], roles: dict[str, str],
                 interventions: list[InterventionParams] | None = None) -> None:
        self.shares, self.roles = shares, roles
        self.stakes = StakeRegistry(sorted(roles))
        self.policy = Policy(interventions or [], 0, roles)
        self.deals = DealBook()
        self.t = 0

    def compute_shares(self, market: str) -> dict[str, float]:
        return self.shares.get(market, {})

    def compute_firm_shares(self, market: str, shares: dict[str, float]) -> dict[str, float]:
        return dict(shares)  # a textbook market: every row is one firm

    def compute_roles(self) -> dict[str, str]:
        return dict(self.roles)

    def compute_deployed_gw(self, firm: str) -> float:
        return 0.0

    def compute_stake(self, owner: str, firm: str) -> float:
        return self.stakes.compute_stake(owner, firm)

    def compute_role(self, firm: str) -> str:
        return self.roles.get(firm, "")

    def designs_chips(self, firm: str) -> bool:
        return self.roles.get(firm) == "vendor"

    def live_deals(self) -> list[Deal]:
        return self.deals.live()

    def get_deal(self, deal_id: str) -> Deal:
        return self.deals.get(deal_id)

    def makes_nonvoting_reportable(self) -> bool:
        return self.policy.makes_nonvoting_reportable()

    def is_vendor_financing(self, kind: DealKind | None, source: str, target: str) -> bool:
        return self.policy.is_vendor_financing(kind, source, target)


def _regulator(shares, roles, regime, interventions=None) -> Regulator:
    return Regulator(_View(shares, roles, interventions), None, RegulatorParams(regime=regime))


def _stake(source: str, target: str, pct: float, voting: bool) -> Deal:
    return Deal(deal_id="X", kind=DealKind.EQUITY, source=source, target=target,
                status=DealStatus.DEFINITIVE, step_proposed=0, equity_pct=pct, voting=voting)


def _decide(shares, roles, deal, regime, interventions=None, screen=None):
    """(reportable, (decision, reason), the first review row of `screen`, default the
    horizontal or partial-ownership row)."""
    reg = _regulator(shares, roles, regime, interventions)
    rows = reg.compute_review(deal)
    decision = reg.compute_decision(deal, rows)
    wanted = (screen,) if screen else ("horizontal", "partial_ownership")
    row = next((r for r in rows if r["screen"] in wanted), rows[0])
    return reg.is_reportable(deal), decision, row


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


def test_vertical_screen_needs_ability_and_incentive() -> None:
    """A supplier with 80% of its market (ability) holding 20% of a lab with half of its
    market: proportional diversion from the rival lab is 0.5 / (1 - 0.5) = 1, so the upstream
    vGUPPI is 0.2 x 1 x 0.5 (default margin ratio) = 10% >= 5% (incentive): conditions under
    2023, blocked under strict (vendor financing by a supplier with >= 30%). A 4% stake gives
    0.04 x 1 x 0.5 = 2%, no incentive: cleared."""
    roles = {"V": "vendor", "L": "lab", "R": "vendor"}
    shares = {"accelerators": {"V": 0.8, "R": 0.2}, "frontier_ai": {"L": 0.5, "o": 0.5}}
    deal = _stake("V", "L", 20.0, voting=True)
    _, (decision, reason), row = _decide(shares, roles, deal, Regime.GUIDELINES_2023,
                                         screen="vertical_stake")
    assert row["upstream"] == "V" and row["upstream_share"] == pytest.approx(0.8)
    assert row["market"] == "frontier_ai" and row["vguppi"] == pytest.approx(0.10)
    assert decision == CONDITIONS and "vertical" in reason and row["concern"]
    assert _decide(shares, roles, deal, Regime.STRICT)[1][0] == BLOCKED
    assert _decide(shares, roles, deal, Regime.HSR_2010)[1][0] == CLEARED
    small_stake = _stake("V", "L", 4.0, voting=True)
    _, (decision, _), row = _decide(shares, roles, small_stake, Regime.GUIDELINES_2023,
                                    screen="vertical_stake")
    assert row["vguppi"] == pytest.approx(0.02) and decision == CLEARED
    small = {"accelerators": {"V": 0.2, "R": 0.8}, "frontier_ai": {"L": 0.5, "o": 0.5}}
    assert _decide(small, roles, deal, Regime.STRICT)[1][0] == CLEARED


def test_stake_screened_in_every_market_where_a_party_sells() -> None:
    """A cloud (30% of cloud) buys a silent 20% of a lab that also sells 20% of cloud
    capacity: the partial-ownership row in cloud carries the O'Brien-Salop delta of 120
    (0.3 x 0.2 x 0.2 x 10,000), the lab's own market gets a row with delta 0 (the cloud does
    not sell there), and the link across levels a vertical row."""
    roles = {"C": "cloud", "L": "lab"}
    shares = {"cloud": {"C": 0.3, "L": 0.2, "x": 0.3, "y": 0.2},
              "frontier_ai": {"L": 0.6, "z": 0.4}}
    reg = _regulator(shares, roles, Regime.GUIDELINES_2023)
    rows = reg.compute_review(_stake("C", "L", 20.0, voting=False))
    by = {(r["screen"], r["market"]): r for r in rows}
    assert by[("partial_ownership", "cloud")]["delta_mhhi"] == pytest.approx(120.0)
    assert by[("partial_ownership", "frontier_ai")]["delta_mhhi"] == pytest.approx(0.0)
    assert ("vertical_stake", "frontier_ai") in by
    assert all(r["delta_hhi"] == 0.0 for r in rows)  # no control: no merger arithmetic


def test_exclusive_contract_is_a_foreclosure_screen_not_a_merger() -> None:
    """An exclusive supply contract ties its buyer: the row is `exclusive_dealing` with the
    buyer's 40% of deployed capacity foreclosed (>= 30% for 24 months: a concern), no HHI
    delta; with a 6-month term it is cleared (short exclusives are easy to leave)."""
    roles = {"V": "vendor", "C": "cloud", "R": "vendor"}
    shares = {"accelerators": {"V": 0.7, "R": 0.3}, "cloud": {"C": 0.4, "o": 0.6}}
    deal = Deal(deal_id="S", kind=DealKind.SUPPLY, source="V", target="C",
                status=DealStatus.DEFINITIVE, exclusive=True, duration_months=24, gw=1.0)
    _, (decision, reason), row = _decide(shares, roles, deal, Regime.GUIDELINES_2023,
                                         screen="exclusive_dealing")
    assert row["foreclosed_share"] == pytest.approx(0.4) and row["delta_hhi"] == 0.0
    assert row["concern"] and decision == CONDITIONS and "exclusive" in reason
    assert _decide(shares, roles, deal, Regime.STRICT, screen="exclusive_dealing")[1][0] \
        == BLOCKED
    deal.duration_months = 6
    assert _decide(shares, roles, deal, Regime.GUIDELINES_2023)[1][0] == CLEARED


def test_real_reviews_screen_stakes_where_they_overlap(baseline_results) -> None:
    """In the shipped baseline Amazon (a cloud) buys into OpenAI while OpenAI builds its own
    cloud capacity: the review has a partial-ownership row in cloud with a positive delta-MHHI
    (both sell there), none of the rows uses merger arithmetic (no stake gives control), and
    every row of one deal carries the same decision."""
    import polars as pl

    reviews = baseline_results.tables["reviews"]
    d7 = reviews.filter((pl.col("deal_id") == "D7") & (pl.col("market") == "cloud"))
    assert d7["screen"].to_list() == ["partial_ownership"]
    assert d7["delta_mhhi"][0] > 0 and d7["share_target"][0] > 0
    assert (reviews["delta_hhi"] == 0).all()
    assert (reviews.group_by("deal_id").agg(pl.col("decision").n_unique())["decision"] == 1).all()


def _obrien_salop_delta(s_a: float, s_b: float, a: float, voting: bool) -> float:
    """Delta-MHHI of firm A holding a fraction `a` (< 1/2) of B, no other cross-holding, by
    O'Brien and Salop (2000): MHHI = sum_j sum_k s_j s_k (sum_i g_ij b_ik) / (sum_i g_ij b_ij)
    over owner groups i (each firm's outside shareholders). A's holders own all of A and a of
    B through A (b = 1, a); B's holders own 1 - a of B. A's control is its holders' (g = 1);
    B's is shared: a with A's holders if the stake votes, the rest 1 - a with B's. Cross term
    A -> B: 1 x a / (1 x 1) = a. Cross term B -> A (voting only): a x 1 / (a x a +
    (1 - a)(1 - a)). The own terms stay s^2, so the delta is s_a s_b times the cross terms."""
    cross = a + (a / (a * a + (1 - a) * (1 - a)) if voting else 0.0)
    return 10_000.0 * s_a * s_b * cross


@pytest.mark.parametrize("voting", [True, False])
def test_standing_stake_delta_mhhi_matches_obrien_salop_by_hand(voting: bool) -> None:
    """A (50%) has held 25% of B (30%) since before the start; C has 20%. The standing review
    reports MHHI before = HHI = 2,500 + 900 + 400 = 3,800 (the registry without the stake)
    and the delta of the hand formula: voting 0.15 x (0.25 + 0.25/0.625) x 10,000 = 975,
    silent 0.15 x 0.25 x 10,000 = 375. Decision `standing`, phase 0: reported, not unwound,
    even where the delta is above the 2023 thresholds (a concern, no block)."""
    shares = {"cloud": {"A": 0.5, "B": 0.3, "C": 0.2}}
    reg = _regulator(shares, {"A": "cloud", "B": "cloud", "C": "cloud"}, Regime.GUIDELINES_2023)
    reg.view.stakes.update_set("A", "B", 0.25, voting)
    deal = _stake("A", "B", 25.0, voting)
    reg.update_add_standing(deal)
    reg.update_review_standing()
    (row,) = reg.reviews
    assert row["screen"] == "partial_ownership" and row["market"] == "cloud"
    assert row["mhhi_pre"] == pytest.approx(3_800.0)
    expected = _obrien_salop_delta(0.5, 0.3, 0.25, voting)
    assert expected == pytest.approx(975.0 if voting else 375.0)
    assert row["delta_mhhi"] == pytest.approx(expected)
    assert row["mhhi_post"] == pytest.approx(3_800.0 + expected)
    assert row["decision"] == STANDING and row["phase"] == 0 and row["concern"]
    assert row["stake_pct"] == pytest.approx(25.0) and deal.status is DealStatus.DEFINITIVE


def test_standing_stake_is_screened_again_when_the_parties_come_to_overlap() -> None:
    """A cloud C holds 30% of a lab L with no cloud capacity at the start: its cloud row has
    delta 0. When L comes to sell 20% of cloud, that row alone is screened again (delta
    10,000 x 0.4 x 0.2 x (0.3 + 0.3/(0.09 + 0.49)) > 0), once; a stake no longer held is
    no longer screened; a regulator switched off screens nothing."""
    shares = {"cloud": {"C": 0.4, "x": 0.6}, "frontier_ai": {"L": 0.7, "z": 0.3}}
    reg = _regulator(shares, {"C": "cloud", "L": "lab"}, Regime.NONE)
    reg.view.stakes.update_set("C", "L", 0.3, True)
    reg.update_add_standing(_stake("C", "L", 30.0, True))
    reg.update_review_standing()
    first = {(r["market"], r["screen"]): r for r in reg.reviews}
    assert first[("cloud", "partial_ownership")]["delta_mhhi"] == 0.0
    assert ("frontier_ai", "vertical_stake") in first
    reg.view.t = 1
    reg.update_review_standing()
    assert len(reg.reviews) == len(first)  # nothing new: no new overlap
    shares["cloud"] = {"C": 0.4, "L": 0.2, "x": 0.4}
    reg.view.t = 2
    reg.update_review_standing()
    (again,) = reg.reviews[len(first):]
    assert (again["market"], again["step"]) == ("cloud", 2)
    assert again["delta_mhhi"] == pytest.approx(_obrien_salop_delta(0.4, 0.2, 0.3, True))
    reg.update_review_standing()
    assert len(reg.reviews) == len(first) + 1
    reg.view.stakes.update_divest("C", "L")
    shares["frontier_ai"] = {"L": 0.7, "C": 0.1, "z": 0.2}
    reg.update_review_standing()
    assert len(reg.reviews) == len(first) + 1 and not reg.standing
    off = _regulator(shares, {"C": "cloud", "L": "lab"}, Regime.NONE)
    off.enabled = False
    off.view.stakes.update_set("C", "L", 0.3, True)
    off.update_add_standing(_stake("C", "L", 30.0, True))
    off.update_review_standing()
    assert off.reviews == []


def test_baseline_reports_microsofts_standing_stake_in_cloud(baseline_results) -> None:
    """Microsoft has held 32.5% of OpenAI with votes since before the start. MHHI rises with
    cross-ownership and shared control among firms selling in the same market: Microsoft's
    shareholders gain a financial interest in OpenAI's sales and Microsoft a share of
    OpenAI's control, so the O'Brien-Salop cross terms s_Microsoft x s_OpenAI x (...) are
    positive once both sell cloud capacity. OpenAI has none at the start (its cloud row is
    reported with delta 0); once it builds its own (committed capacity counts in the
    reviewer's cloud shares) the row is screened again with a positive delta-MHHI. Nothing
    is blocked: the decision is `standing`."""
    import polars as pl

    reviews = baseline_results.tables["reviews"]
    rows = reviews.filter((pl.col("deal_id") == "D0-equity") & (pl.col("market") == "cloud"))
    assert set(rows["decision"]) == {STANDING} and set(rows["phase"]) == {0}
    assert rows["delta_mhhi"][0] == 0.0 and rows["share_target"][0] == 0.0
    assert rows["step"][0] == 0
    assert rows.height == 2 and rows["delta_mhhi"][1] > 0.0 and rows["share_target"][1] > 0.0


def test_a_row_decided_by_the_financing_rule_names_that_screen() -> None:
    """Under `strict`, a vendor's stake in a customer is blocked by the vendor-financing rule
    (its share of its market above `financing_share`), not by the vertical vGUPPI screen; the
    row that carries the block must say so, or a reader sees a 'vertical_stake' row with a
    vGUPPI under its own threshold and a block it cannot explain."""
    deal = _stake("V", "L", 5.0, voting=False)
    roles = {"V": "vendor", "L": "lab"}
    shares = {"accelerators": {"V": 0.8, "W": 0.2}, "frontier_ai": {"L": 0.5, "M": 0.5}}
    reg = _regulator(shares, roles, Regime.STRICT)
    rows = reg.compute_review(deal)
    decision, reason = reg.compute_decision(deal, rows)
    assert decision == BLOCKED and "vendor financing" in reason
    deciding = [r for r in rows if r["concern"] and r["threshold"].startswith("vendor share")]
    assert deciding and all(r["screen"] == "vendor_financing" for r in deciding)


def test_what_if_stake_follows_a_change_of_the_holdings() -> None:
    """The registry after a reviewed stake is kept while the holdings stay the same, and must
    follow any change. O'Brien-Salop by hand, X (30%) buying a silent 20% of Y (20%) in
    40/30/20/10: first MHHI 3,000 -> 3,120 (delta 0.3 x 0.2 x 0.2 x 10,000 = 120). Once X
    already holds a silent 20% of Y (MHHI 3,120), the same deal dilutes it to 16% and adds
    20%: X holds 36%, post-MHHI 3,000 + 0.3 x 0.2 x 0.36 x 10,000 = 3,216. Reviewing twice
    in a row gives the same rows."""
    deal = _stake("X", "Y", 20.0, voting=False)
    reg = _regulator({"cloud": FOUR}, {n: "cloud" for n in FOUR}, Regime.GUIDELINES_2023)
    first = reg.compute_review(deal)
    assert reg.compute_review(deal) == first
    assert first[0]["mhhi_post"] == pytest.approx(3_120.0)
    reg.view.stakes.update_set("X", "Y", 0.2, False)
    again = reg.compute_review(deal)[0]
    assert again["mhhi_pre"] == pytest.approx(3_120.0)
    assert again["mhhi_post"] == pytest.approx(3_216.0)


def test_held_shares_stay_until_released() -> None:
    """While the deal phase holds the shares, each market's reviewer shares are read once
    (a change of the quantities is not seen: the phase moves none); once released, the
    next reading sees the market as it is."""
    shares = {"cloud": dict(FOUR)}
    reg = _regulator(shares, {n: "cloud" for n in FOUR}, Regime.GUIDELINES_2023)
    reg.update_hold_shares(True)
    assert reg.compute_market_shares(["cloud"])["cloud"] == FOUR
    shares["cloud"] = {"W": 1.0}
    assert reg.compute_market_shares()["cloud"] == FOUR
    reg.update_hold_shares(False)
    assert reg.compute_market_shares()["cloud"] == {"W": 1.0}


class _Closing:
    """Carries the regulator's decisions out on the deal itself (status only)."""

    def __init__(self, view: _View) -> None:
        self.view = view

    def update_deal_status(self, deal: Deal, status: DealStatus) -> None:
        deal.update_status(status, self.view.t)

    def update_block(self, deal: Deal) -> None:
        deal.update_status(DealStatus.BLOCKED, self.view.t)


@pytest.mark.parametrize(("regime", "months", "phase", "decision"), [
    (Regime.NONE, 1, 1, CLEARED),
    (Regime.GUIDELINES_2023, 1 + 6, 2, BLOCKED),
])
def test_filing_times_the_review_by_the_regime(regime, months, phase, decision) -> None:
    """The 40/30/20/10 merger of Y and Z (HHI 3,000 -> 3,400) filed at step 2: under `none`
    every deal is cleared, so the review takes `review_months` (phase 1) and ends cleared;
    under the 2023 guidelines it raises the presumption, so `phase2_months` are added and
    the decision, at the end, blocks it with phase-2 rows."""
    view = _View({"cloud": FOUR}, {n: "cloud" for n in FOUR})
    view.t = 2
    view.forbids_equity_deal = view.forbids_deal = lambda *args, **kw: False
    reg = Regulator(view, _Closing(view),
                    RegulatorParams(regime=regime, review_months=1, phase2_months=6))
    deal = _stake("Y", "Z", 100.0, voting=True)
    reg.update_submit(deal)
    assert deal.status is DealStatus.UNDER_REVIEW and reg.review_end["X"] == 2 + months
    view.t = 2 + months - 1
    reg.update_decide(deal)
    assert deal.status is DealStatus.UNDER_REVIEW and not reg.reviews  # not yet
    view.t = 2 + months
    reg.update_decide(deal)
    assert deal.status is (DealStatus.ACTIVE if decision == CLEARED else DealStatus.BLOCKED)
    assert {r["decision"] for r in reg.reviews} == {decision}
    assert {r["phase"] for r in reg.reviews} == {phase}
