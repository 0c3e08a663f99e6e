"""Tests of `agents.offers`: the bargaining value types and their money arithmetic."""

from __future__ import annotations

import dataclasses

import pytest

from agents.offers import Offer, Outcome, Response


def test_claim_is_share_times_pie() -> None:
    """The proposer's claim is share x pie: 0.6 of a 50 USD B pie is 30 USD B."""
    assert Offer(1, "Nvidia", 0.6, 50.0).claim_usd_b == pytest.approx(30.0)


def test_value_types_are_frozen() -> None:
    """A record of a negotiation cannot be mutated after the fact."""
    offer = Offer(1, "Nvidia", 0.6, 50.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        offer.share_to_proposer = 0.9  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Response(accepted=True).accepted = False  # type: ignore[misc]


def test_agreed_offer_is_the_last_one_or_none_on_impasse() -> None:
    """On agreement the accepted offer is the last made; on impasse there is none."""
    offers = (Offer(1, "A", 0.7, 10.0), Offer(2, "B", 0.5, 10.0))
    assert Outcome(True, 2, 0.5, 0.5, offers).agreed_offer is offers[-1]
    assert Outcome(False, 2, 0.0, 0.0, offers).agreed_offer is None
    assert Outcome(True, 0, 0.5, 0.5, ()).agreed_offer is None


def test_discounted_shares_closed_form() -> None:
    """Agreement in round 3 is worth share x delta^2 at round 1 (Rubinstein 1982 discounting);
    agreement in round 1 is not discounted."""
    late = Outcome(True, 3, 0.6, 0.4)
    p, r = late.compute_discounted_shares(0.9, 0.8)
    assert p == pytest.approx(0.6 * 0.81)
    assert r == pytest.approx(0.4 * 0.64)
    assert Outcome(True, 1, 0.6, 0.4).compute_discounted_shares(0.5, 0.5) == (0.6, 0.4)


def test_delay_never_raises_discounted_value() -> None:
    """With deltas below 1, a later agreement on the same split is worth no more to either side."""
    early = Outcome(True, 1, 0.55, 0.45).compute_discounted_shares(0.95, 0.9)
    late = Outcome(True, 4, 0.55, 0.45).compute_discounted_shares(0.95, 0.9)
    assert late[0] < early[0] and late[1] < early[1]
