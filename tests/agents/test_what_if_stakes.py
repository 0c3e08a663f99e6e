"""The reviewer's what-if registries: the holdings after one more stake, kept while the
holdings are unchanged and never stale after a change."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from agents.what_if_stakes import WhatIfStakes
from world.stakes import StakeRegistry

FIRMS = ["N", "O", "M"]


def test_post_stakes_equal_a_fresh_what_if_and_follow_every_change() -> None:
    """The registry handed out has the holdings `compute_with_stake` gives; asked again with
    nothing changed it is the same object (built once); after a change of the holdings it is
    built again from the new holdings (the later grant shows in it); a zero stake is the
    registry itself."""
    stakes = StakeRegistry(FIRMS)
    what_if = WhatIfStakes(SimpleNamespace(stakes=stakes))
    first = what_if.compute_post_stakes("N", "O", 0.2, True)
    fresh = stakes.compute_with_stake("N", "O", 0.2, True)
    assert np.array_equal(first.owned, fresh.owned)
    assert np.array_equal(first.voting, fresh.voting)
    assert what_if.compute_post_stakes("N", "O", 0.2, True) is first
    assert first.compute_stake("N", "O") == 0.2 and stakes.compute_stake("N", "O") == 0.0
    stakes.update_grant("M", "O", 0.1, False)
    again = what_if.compute_post_stakes("N", "O", 0.2, True)
    assert again is not first
    assert np.array_equal(again.owned, stakes.compute_with_stake("N", "O", 0.2, True).owned)
    assert again.compute_stake("M", "O") > 0.0  # the new grant, diluted by the what-if's
    assert what_if.compute_post_stakes("N", "O", 0.0, True) is stakes
