"""Tests of `agents.dealmaking`: the lab's search order over partners and the collection of
strategic offers for a funding round (the 80 % cap, the equity cap, stalled letters of intent).

The Nash-in-Nash terms and the alternating-offers negotiation are tested in their own modules
(`test_contracting`, `test_negotiation`); here they are replaced by stand-ins so the test checks
this module's own rules.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agents import contracting, dealmaking
from world.contracts import DealStatus
from world.decisions import EndDeal, OpenDeal
from world.params import DealKind
from world.view import MarketView


def _search_lab() -> SimpleNamespace:
    firms = {n: SimpleNamespace(name=n) for n in ("Amazon", "Oracle", "Nvidia", "AMD")}
    view = SimpleNamespace(
        clouds=[firms["Amazon"], firms["Oracle"]],
        vendors=[firms["Nvidia"], firms["AMD"]],
        firms=firms,
    )
    return SimpleNamespace(view=view, desk=object(), generator=None)


def test_seek_compute_tries_partners_best_rank_first_and_stops_at_agreement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Partners are tried by rank (highest first; ties by name); an impasse moves the lab to
    the next; the first agreement ends the search. Leases run CONTRACT_MONTHS, chip supply
    SUPPLY_MONTHS. The deal is struck through the lab's own desk."""
    ranks = {"Amazon": 1.0, "Oracle": 3.0, "Nvidia": 2.0, "AMD": 3.0}
    lab = _search_lab()

    def candidates(view, lab, gw, names, kind):
        return [(n, ranks[n], f"terms-{n}") for n in names]

    tried: list[tuple[str, DealKind, int]] = []

    def strike(view, desk, seller, buyer, kind, terms, *, seller_first, months, start_in, rng):
        tried.append((seller.name, kind, months))
        assert seller_first is False and terms == f"terms-{seller.name}"
        assert view is lab.view and desk is lab.desk and buyer is lab
        return "deal" if seller.name == "Nvidia" else None

    monkeypatch.setattr(contracting, "compute_candidates", candidates)
    monkeypatch.setattr(contracting, "strike", strike)
    assert dealmaking.seek_compute(lab, 1.0) == "deal"
    assert [t[0] for t in tried] == ["AMD", "Oracle", "Nvidia"]
    assert tried[1] == ("Oracle", DealKind.CLOUD_CAPACITY, contracting.CONTRACT_MONTHS)
    assert tried[2] == ("Nvidia", DealKind.SUPPLY, contracting.SUPPLY_MONTHS)


def test_seek_compute_returns_none_when_every_partner_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An impasse with every partner leaves the lab without a deal."""
    monkeypatch.setattr(contracting, "compute_candidates",
                        lambda view, lab, gw, names, kind: [(n, 1.0, None) for n in names])
    monkeypatch.setattr(contracting, "strike", lambda *a, **k: None)
    assert dealmaking.seek_compute(_search_lab(), 1.0) is None


class _Investor:
    def __init__(self, name: str, offer: float, offer_at_zero_hurdle: float | None = None):
        self.name, self.offer = name, offer
        self.at_zero = offer if offer_at_zero_hurdle is None else offer_at_zero_hurdle

    def compute_financing_offer(self, lab, size, hurdle=None) -> float:
        return self.at_zero if hurdle == 0.0 else self.offer


class _Desk:
    """Records the decisions submitted (who, what) instead of applying them."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str | None, object]] = []

    def submit(self, decision: object, by: str | None) -> None:
        self.submitted.append((by, decision))

    def opened(self) -> list[OpenDeal]:
        return [d for _, d in self.submitted if isinstance(d, OpenDeal)]


