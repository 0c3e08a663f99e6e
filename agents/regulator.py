"""The competition authority: reviews reportable deals against the scenario's regime.

Every reviewable deal gets the structural screens: the market's HHI before and after
(full-merger arithmetic, delta = 2 s_i s_j), the O'Brien-Salop MHHI before and after the stake
the deal creates, and a vertical screen (the input supplier's share of its market). The regime
(`RegulatorParams.regime`, docs/antitrust.md) decides what is reportable and what the screens
imply:

- `none`: every stake and exclusive contract is measured and cleared.
- `hsr_2010`: voting stakes and exclusive contracts are reviewed (passive non-voting stakes
  are exempt, as HSR's investment-only exemption); horizontal screen of the 2010 Horizontal
  Merger Guidelines s.5.3 (post-HHI > 2,500 and delta > 200: presumption, blocked); minority
  stakes are screened on MHHI (s.13, partial acquisitions).
- `guidelines_2023`: also the 2023 Merger Guidelines (guideline 1: post-HHI > 1,800 and
  delta > 100, or merged share > 30% and delta > 100) and a vertical screen (guideline 5:
  an input supplier with a share >= `foreclosure_share` may limit rivals' access; cleared
  with conditions: no exclusivity, supply to rivals on equal terms). Minority stakes are
  reviewed (guideline 11); non-voting ones only under a `nonvoting_reportable` intervention.
- `strict`: the 2023 screens, plus non-voting stakes and vendor financing of customers
  (equity or warrants from a chip vendor; blocked when the vendor's share is >=
  `financing_share`), and vertical links that are exclusive are blocked outright.

A deal that raises a concern gets an in-depth second phase (`phase2_months`). Interventions
(`world.policy`) forbid deals before any review.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from agents.remedies import update_apply_conditions, update_refill_round
from world.contracts import Deal, DealStatus
from world.metrics import (
    compute_hhi,
    compute_merger_screen_2010,
    compute_merger_screen_2023,
    compute_mhhi,
)
from world.params import DealKind, Regime

ROLE_MARKET = {"vendor": "accelerators", "cloud": "cloud", "lab": "frontier_ai"}
CONTROL_STAKE = 0.5
"""A voting stake of at least half is control: screened as a full merger (HHI); below it, on
the MHHI the stake creates (O'Brien and Salop 2000; 2023 Merger Guidelines, guideline 11)."""
CLEARED, CONDITIONS, BLOCKED = "cleared", "cleared_with_conditions", "blocked"
CONDITION_TERMS = "no_exclusivity;supply_to_rivals"
"""Behavioural remedy of a vertical concern: the deal loses any exclusivity and the input
supplier serves its contracts and rivals' open orders pro rata (equal access)."""


class Regulator(mesa.Agent):
    """Reviews deals against the scenario's policy regime (DESIGN 'Regulator')."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.params = model.p.regulator
        self.review_end: dict[str, int] = {}
        self.pending: dict[str, dict] = {}
        self.enabled = True
        """False when the scenario switches the regulator off (`[components] regulator`): no
        deal is reviewed."""

    # ----- what is reviewed --------------------------------------------------------------------
    def compute_market(self, deal: Deal) -> str:
        """Market a deal is screened in: supply -> accelerators, cloud -> cloud, stakes -> the
        market of the firm whose shares are acquired (the target; a warrant's issuer, the
        source)."""
        if deal.kind is DealKind.SUPPLY:
            return "accelerators"
        if deal.kind is DealKind.CLOUD_CAPACITY:
            return "cloud"
        _owner, firm = self.compute_owner_firm(deal)
        return ROLE_MARKET[self.model.firms[firm].role]

    @staticmethod
    def compute_owner_firm(deal: Deal) -> tuple[str, str]:
        """(acquirer, acquired) of a stake: an equity investor buys into the target; a
        warrant's holder (the target) buys into its issuer (the source)."""
        if deal.kind is DealKind.WARRANT:
            return deal.target, deal.source
        return deal.source, deal.target

    def compute_upstream(self, deal: Deal) -> tuple[str, str]:
        """(input supplier, its market) of a vertical link, or ("", "") for a horizontal one.

        Supply chain order: vendor (accelerators) -> cloud (cloud capacity) -> lab.
        """
        order = {"vendor": 0, "cloud": 1, "lab": 2}
        a, b = self.model.firms[deal.source], self.model.firms[deal.target]
        if a.name == b.name or order[a.role] == order[b.role]:
            return "", ""
        up = a if order[a.role] < order[b.role] else b
        return up.name, ROLE_MARKET[up.role]

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
        return self.model.policy.makes_nonvoting_reportable()

    def _is_financed_supply(self, deal: Deal) -> bool:
        parent = self.model.deals.get(deal.parent_id) if deal.parent_id else None
        return (
            deal.kind is DealKind.SUPPLY
            and parent is not None
            and parent.kind is DealKind.EQUITY
            and parent.source == deal.source
        )

    def compute_review(self, deal: Deal) -> dict:
        """The screens for `deal`: shares, HHI pre/post and delta (full-merger arithmetic),
        MHHI pre/post and delta (the stake itself), and the vertical screen (the input
        supplier's share of its market, the foreclosure share of guideline 5)."""
        market = self.compute_market(deal)
        shares = dict(self.model.view.compute_shares(market))
        s_i, s_j = shares.get(deal.source, 0.0), shares.get(deal.target, 0.0)
        pre = compute_hhi(np.array(list(shares.values()))) if shares else 0.0
        delta = 2.0 * s_i * s_j * 10_000.0
        mhhi_pre = self.compute_market_mhhi(shares)
        owner, firm = self.compute_owner_firm(deal)
        frac = self.compute_stake_fraction(deal)
        mhhi_post = self.compute_market_mhhi(shares, extra=(owner, firm, frac, deal.voting))
        upstream, up_market = self.compute_upstream(deal)
        up_share = (
            self.model.view.compute_shares(up_market).get(upstream, 0.0) if up_market else 0.0
        )
        return {
            "deal_id": deal.deal_id,
            "kind": deal.kind.value,
            "source": deal.source,
            "target": deal.target,
            "market": market,
            "share_source": s_i,
            "share_target": s_j,
            "pre_hhi": pre,
            "post_hhi": pre + delta,
            "delta_hhi": delta,
            "mhhi_pre": mhhi_pre,
            "mhhi_post": mhhi_post,
            "delta_mhhi": mhhi_post - mhhi_pre,
            "stake_pct": 100.0 * frac,
            "voting": deal.voting,
            "exclusive": deal.exclusive,
            "upstream": upstream,
            "upstream_market": up_market,
            "upstream_share": up_share,
            "regime": self.params.regime.value,
            "phase": 1,
            "conditions": "",
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

    def compute_market_mhhi(
        self, shares: dict[str, float], extra: tuple[str, str, float, bool] | None = None
    ) -> float:
        """MHHI of a market from the stake registry (plus a hypothetical extra stake).

        Participants outside the six firms are independent (owned by their own holders).
        """
        if not shares:
            return 0.0
        stakes = self.model.stakes
        if extra is not None and extra[2] > 0:
            stakes = stakes.compute_with_stake(*extra)
        owned, ctrl = stakes.compute_ownership_control()
        names = sorted(shares)
        s = [shares[name] for name in names]
        cols = [stakes.index.get(name) for name in names]
        k = len(names)
        n_owners = owned.shape[0] + k
        own_m = np.zeros((n_owners, k))
        ctl_m = np.zeros((n_owners, k))
        for c, col in enumerate(cols):
            if col is None:
                own_m[owned.shape[0] + c, c] = 1.0
                ctl_m[owned.shape[0] + c, c] = 1.0
            else:
                own_m[: owned.shape[0], c] = owned[:, col]
                ctl_m[: owned.shape[0], c] = ctrl[:, col]
        return float(compute_mhhi(np.array(s), own_m, ctl_m))

    # ----- the process -------------------------------------------------------------------------
    def update_submit(self, deal: Deal) -> None:
        """A definitive deal is filed. A deal an intervention forbids is blocked at once;
        reportable deals go under review for `review_months` (plus `phase2_months` when the
        screens raise a concern), the others become active at once."""
        policy = self.model.policy
        if policy.forbids_equity_deal(
            deal.kind, deal.source, deal.target, deal.deal_id
        ) or (deal.parent_id and policy.forbids_deal(None, "", "", deal.parent_id)):
            self.update_block(deal, "forbidden by an intervention")
            return
        if not self.enabled or not self.is_reportable(deal):
            deal.update_status(DealStatus.ACTIVE, self.model.t)
            return
        review = self.compute_review(deal)
        months = self.params.review_months
        if self.compute_decision(deal, review)[0] != CLEARED:
            months += self.params.phase2_months
            review["phase"] = 2
        self.pending[deal.deal_id] = review
        self.review_end[deal.deal_id] = self.model.t + months
        deal.update_status(DealStatus.UNDER_REVIEW, self.model.t)
        if months == 0:
            self.update_decide(deal)

    def update_decide(self, deal: Deal) -> None:
        """At the end of its review a deal is cleared, cleared with conditions (applied at
        once, `agents.remedies.update_apply_conditions`) or blocked. The screens are taken
        again at decision time (shares may have moved during the review)."""
        if self.model.t < self.review_end.get(deal.deal_id, 0):
            return
        filed = self.pending.pop(deal.deal_id, None)
        review = self.compute_review(deal)
        review["phase"] = filed["phase"] if filed else 1
        decision, reason = self.compute_decision(deal, review)
        review.update(step=self.model.t, decision=decision, reason=reason)
        if decision == BLOCKED:
            self.model.reviews.append(review)
            self.update_block(deal, reason, record=False)
            return
        if decision == CONDITIONS:
            review["conditions"] = CONDITION_TERMS
            update_apply_conditions(self.model, deal, review["upstream"])
        self.model.reviews.append(review)
        deal.update_status(DealStatus.ACTIVE, self.model.t)

    def compute_decision(self, deal: Deal, review: dict) -> tuple[str, str]:
        """Decision (`cleared`, `cleared_with_conditions`, `blocked`) and reason under the
        regime (module docstring). Pure: reads the review and the deal."""
        regime = self.params.regime
        if regime is Regime.NONE:
            return CLEARED, "no merger control in this regime"
        horizontal = review["share_source"] > 0 and review["share_target"] > 0
        if horizontal:
            presumption, why = self.compute_horizontal_screen(review)
            if presumption:
                return BLOCKED, f"horizontal: {why}"
        if regime is Regime.HSR_2010:
            return CLEARED, "below the 2010 screens" if not horizontal else f"horizontal: {why}"
        vertical = bool(review["upstream"])
        up_share = review["upstream_share"]
        financing = self.model.policy.is_vendor_financing(deal.kind, deal.source, deal.target)
        if regime is Regime.STRICT and financing and up_share >= self.params.financing_share:
            return BLOCKED, (
                f"vendor financing by a supplier with {up_share:.0%} of its market "
                f"(>= {self.params.financing_share:.0%}): circular money ties the buyer"
            )
        if vertical and up_share >= self.params.foreclosure_share:
            if regime is Regime.STRICT and deal.exclusive:
                return BLOCKED, f"vertical: exclusive link to a supplier with {up_share:.0%}"
            return CONDITIONS, (
                f"vertical: {review['upstream']} holds {up_share:.0%} of "
                f"{review['upstream_market']} (>= {self.params.foreclosure_share:.0%}), may "
                "limit rivals' access"
            )
        return CLEARED, "below the 2023 screens"

    def compute_horizontal_screen(self, review: dict) -> tuple[bool, str]:
        """Structural presumption for a deal between two sellers of the same market.

        A controlling stake (voting, >= `CONTROL_STAKE`) is screened as a full merger on HHI
        (`world.metrics` 2010 or 2023 screen); a minority stake on the MHHI it creates, with
        the same thresholds (post-MHHI and delta-MHHI in place of post-HHI and delta-HHI).
        """
        regime = self.params.regime
        shares = {"i": review["share_source"], "j": review["share_target"]}
        rest = max(0.0, review["pre_hhi"] / 10_000.0 - shares["i"] ** 2 - shares["j"] ** 2)
        control = review["voting"] and review["stake_pct"] >= 100.0 * CONTROL_STAKE
        if control:
            shares["rest"] = rest ** 0.5  # one share with the same sum of squares
            screen = (
                compute_merger_screen_2010 if regime is Regime.HSR_2010
                else compute_merger_screen_2023
            )(shares, "i", "j")
            return screen.presumption, screen.reason
        post, delta = review["mhhi_post"], review["delta_mhhi"]
        if regime is Regime.HSR_2010:
            hit = post > 2_500.0 and delta > 200.0
            return hit, f"partial stake: post-MHHI {post:,.0f}, delta-MHHI {delta:,.0f}"
        hit = delta > 100.0 and post > 1_800.0
        return hit, f"partial stake: post-MHHI {post:,.0f}, delta-MHHI {delta:,.0f}"

    def update_block(self, deal: Deal, reason: str, record: bool = True) -> None:
        """Block a deal (an intervention or a review decision); it leaves the network.

        The parties learn it (`Policy.update_add_block`: they stop proposing the same kind of
        deal to each other) and a blocked investment in a lab's round is left to its outside
        investors (`agents.remedies.update_refill_round`)."""
        if record:
            review = self.compute_review(deal)
            review.update(step=self.model.t, decision=BLOCKED, reason=reason)
            self.model.reviews.append(review)
        deal.update_status(DealStatus.BLOCKED, self.model.t)
        self.model.network.update_remove_deal(deal.deal_id)
        self.model.policy.update_add_block(deal.kind, deal.source, deal.target)
        update_refill_round(self.model, deal)
