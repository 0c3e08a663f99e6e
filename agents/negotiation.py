"""Bilateral bargaining used by every agent: alternating offers, Nash bargaining, prices.

Alternating offers (Rubinstein 1982, "Perfect equilibrium in a bargaining model",
Econometrica 50(1)): with discount factors d_p (proposer) and d_r (responder) the stationary
subgame-perfect split gives the proposer (1 - d_r) / (1 - d_p d_r) of the pie, at once. Outside
options enter as disagreement payoffs (Binmore, Rubinstein and Wolinsky 1986): each side first
gets its outside option and the net pie (pie - both outside options) is split as above.

Private views. Each party sees the pie with its own error, so the same stationary strategy
played on different views produces real rejections and counter-offers:

- propose: keep `outside + r x net` of one's own view of the pie (r = Rubinstein share), and
  break off if one's net view is <= 0. The offer states that claim as a share of one's view.
- respond: the proposer's claim is a sum of money; the responder is residual claimant and
  values the offer at `own view - claim`. It accepts iff that is >= what countering is worth
  next round, `outside + delta x r' x own net view` (r' its own proposer share); it always
  rejects if its net view is <= 0. On rejection its view moves halfway toward the proposer's
  stated pie (the view the offer reveals), then it counters.

With identical views the first offer is accepted and the split is exactly Rubinstein's.

Time. A round of offers takes `ROUND_MONTHS` of a month (a week), so a firm's monthly discount
factor d gives a per-round factor d^ROUND_MONTHS. Bargaining weights (w_s, w_b) scale each
side's impatience: per round d_i^(ROUND_MONTHS x (w_s + w_b) / (2 w_i)). As the round length
shrinks the Rubinstein split tends to the Nash split with weights w_i / r_i, r_i = -ln d_i
(Binmore, Rubinstein and Wolinsky 1986, RAND J. Econ. 17(2)): equal monthly patience gives
the Nash split of `world.bargaining` with weights (w_s, w_b), to within about r x ROUND_MONTHS
/ 4 of the pie. `negotiate_link` bargains over a link's Nash-in-Nash pie this way.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from agents.offers import Offer, Outcome, Response
from world.bargaining import LinkTerms

ROUND_MONTHS = 0.25
"""Time one round of offers and counter-offers takes, months (a week)."""

ACCEPT_RTOL = 1e-9
"""Rounding tolerance of the acceptance test, relative to the pie (offers exactly at the
threshold are accepted, as in the SPE)."""


def _check_delta(delta: float, name: str) -> None:
    if not 0.0 <= delta < 1.0:
        raise ValueError(f"{name} must be a discount factor in [0, 1), got {delta!r}")


def rubinstein_share(delta_proposer: float, delta_responder: float) -> float:
    """Proposer's SPE share of the pie, (1 - d_r) / (1 - d_p d_r) (Rubinstein 1982).

    Discount factors are per bargaining round, each in [0, 1).
    """
    _check_delta(delta_proposer, "delta_proposer")
    _check_delta(delta_responder, "delta_responder")
    return (1.0 - delta_responder) / (1.0 - delta_proposer * delta_responder)


class AlternatingOffers:
    """Alternating-offers mechanism between parties `a` (first mover) and `b`.

    Args:
        names: labels of (a, b) written into the offers.
    """

    def __init__(self, names: tuple[str, str] = ("a", "b")) -> None:
        self.names = names

    @staticmethod
    def propose(
        round_: int,
        proposer: str,
        view_usd_b: float,
        outside_self_usd_b: float,
        outside_other_usd_b: float,
        delta_self: float,
        delta_other: float,
    ) -> Offer | None:
        """The stationary SPE offer on the proposer's own view, or None to break off.

        Claim = outside_self + r x (view - outside_self - outside_other), r =
        `rubinstein_share(delta_self, delta_other)`; offered as a share of `view_usd_b`.
        """
        net = view_usd_b - outside_self_usd_b - outside_other_usd_b
        if net <= 0.0:
            return None
        claim = outside_self_usd_b + rubinstein_share(delta_self, delta_other) * net
        return Offer(round_, proposer, min(1.0, claim / view_usd_b), view_usd_b)

    @staticmethod
    def respond(
        offer: Offer,
        responder: str,
        view_usd_b: float,
        outside_self_usd_b: float,
        outside_other_usd_b: float,
        delta_self: float,
        delta_other: float,
    ) -> Response:
        """Accept if the offer is worth at least countering next round; else counter.

        Value of the offer = own view - proposer's claim. Threshold = outside_self +
        delta_self x rubinstein_share(delta_self, delta_other) x own net view. The counter is
        made on the view moved halfway toward `offer.pie_usd_b`; it is None if the responder
        then breaks off (net view <= 0).
        """
        net = view_usd_b - outside_self_usd_b - outside_other_usd_b
        value = view_usd_b - offer.claim_usd_b
        threshold = (
            outside_self_usd_b + delta_self * rubinstein_share(delta_self, delta_other) * net
        )
        tol = ACCEPT_RTOL * max(1.0, abs(view_usd_b), abs(offer.pie_usd_b))
        if net > 0.0 and value >= threshold - tol:
            return Response(True, None)
        moved = 0.5 * (view_usd_b + offer.pie_usd_b)
        counter = AlternatingOffers.propose(
            offer.round + 1,
            responder,
            moved,
            outside_self_usd_b,
            outside_other_usd_b,
            delta_self,
            delta_other,
        )
        return Response(False, counter)

    def run(
        self,
        pie_view_a: float,
        pie_view_b: float,
        outside_a: float,
        outside_b: float,
        delta_a: float,
        delta_b: float,
        max_rounds: int,
    ) -> Outcome:
        """Bargain for at most `max_rounds` rounds, `a` proposing in odd rounds.

        Args:
            pie_view_a, pie_view_b: each side's view of the pie (gross surplus), USD B.
            outside_a, outside_b: outside options (payoff without a deal), USD B, >= 0.
            delta_a, delta_b: per-round discount factors in [0, 1) (patience, urgency).
            max_rounds: rounds before an impasse.

        Returns:
            `Outcome` with a's (first mover's) and b's shares of the accepted offer's pie.
        """
        for value, name in (
            (pie_view_a, "pie_view_a"),
            (pie_view_b, "pie_view_b"),
            (outside_a, "outside_a"),
            (outside_b, "outside_b"),
        ):
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        if outside_a < 0.0 or outside_b < 0.0:
            raise ValueError("outside options must be >= 0 (a payoff without the deal)")
        if max_rounds < 1:
            raise ValueError(f"max_rounds must be >= 1, got {max_rounds}")
        _check_delta(delta_a, "delta_a")
        _check_delta(delta_b, "delta_b")
        views = [float(pie_view_a), float(pie_view_b)]
        outs = (float(outside_a), float(outside_b))
        deltas = (float(delta_a), float(delta_b))
        offer = self.propose(1, self.names[0], views[0], outs[0], outs[1], deltas[0], deltas[1])
        offers: list[Offer] = []
        p = 0
        while offer is not None:
            offers.append(offer)
            r = 1 - p
            resp = self.respond(
                offer, self.names[r], views[r], outs[r], outs[p], deltas[r], deltas[p]
            )
            if resp.accepted:
                share_p = offer.share_to_proposer
                share_a = share_p if p == 0 else 1.0 - share_p
                return Outcome(True, offer.round, share_a, 1.0 - share_a, tuple(offers))
            views[r] = 0.5 * (views[r] + offer.pie_usd_b)
            if offer.round >= max_rounds:
                break
            offer, p = resp.counter, r
        return Outcome(False, len(offers), 0.0, 0.0, tuple(offers))


def nash_bargain(
    surplus_usd_b: float, weights: tuple[float, float], disagreement_usd_b: tuple[float, float]
) -> tuple[float, float]:
    """Generalised Nash bargaining split of `surplus_usd_b` between (seller, buyer).

    Maximises (x_s - d_s)^w_s (x_b - d_b)^w_b subject to x_s + x_b = S numerically (log Nash
    product, bounded scalar search over the net-surplus fraction of the lower-weight side). The
    closed form it must reproduce is x_s = d_s + w_s / (w_s + w_b) (S - d_s - d_b) (Nash 1950;
    Binmore, Rubinstein and Wolinsky 1986). If S <= d_s + d_b there is no gain from trade and
    the disagreement point is returned.
    """
    w_s, w_b = (float(w) for w in weights)
    d_s, d_b = (float(d) for d in disagreement_usd_b)
    if not (w_s > 0.0 and w_b > 0.0 and math.isfinite(w_s) and math.isfinite(w_b)):
        raise ValueError(f"bargaining weights must be finite and > 0, got {weights!r}")
    net = float(surplus_usd_b) - d_s - d_b
    if not math.isfinite(net):
        raise ValueError("surplus and disagreement payoffs must be finite")
    if net <= 0.0:
        return d_s, d_b

    # search over the fraction u of the side with the smaller weight (u <= 1/2), so that the
    # search's relative tolerance (~1e-8 x u) also bounds the error of the smaller payoff
    w_small, w_large = (w_b, w_s) if w_b <= w_s else (w_s, w_b)

    def neg_log_product(u: float) -> float:
        u = min(max(u, 1e-300), 1.0 - 1e-16)
        return -(w_small * math.log(u) + w_large * math.log1p(-u))

    res = minimize_scalar(
        neg_log_product,
        bounds=(0.0, 1.0),
        method="bounded",
        options={"xatol": 1e-14, "maxiter": 1000},
    )
    small = float(res.x) * net
    if w_b <= w_s:
        return d_s + (net - small), d_b + small
    return d_s + small, d_b + (net - small)


def compute_round_discount(monthly_discount: float, weight: float, weight_other: float) -> float:
    """Per-round discount factor: monthly^(ROUND_MONTHS x (w + w_other) / (2 w)).

    A higher bargaining weight is more patience per round (module docstring, BRW 1986).
    """
    if not 0.0 < monthly_discount < 1.0:
        raise ValueError(f"monthly discount factor must be in (0, 1), got {monthly_discount!r}")
    if not (weight > 0.0 and weight_other > 0.0):
        raise ValueError("bargaining weights must be > 0")
    return monthly_discount ** (ROUND_MONTHS * (weight + weight_other) / (2.0 * weight))


def negotiate_link(
    terms: LinkTerms,
    rng: np.random.Generator,
    noise_sd: float,
    monthly_discounts: tuple[float, float],
    weights: tuple[float, float],
    max_rounds: int,
    seller_first: bool = True,
) -> tuple[bool, float, int, Outcome]:
    """Bargain a link's price by alternating offers over its Nash-in-Nash pie.

    The pie is S + o_s + o_b (`LinkTerms.pie_usd_b`: the gains of trading the link's GW
    against not trading them), the outside options are o_s and o_b (what each side's
    alternative is worth, from re-solving the market without the link). Each side sees the pie
    with its own error e ~ Normal(0, noise_sd), drawn seller first then buyer (always both).
    Per-round discount factors: `compute_round_discount` of each side's monthly factor and
    weight. The accepted claim c of the proposer fixes the price from the proposer's own
    reservation: r_s + (c - o_s) / gw if the seller proposed, r_b - (c - o_b) / gw if the
    buyer did; the price stays within [r_s, r_b].

    Returns:
        (agreed, price in USD B per GW (nan on impasse), rounds played, Outcome).
    """
    if noise_sd < 0.0:
        raise ValueError(f"noise_sd must be >= 0, got {noise_sd!r}")
    e_s, e_b = (float(e) for e in rng.normal(0.0, noise_sd, size=2))
    if terms.surplus_usd_b <= 0.0:
        return False, math.nan, 0, Outcome(False, 0, 0.0, 0.0, ())
    w_s, w_b = weights
    d_s = compute_round_discount(monthly_discounts[0], w_s, w_b)
    d_b = compute_round_discount(monthly_discounts[1], w_b, w_s)
    pie = terms.pie_usd_b
    o_s, o_b = terms.outside_source_usd_b, terms.outside_target_usd_b
    view_s, view_b = pie * (1.0 + e_s), pie * (1.0 + e_b)
    if seller_first:
        out = AlternatingOffers(("seller", "buyer")).run(
            view_s, view_b, o_s, o_b, d_s, d_b, max_rounds)
    else:
        out = AlternatingOffers(("buyer", "seller")).run(
            view_b, view_s, o_b, o_s, d_b, d_s, max_rounds)
    offer = out.agreed_offer
    if offer is None:
        return False, math.nan, out.rounds, out
    low = terms.seller_reservation_usd_b_per_gw
    high = terms.buyer_reservation_usd_b_per_gw
    if offer.proposer == "seller":
        price = low + (offer.claim_usd_b - o_s) / terms.gw
    else:
        price = high - (offer.claim_usd_b - o_b) / terms.gw
    return True, float(min(max(price, low), high)), out.rounds, out
