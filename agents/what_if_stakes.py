"""What-if stake registries: the holdings as they would be with one more stake.

A reviewer screens a stake on the holdings after it is issued
(`world.stakes.StakeRegistry.compute_with_stake`). A deal is screened at its filing and at its
decision, in every market where a party sells, and the same stake can be screened in several
months while the holdings stay the same; each what-if registry keeps its own memo of MHHI
weights, so it is built once per stake and kept while the holdings are unchanged.
"""

from __future__ import annotations

from world.stakes import StakeRegistry
from world.view import MarketView


class WhatIfStakes:
    """The what-if registries of one reviewer, read from the market view's stake registry.

    Args:
        view: read-only market view (its `stakes` are the holdings now).
    """

    def __init__(self, view: MarketView) -> None:
        self.view = view
        self._key: tuple = ()
        """`StakeRegistry.compute_holdings_key` of the holdings the registries were made from."""
        self._made: dict[tuple[str, str, float, bool], StakeRegistry] = {}
        """(owner, firm, fraction, voting) -> the registry after that stake."""

    def compute_post_stakes(self, owner: str, firm: str, frac: float,
                            voting: bool) -> StakeRegistry:
        """The registry with `owner`'s stake `frac` in `firm` issued (`StakeRegistry.
        compute_with_stake`; the registry itself when `frac` is 0): what `world.screens.
        compute_stake_rows` builds by default. Made once per stake and kept while the
        holdings are unchanged: every change of the holdings drops all of them
        (`StakeRegistry.is_holdings_key`). Callers must not change the registry returned."""
        stakes = self.view.stakes
        if not stakes.is_holdings_key(self._key):
            self._key, self._made = stakes.compute_holdings_key(), {}
        key = (owner, firm, frac, voting)
        post = self._made.get(key)
        if post is None:
            post = self._made[key] = (stakes.compute_with_stake(owner, firm, frac, voting)
                                      if frac > 0 else stakes)
        return post
