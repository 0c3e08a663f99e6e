"""The competition authority: reviews reportable deals and records the concentration screens.

Under the `none` regime it clears everything but still measures, for every reviewable deal,
the market's HHI before and after (full-merger arithmetic, delta = 2 s_i s_j) and the
O'Brien-Salop MHHI before and after the stake the deal creates.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from world.contracts import Deal, DealStatus
from world.metrics import compute_hhi, compute_mhhi
from world.params import DealKind, Regime

ROLE_MARKET = {"vendor": "accelerators", "cloud": "cloud", "lab": "frontier_ai"}


class Regulator(mesa.Agent):
    """Reviews deals against the scenario's policy regime (DESIGN 'Regulator')."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.params = model.p.regulator
        self.review_end: dict[str, int] = {}
        self.pending: dict[str, dict] = {}

    # ----- what is reviewed --------------------------------------------------------------------
    def compute_market(self, deal: Deal) -> str:
        """Market a deal is screened in: supply -> accelerators, cloud -> cloud, stakes -> the
        investee's market."""
        if deal.kind is DealKind.SUPPLY:
            return "accelerators"
        if deal.kind is DealKind.CLOUD_CAPACITY:
            return "cloud"
        return ROLE_MARKET[self.model.firms[deal.target].role]

    def is_reportable(self, deal: Deal) -> bool:
        """Stakes (equity, warrants) and exclusive contracts are reviewable."""
        return deal.kind in (DealKind.EQUITY, DealKind.WARRANT) or deal.exclusive

    def compute_review(self, deal: Deal) -> dict:
        """The screens for `deal`: shares, HHI pre/post and delta, MHHI pre/post and delta."""
        market = self.compute_market(deal)
        shares = dict(self.model.latest_shares.get(market, {}))
        s_i, s_j = shares.get(deal.source, 0.0), shares.get(deal.target, 0.0)
        pre = compute_hhi(np.array(list(shares.values()))) if shares else 0.0
        delta = 2.0 * s_i * s_j * 10_000.0
        mhhi_pre = self.compute_market_mhhi(shares)
        frac = deal.equity_pct / 100.0 if deal.kind in (DealKind.EQUITY, DealKind.WARRANT) else 0.0
        mhhi_post = self.compute_market_mhhi(
            shares, extra=(deal.source, deal.target, frac, deal.voting)
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
            "regime": self.params.regime.value,
        }

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
        """A definitive deal is filed: reportable deals go under review for `review_months`,
        the others become active at once."""
        if not self.is_reportable(deal):
            deal.update_status(DealStatus.ACTIVE, self.model.t)
            return
        self.pending[deal.deal_id] = self.compute_review(deal)
        self.review_end[deal.deal_id] = self.model.t + self.params.review_months
        deal.update_status(DealStatus.UNDER_REVIEW, self.model.t)
        if self.params.review_months == 0:
            self.update_decide(deal)

    def update_decide(self, deal: Deal) -> None:
        """At the end of its review a deal is cleared (regime `none`: always)."""
        if self.model.t < self.review_end.get(deal.deal_id, 0):
            return
        review = self.pending.pop(deal.deal_id, None) or self.compute_review(deal)
        decision, reason = self.compute_decision(deal, review)
        review.update(step=self.model.t, decision=decision, reason=reason)
        self.model.reviews.append(review)
        if decision == "blocked":
            self.update_block(deal, reason, record=False)
        else:
            deal.update_status(DealStatus.ACTIVE, self.model.t)

    def compute_decision(self, deal: Deal, review: dict) -> tuple[str, str]:
        """Decision and reason; the core clears everything, later regimes refine this."""
        if self.params.regime is Regime.NONE:
            return "cleared", "no merger control in this regime"
        return "cleared", "below the screens"

    def update_block(self, deal: Deal, reason: str, record: bool = True) -> None:
        """Block a deal (an intervention or a review decision); it leaves the network."""
        if record:
            review = self.compute_review(deal)
            review.update(step=self.model.t, decision="blocked", reason=reason)
            self.model.reviews.append(review)
        deal.update_status(DealStatus.BLOCKED, self.model.t)
        self.model.network.update_remove_deal(deal.deal_id)