def _round_lab(investors: list[_Investor], deals=(), cap: float = 1.0) -> SimpleNamespace:
    """A lab whose view is a real `MarketView` over a stand-in model (the equity cap is the
    view's rule: allowed fraction `cap` of post-money, no stake held yet)."""
    firms = {i.name: i for i in investors}
    firms["OpenAI"] = _Investor("OpenAI", 0.0)
    model = SimpleNamespace(
        t=5,
        p=SimpleNamespace(negotiation=SimpleNamespace(restructure_frac=0.3)),
        deals=SimpleNamespace(live=lambda: list(deals)),
        firms=firms,
        policy=SimpleNamespace(compute_allowed_fraction=lambda current: cap),
        stakes=SimpleNamespace(compute_stake=lambda owner, firm: 0.0),
        view=SimpleNamespace(compute_capped_amount_usd_b=lambda owner, firm, amount, post: (
            min(amount, cap * post) if amount > 0 and post > 0 else 0.0)),
    )
    return SimpleNamespace(name="OpenAI", view=MarketView(model), desk=_Desk())


def test_round_offers_under_the_cap_are_taken_whole() -> None:
    """Offers summing to less than 80 % of the round stand; each becomes a definitive, binding
    equity deal at the round's post-money with equity_pct = 100 x amount / post, opened by the
    lab at its desk."""
    lab = _round_lab([_Investor("Nvidia", 10.0), _Investor("Amazon", 5.0)])
    offers = dealmaking.collect_round_offers(lab, 40.0, 500.0)
    assert offers == {"Nvidia": 10.0, "Amazon": 5.0}
    booked = lab.desk.opened()
    assert [(d.source, d.terms["value_usd_b"], d.terms["equity_pct"]) for d in booked] == [
        ("Amazon", 5.0, pytest.approx(1.0)), ("Nvidia", 10.0, pytest.approx(2.0))]
    assert all(d.kind is DealKind.EQUITY and d.target == "OpenAI" for d in booked)
    assert all(d.status is DealStatus.DEFINITIVE and d.terms["binding"] for d in booked)
    assert {by for by, _ in lab.desk.submitted} == {"OpenAI"}


def test_strategic_money_is_scaled_down_to_80_percent_of_the_round() -> None:
    """30 + 10 = 40 offered for a 40 round: scaled pro rata to 0.8 x 40 = 32 (24 and 8)."""
    lab = _round_lab([_Investor("Nvidia", 30.0), _Investor("Amazon", 10.0)])
    offers = dealmaking.collect_round_offers(lab, 40.0, 500.0)
    assert offers["Nvidia"] == pytest.approx(24.0)
    assert offers["Amazon"] == pytest.approx(8.0)
    assert sum(offers.values()) == pytest.approx(32.0)


def test_equity_cap_trims_each_offer() -> None:
    """With a cap allowing 1 % of post-money (5 of 500), a 10 offer is trimmed to 5; with a
    cap allowing nothing the offer disappears and no deal is opened."""
    lab = _round_lab([_Investor("Nvidia", 10.0)], cap=0.01)
    assert dealmaking.collect_round_offers(lab, 40.0, 500.0) == {"Nvidia": pytest.approx(5.0)}
    lab = _round_lab([_Investor("Nvidia", 10.0)], cap=0.0)
    assert dealmaking.collect_round_offers(lab, 40.0, 500.0) == {}
    assert lab.desk.submitted == []


def test_stalled_letter_of_intent_converts_at_the_restructure_fraction() -> None:
    """A stalled equity LOI of 100 whose investor still sees the investment pay (hurdle 0)
    becomes a stake of restructure_frac x 100 = 30 in the round (facts: $100B plan -> ~$30B);
    the lab ends the LOI as renegotiated, and it is the new deal's parent."""
    loi = SimpleNamespace(deal_id="D1", kind=DealKind.EQUITY, target="OpenAI",
                          status=DealStatus.STALLED, source="Nvidia", value_usd_b=100.0)
    lab = _round_lab([_Investor("Nvidia", 0.0, offer_at_zero_hurdle=1.0)], deals=[loi])
    offers = dealmaking.collect_round_offers(lab, 100.0, 800.0)
    assert offers == {"Nvidia": pytest.approx(30.0)}
    assert lab.desk.submitted[0] == ("OpenAI", EndDeal("D1", DealStatus.RENEGOTIATED))
    assert lab.desk.opened()[0].terms["parent_id"] == "D1"
