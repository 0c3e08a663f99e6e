"""The competition authority: reviews reportable deals against the scenario's regime.

Every reviewable deal gets its screens from `world.screens`, one review row per screen and
market: stakes the horizontal screen (a controlling stake, HHI and delta in every market where
both parties sell) or the partial-ownership screen (MHHI before and after, O'Brien and Salop
2000, in every market where either party sells), and across levels of the chain the vertical
screen (vGUPPI, Moresi and Salop 2013, with the supplier's share: ability and incentive);
exclusive contracts the foreclosure screen (a vertical restraint: the share of demand tied and
the term); supply tied to the vendor's investment the vendor-financing screen. The reviewer
sees this month's shares, after the markets clear (cloud: committed capacity,
`compute_market_shares`). The regime
(`RegulatorParams.regime`, docs/antitrust.md) decides what is reportable and what the screens
imply:

- `none`: every stake and exclusive contract is measured and cleared.
- `hsr_2010`: voting stakes and exclusive contracts are reviewed (passive non-voting stakes
  are exempt, as HSR's investment-only exemption); horizontal screen of the 2010 Horizontal
  Merger Guidelines s.5.3 (post-HHI > 2,500 and delta > 200: presumption, blocked); minority
  stakes on MHHI with the same thresholds (s.13, partial acquisitions); no vertical screens.
- `guidelines_2023`: the 2023 Merger Guidelines (guideline 1: post-HHI > 1,800 and
  delta > 100, or merged share > 30% and delta > 100; minority stakes on MHHI with the same
  thresholds, guideline 11) and the vertical screens (guideline 5: a supplier with a share >=
  `foreclosure_share` and a vGUPPI >= `vguppi_threshold`; exclusive contracts foreclosing >=
  `exclusive_share` of demand for >= `exclusive_min_months`), cleared with conditions: no
  exclusivity, supply to rivals on equal terms. Non-voting stakes are reviewed only under a
  `nonvoting_reportable` intervention.
- `strict`: the 2023 screens, plus non-voting stakes and vendor financing of customers
  (equity or warrants from a chip vendor; blocked when the vendor's share is >=
  `financing_share`); exclusive contracts that raise a concern are blocked outright.

A deal that raises a concern gets an in-depth second phase (`phase2_months`). Interventions
(`world.policy`) forbid deals before any review. Stakes held before the start are screened as
standing stakes (`Regulator.update_review_standing`): reported, not unwound.

The regulator decides, holding each review's screens against the regime's thresholds
(`agents.verdicts`); `world.closing.DealClosing` carries its decisions out. The module is a
little over the house's ~400 lines: the review of filed deals and of standing stakes share
the reviewer's view of the markets and the review record.
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.remedies import CONDITION_TERMS, compute_condition_upstream
from agents.verdicts import BLOCKED, CLEARED, CONDITIONS, compute_decision
from agents.what_if_stakes import WhatIfStakes
from world.closing import DealClosing
from world.contracts import Deal, DealStatus
from world.metrics import compute_shares
from world.params import MARKETS, DealKind, Regime, RegulatorParams
from world.screens import (
    ROLE_MARKET,
    compute_base_row,
    compute_exclusive_row,
    compute_financing_row,
    compute_firms_mhhi,
    compute_stake_rows,
    compute_standing_stake_rows,
)
from world.view import MarketView

STANDING = "standing"
"""Decision of a standing stake's review: screened and reported, not unwound."""
STANDING_PHASE = 0
"""`phase` of a standing stake's rows: screened at the start, never filed (filed deals have
phase 1, or 2 after an in-depth second phase)."""


def _close_rows(rows: list[dict], **decided: object) -> None:
    """Give each review row what was decided (step, decision, reason...) and remove the
    screen's working keys (`screen_concern`, `screen_reason`): the row as it is recorded."""
    for row in rows:
        row.update(decided)
        row.pop("screen_concern", None)
        row.pop("screen_reason", None)


