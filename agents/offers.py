"""Value types of bilateral bargaining (the mechanism lives in `agents.negotiation`).

Frozen, so a record of a negotiation can be kept and compared without fear of mutation
(negmas keeps its offer/response types beside its mechanism the same way).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Offer:
    """A proposal in round `round` (1-based): `proposer` keeps `share_to_proposer` of a pie of
    `pie_usd_b` (the proposer's own view of the pie, USD B); the responder gets the rest."""

    round: int
    proposer: str
    share_to_proposer: float
    pie_usd_b: float

    @property
    def claim_usd_b(self) -> float:
        """What the proposer claims in money: share_to_proposer x pie_usd_b, USD B."""
        return self.share_to_proposer * self.pie_usd_b


@dataclass(frozen=True, slots=True)
class Response:
    """A responder's answer: accept, or reject with an optional counter-offer."""

    accepted: bool
    counter: Offer | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The end of a negotiation.

    Attributes:
        agreed: True if an offer was accepted.
        rounds: rounds played (offers made); the accepted offer was made in this round.
        proposer_share: the first mover's fraction of the agreed pie (the accepted offer's
            `pie_usd_b`); 0.0 on impasse (each side keeps its outside option).
        responder_share: the other party's fraction; shares sum to 1 on agreement.
        offers: every offer made, in order.
    """

    agreed: bool
    rounds: int
    proposer_share: float
    responder_share: float
    offers: tuple[Offer, ...] = ()

    @property
    def agreed_offer(self) -> Offer | None:
        """The accepted offer, or None on impasse."""
        return self.offers[-1] if self.agreed and self.offers else None

    def compute_discounted_shares(
        self, delta_proposer: float, delta_responder: float
    ) -> tuple[float, float]:
        """Shares valued at round 1: each share x its owner's delta^(rounds - 1)."""
        lag = max(0, self.rounds - 1)
        return (
            self.proposer_share * delta_proposer**lag,
            self.responder_share * delta_responder**lag,
        )