class Regulator:
    """Reviews deals against the scenario's policy regime (docs/odd.md).

    Reads the market through `view`; its decisions are carried out by `closing` (status,
    remedies, blocks). Owns its review rows (`reviews`, read by the recorder).

    Args:
        view: read-only market view.
        closing: carries out the decisions.
        params: the scenario's regulator parameters (regime, thresholds, review months).
    """

    def __init__(self, view: MarketView, closing: DealClosing, params: RegulatorParams) -> None:
        self.view, self.closing, self.params = view, closing, params
        self.reviews: list[dict] = []
        """One row per screen and market of every review, in decision order (docs/outputs.md
        'reviews')."""
        self.review_end: dict[str, int] = {}
        self.pending: dict[str, dict] = {}
        self.standing: dict[str, tuple[Deal, set[str] | None]] = {}
        """Initial positions leaving a stake -> (deal, markets where both parties sold at its
        last screen; None before the first)."""
        self.enabled = True
        """False when the scenario switches the regulator off (`[components] regulator`): no
        deal is reviewed."""
        self._held_shares: dict[str, dict[str, float]] | None = None
        """Market -> the reviewer's shares, kept while held (`update_hold_shares`)."""
        self._possible: dict[str, frozenset[str]] = {}
        """Firm -> `_compute_possible_markets` (fixed for a run: roles and the chip designers
        are set when the model is built)."""
        self._what_if = WhatIfStakes(view)
        """The holdings after each stake screened, kept while the holdings are unchanged."""

    # ----- what is reviewed --------------------------------------------------------------------
    @staticmethod
    def compute_owner_firm(deal: Deal) -> tuple[str, str]:
        """(acquirer, acquired) of a stake: an equity investor buys into the target; a
        warrant's holder (the target) buys into its issuer (the source)."""
        if deal.kind is DealKind.WARRANT:
            return deal.target, deal.source
        return deal.source, deal.target

    def is_reportable(self, deal: Deal) -> bool:
        """Whether the regime reviews `deal` (module docstring).

        Stakes (equity, warrants) and exclusive contracts are reviewable in every regime;
        non-voting stakes only under `none` (measured), `strict`, or a `nonvoting_reportable`
        intervention; under `strict` also supply deals tied to a vendor's investment.
        """
        regime = self.params.regime
        stake = deal.kind in (DealKind.EQUITY, DealKind.WARRANT)
        if deal.exclusive:
            return True
        if not stake:
            return regime is Regime.STRICT and self._is_financed_supply(deal)
        if deal.voting or regime in (Regime.NONE, Regime.STRICT):
            return True
        return self.view.makes_nonvoting_reportable()

    def _is_financed_supply(self, deal: Deal) -> bool:
        parent = self.view.get_deal(deal.parent_id) if deal.parent_id else None
        return (
            deal.kind is DealKind.SUPPLY
            and parent is not None
            and parent.kind is DealKind.EQUITY
            and parent.source == deal.source
        )

    def compute_market_shares(
        self, markets: Iterable[str] | None = None
    ) -> dict[str, dict[str, float]]:
        """The reviewer's view of the markets: market -> participant -> share (fractions),
        this month's, read through the market view; participants are whatever firms the
        market holds (the named fringe firms and the small-firm remainder included).

        Cloud shares count committed capacity: each cloud's deployed plus under-construction
        GW, and a lab building its own data centres as a participant too (its captive capacity
        is outside the cloud market's shares of the output tables, but for the screens it is a
        rapid entrant: 2023 Merger Guidelines s.4.4.A, capacity-based shares); participants
        outside the firms (the fringe) count their deployed GW. `markets`: only these (default
        all).
        """
        view = self.view
        chosen = set(MARKETS if markets is None else markets)
        held = self._held_shares
        wanted = [m for m in MARKETS if m in chosen and (held is None or m not in held)]
        out = {m: dict(view.compute_shares(m)) for m in wanted}
        cloud = out.get("cloud")
        if cloud:
            out["cloud"] = self._compute_committed_cloud_shares(cloud)
        out = {m: view.compute_firm_shares(m, s) for m, s in out.items()}
        if held is None:
            return out
        held.update(out)
        return {m: held[m] for m in MARKETS if m in chosen}

    def update_hold_shares(self, hold: bool) -> None:
        """Start (`hold`) or end a stretch in which no quantity the shares are read from
        moves (the deal phase: `world.view.MarketView.update_hold_shares`): each market's
        shares (`compute_market_shares`) are computed at their first reading and kept, shared
        by every review in it (screens do not mutate them). Ending it drops them."""
        self._held_shares = {} if hold else None

    def _compute_committed_cloud_shares(self, cloud: dict[str, float]) -> dict[str, float]:
        """Cloud shares by committed capacity (`compute_market_shares`); `cloud`: this
        month's shares of deployed capacity, returned unchanged when there is none."""
        view = self.view
        roles = view.compute_roles()
        firms = [n for n in roles if n in cloud]
        outside = sum(v for n, v in cloud.items() if n not in roles)
        deployed = {n: view.compute_deployed_gw(n) for n in firms}
        if outside >= 1.0 or sum(deployed.values()) <= 0.0:
            return cloud
        total = sum(deployed.values()) / (1.0 - outside)
        pipeline = view.compute_pipeline_gw_by_firm()
        committed = {
            n: (deployed[n] if n in deployed else view.compute_deployed_gw(n)) + pipeline[n]
            for n, role in roles.items()
            if n in cloud or role == "lab"
        }
        gw = {n: v for n, v in committed.items() if n in cloud or v > 0.0}
        gw.update({n: v * total for n, v in cloud.items() if n not in roles})
        return compute_shares(gw)

    def compute_review(self, deal: Deal) -> list[dict]:
        """The screens for `deal`, one row per screen and market (`world.screens`): stakes get
        the horizontal or partial-ownership screen in every market where a party sells and
        the vertical-stake screen across levels; exclusive contracts the foreclosure screen;
        supply tied to the vendor's investment the vendor-financing screen."""
        shares = self.compute_market_shares()
        roles = self.view.compute_roles()
        p = self.params
        rows: list[dict] = []
        if deal.kind in (DealKind.EQUITY, DealKind.WARRANT):
            owner, firm = self.compute_owner_firm(deal)
            frac = self.compute_stake_fraction(deal)
            rows += compute_stake_rows(
                deal, owner, firm, frac, shares, self.view.stakes,
                roles, (p.margin_over_input_price, p.upstream_margin_over_price),
                post=self._what_if.compute_post_stakes(owner, firm, frac, bool(deal.voting)),
            )
        elif self._is_financed_supply(deal) or self.view.is_vendor_financing(
            deal.kind, deal.source, deal.target
        ):
            rows.append(compute_financing_row(
                deal, shares, self.view.stakes, roles, p.margin_over_input_price))
        if deal.exclusive and deal.kind in (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY):
            rows.append(compute_exclusive_row(
                deal, shares, roles, self._tied_buyers(deal),
                (p.exclusive_share, p.exclusive_min_months),
            ))
        if not rows:
            market = ROLE_MARKET.get(roles.get(deal.target, ""), "")
            rows.append(compute_base_row(deal, market, "none", shares.get(market, {})))
        for row in rows:
            row.update(regime=self.params.regime.value, phase=1, conditions="")
        return rows

    def _tied_buyers(self, deal: Deal) -> set[str]:
        """Buyers already tied by other live exclusive contracts of the same kind."""
        live = (DealStatus.ACTIVE, DealStatus.UNDER_REVIEW)
        return {
            d.target for d in self.view.live_deals()
            if d.exclusive and d.kind is deal.kind and d.status in live
            and d.deal_id != deal.deal_id
        }

    @staticmethod
    def compute_stake_fraction(deal: Deal) -> float:
        """Fraction of the acquired firm the deal would hand over: `equity_pct`, or the
        investment over the post-money valuation when only money and valuation are known."""
        if deal.kind not in (DealKind.EQUITY, DealKind.WARRANT):
            return 0.0
        if deal.equity_pct > 0:
            return deal.equity_pct / 100.0
        if deal.valuation_usd_b > 0 and deal.value_usd_b > 0:
            return min(1.0, deal.value_usd_b / max(deal.valuation_usd_b, deal.value_usd_b))
        return 0.0

    def compute_market_mhhi(self, market: str, shares: dict[str, float],
                            hhi: float | None = None) -> float:
        """MHHI of `market` from the stake registry, the fringe's remainder row counted as
        the small firms it stands for (`world.screens.compute_firms_mhhi`). `hhi`: the
        market's HHI of the firms (`view.compute_hhi`) when the caller has it."""
        firms_hhi = self.view.compute_hhi(market, shares) if hhi is None else hhi
        return compute_firms_mhhi(shares, self.view.stakes, firms_hhi)

    # ----- the process -------------------------------------------------------------------------
    def update_add_standing(self, deal: Deal) -> None:
        """Note an initial position (a deal entered before the start): if it leaves a stake,
        the stake is screened as a standing stake (`update_review_standing`)."""
        if deal.kind in (DealKind.EQUITY, DealKind.WARRANT):
            self.standing[deal.deal_id] = (deal, None)

    def update_review_standing(self) -> None:
        """Screen the standing stakes (held before the start), each month in the deal phase.

        In the first month each stake still held (an equity stake of its source, a warrant's
        of its target) gets the screens of a new stake (`world.screens.
        compute_standing_stake_rows`: the partial-ownership or horizontal screen in every
        market where either party sells, the vertical screen across levels), on this month's
        shares, with delta-MHHI the holding's contribution given every other holding. Later,
        in the first month the two parties come to sell in a market where they did not both
        sell at the last screen (a lab building its own cloud capacity), that market's row
        is screened again (shares are read only while some market where both can sell, by
        `_compute_possible_markets`, is not yet screened with both selling). Rows carry the
        regime's thresholds and whether they would raise a concern, with decision `standing`
        and phase 0: a standing stake is reported, not unwound (an intervention such as
        `divestiture` unwinds it). A stake no longer held is no longer screened; nothing is
        screened when the regulator is switched off.
        """
        if not self.enabled or not self.standing:
            return
        pending: dict[str, set[str]] = {}  # deal id -> markets to look at this month
        for deal_id in sorted(self.standing):
            deal, seen = self.standing[deal_id]
            owner, firm = self.compute_owner_firm(deal)
            if self.view.compute_stake(owner, firm) <= 0.0:
                del self.standing[deal_id]
            elif seen is None:
                pending[deal_id] = set(MARKETS)
            elif left := (self._compute_possible_markets(owner)
                          & self._compute_possible_markets(firm)) - seen:
                pending[deal_id] = left
        if not pending:
            return
        shares = self.compute_market_shares(set().union(*pending.values()))
        for deal_id, markets in pending.items():
            deal, seen = self.standing[deal_id]
            owner, firm = self.compute_owner_firm(deal)
            overlap = {m for m in markets
                       if shares[m].get(owner, 0.0) > 0.0 and shares[m].get(firm, 0.0) > 0.0}
            if seen is None:
                rows = self._compute_standing_rows(deal, owner, firm, shares)
            elif overlap:  # a new overlap: that market's row only
                rows = [r for r in self._compute_standing_rows(
                            deal, owner, firm, {m: shares[m] for m in overlap})
                        if r["screen"] in ("partial_ownership", "horizontal")]
            else:
                continue
            self.standing[deal_id] = (deal, overlap | (seen or set()))
            self.reviews.extend(rows)

    def _compute_possible_markets(self, firm: str) -> frozenset[str]:
        """Markets where `firm` can have a share in the reviewer's view: its role's market,
        accelerators if it designs chips, cloud for a lab (its own committed capacity)."""
        known = self._possible.get(firm)
        if known is not None:
            return known
        role = self.view.compute_role(firm)
        markets = {ROLE_MARKET[role]} if role in ROLE_MARKET else set()
        if self.view.designs_chips(firm):
            markets.add("accelerators")
        if role == "lab":
            markets.add("cloud")
        self._possible[firm] = frozenset(markets)
        return self._possible[firm]

    def _compute_standing_rows(self, deal: Deal, owner: str, firm: str,
                               shares: dict[str, dict[str, float]]) -> list[dict]:
        """The rows of a standing stake's screen (`update_review_standing`)."""
        p = self.params
        rows = compute_standing_stake_rows(
            deal, owner, firm, shares, self.view.stakes, self.view.compute_roles(),
            (p.margin_over_input_price, p.upstream_margin_over_price))
        for row in rows:
            row.update(regime=p.regime.value, phase=STANDING_PHASE, conditions="")
        _, why = self.compute_decision(deal, rows)
        _close_rows(rows, step=self.view.t, decision=STANDING,
                    reason=f"standing stake held before the start, reported and not unwound "
                           f"({why})")
        return rows

    def update_submit(self, deal: Deal) -> None:
        """A definitive deal is filed. A deal an intervention forbids is blocked at once;
        reportable deals go under review for `review_months` (plus `phase2_months` when the
        screens raise a concern), the others become active at once."""
        view = self.view
        if view.forbids_equity_deal(
            deal.kind, deal.source, deal.target, deal.deal_id
        ) or (deal.parent_id and view.forbids_deal(None, "", "", deal.parent_id)):
            self.update_block(deal, "forbidden by an intervention")
            return
        if not self.enabled or not self.is_reportable(deal):
            self.closing.update_deal_status(deal, DealStatus.ACTIVE)
            return
        months = self.params.review_months
        phase = 1
        # the screens at filing only decide on a second phase; under `none` every deal is
        # cleared (`compute_decision`), so they are taken at the decision only
        if (self.params.regime is not Regime.NONE
                and self.compute_decision(deal, self.compute_review(deal))[0] != CLEARED):
            months += self.params.phase2_months
            phase = 2
        self.pending[deal.deal_id] = {"phase": phase}
        self.review_end[deal.deal_id] = view.t + months
        self.closing.update_deal_status(deal, DealStatus.UNDER_REVIEW)
        if months == 0:
            self.update_decide(deal)

    def update_decide(self, deal: Deal) -> None:
        """At the end of its review a deal is cleared, cleared with conditions (applied at
        once, `world.closing.DealClosing.update_apply_conditions`) or blocked. The screens are taken
        again at decision time (shares may have moved during the review)."""
        if self.view.t < self.review_end.get(deal.deal_id, 0):
            return
        filed = self.pending.pop(deal.deal_id, None)
        rows = self.compute_review(deal)
        decision, reason = self.compute_decision(deal, rows)
        _close_rows(rows, step=self.view.t, decision=decision, reason=reason,
                    phase=filed["phase"] if filed else 1)
        if decision == BLOCKED:
            self.reviews.extend(rows)
            self.update_block(deal, reason, record=False)
            return
        if decision == CONDITIONS:
            upstream = compute_condition_upstream(rows)
            for row in rows:
                row["conditions"] = CONDITION_TERMS
            self.closing.update_apply_conditions(deal, upstream)
        self.reviews.extend(rows)
        self.closing.update_deal_status(deal, DealStatus.ACTIVE)

    def compute_decision(self, deal: Deal, rows: list[dict]) -> tuple[str, str]:
        """Decision (`cleared`, `cleared_with_conditions`, `blocked`) and reason of the review
        rows of `deal` under the regime (`agents.verdicts.compute_decision`; each row gets its
        `threshold` and `concern`)."""
        financing = self.params.regime is Regime.STRICT and self.view.is_vendor_financing(
            deal.kind, deal.source, deal.target)
        return compute_decision(self.params, rows, financing)

    def update_block(self, deal: Deal, reason: str, record: bool = True) -> None:
        """Block a deal (an intervention or a review decision); it leaves the network.

        The parties learn it (they stop proposing the same kind of deal to each other) and a
        blocked investment in a lab's round is left to its outside investors
        (`world.closing.DealClosing.update_block`)."""
        if record:
            rows = self.compute_review(deal)
            _close_rows(rows, step=self.view.t, decision=BLOCKED, reason=reason,
                        threshold="forbidden by an intervention", concern=True)
            self.reviews.extend(rows)
        self.closing.update_block(deal)
