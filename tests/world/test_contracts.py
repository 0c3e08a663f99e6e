"""Deal lifecycle: only allowed transitions happen, terminal states stay terminal.

The unit tests below drive `Deal` and `DealBook` by hand; `test_model_deals_follow_the_lifecycle`
checks the same rules on the deals a real run creates, so a model that moved deals around
`update_status`, or a recorder that lost their history, fails here too.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.figures.deals import parse_history
from experiments.scenario.loader import load_scenario
from world.contracts import SIGNED, TERMINAL, TRANSITIONS, Deal, DealBook, DealStatus, Tranche
from world.model import ComputeMarketModel
from world.params import DealKind

ALL = sorted(DealStatus)


def _deal(deal_id: str = "D-1", status: DealStatus = DealStatus.PROPOSED, **kw) -> Deal:
    return Deal(deal_id=deal_id, kind=DealKind.SUPPLY, source="Nvidia", target="OpenAI",
                status=status, **kw)


def test_terminal_set_is_the_documented_one() -> None:
    assert set(TERMINAL) == {DealStatus.COMPLETED, DealStatus.ABANDONED, DealStatus.BLOCKED,
                             DealStatus.DEFAULTED, DealStatus.RENEGOTIATED}
    assert set(TRANSITIONS) == set(DealStatus)


def test_happy_path_sets_signed_and_closed_steps() -> None:
    d = _deal(step_proposed=2)
    assert d.history == [(2, DealStatus.PROPOSED)]
    for step, status in ((3, DealStatus.LOI), (6, DealStatus.DEFINITIVE),
                         (7, DealStatus.UNDER_REVIEW), (8, DealStatus.ACTIVE),
                         (30, DealStatus.COMPLETED)):
        d.update_status(status, step)
    assert d.step_signed == 6
    assert d.step_closed == 30
    assert [s for _, s in d.history][-1] is DealStatus.COMPLETED
    assert len(d.history) == 6
    assert d.is_terminal and not d.is_live


def test_illegal_transition_raises() -> None:
    d = _deal()
    with pytest.raises(ValueError, match="cannot go from proposed to completed"):
        d.update_status(DealStatus.COMPLETED, 1)
    d.update_status(DealStatus.LOI, 1)
    with pytest.raises(ValueError, match="before the last change"):
        d.update_status(DealStatus.DEFINITIVE, 0)


def test_same_party_deal_rejected() -> None:
    with pytest.raises(ValueError):
        Deal(deal_id="x", kind=DealKind.EQUITY, source="AMD", target="AMD")


def test_created_signed_or_terminal_sets_steps() -> None:
    assert _deal(status=DealStatus.ACTIVE, step_proposed=4).step_signed == 4
    assert _deal(status=DealStatus.BLOCKED, step_proposed=5).step_closed == 5


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL), st.integers(0, 3)), max_size=25))
def test_random_walk_never_reaches_illegal_state(moves) -> None:
    d = _deal(tranches=[Tranche(1.0, 10.0)])
    step = 0
    for new, dt in moves:
        before = d.status
        step += dt
        if new in TRANSITIONS[before]:
            d.update_status(new, step)
            assert d.status is new
        else:
            with pytest.raises(ValueError):
                d.update_status(new, step)
            assert d.status is before
        # invariants after every move
        statuses = [s for _, s in d.history]
        for a, b in itertools.pairwise(statuses):
            assert b in TRANSITIONS[a]
        assert [t for t, _ in d.history] == sorted(t for t, _ in d.history)
        if before in TERMINAL:
            assert d.status is before
        assert (d.step_closed is not None) == d.is_terminal
        if d.step_signed is not None:
            assert DealStatus.DEFINITIVE in statuses or DealStatus.ACTIVE in statuses


def test_deal_book_order_ids_and_queries() -> None:
    book = DealBook()
    ids = [book.next_id("SUP") for _ in range(3)]
    assert ids == ["SUP-0001", "SUP-0002", "SUP-0003"]
    book.add(_deal("zeta", status=DealStatus.ACTIVE))
    book.add(_deal("SUP-0004", status=DealStatus.BLOCKED))
    book.add(_deal("alpha", status=DealStatus.LOI))
    assert book.next_id("SUP") == "SUP-0005"  # skips the used id
    assert [d.deal_id for d in book] == ["SUP-0004", "alpha", "zeta"]
    assert [d.deal_id for d in book.live()] == ["alpha", "zeta"]
    assert book.get("alpha").status is DealStatus.LOI
    with pytest.raises(ValueError):
        book.add(_deal("alpha"))
    with pytest.raises(KeyError):
        book.get("nope")
    assert "zeta" in book and len(book) == 3


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 50), st.integers(0, 50)),
                max_size=60))
def test_live_deals_stay_true_to_the_book(ops: list[tuple[int, int, int]]) -> None:
    """The book keeps its live deals between calls; after any mix of additions and status
    changes, `live()` equals a fresh scan of the book."""
    book = DealBook()
    kinds = sorted(DealKind)
    step = 0
    for op, a, b in ops:
        step += 1
        if op == 0 or len(book) == 0:  # add a deal in some status
            status = ALL[a % len(ALL)]
            kind = kinds[b % len(kinds)]
            book.add(Deal(deal_id=book.next_id("X"), kind=kind, source="Nvidia",
                          target="OpenAI", status=status, step_proposed=step))
        elif op == 1:  # move a deal along an allowed transition
            deal = list(book)[a % len(book)]
            allowed = sorted(TRANSITIONS[deal.status])
            if allowed:
                deal.update_status(allowed[b % len(allowed)], step)
        for kind in (None, *kinds):
            expected = [d for d in book if d.is_live and (kind is None or d.kind is kind)]
            assert book.live(kind) == expected


def test_model_deals_follow_the_lifecycle() -> None:
    """Every deal of a baseline run: its history is a chain of allowed transitions in time
    order, `step_signed` / `step_closed` are the steps it first reached a signed / terminal
    status, the book's live deals are exactly the non-terminal ones, and the `deals` table
    records the same history the deal holds."""
    model = ComputeMarketModel(load_scenario("baseline", steps=48), rng=3)
    model.run_steps()
    book: DealBook = model.deals
    assert len(book) > 5, "a baseline run strikes deals"
    reached_terminal = 0
    for deal in book:
        statuses = [st for _, st in deal.history]
        steps = [t for t, _ in deal.history]
        assert steps == sorted(steps), deal.deal_id
        for before, after in itertools.pairwise(statuses):
            assert after in TRANSITIONS[before], (deal.deal_id, before, after)
        assert deal.status is statuses[-1]
        signed = [t for t, st in deal.history if st in SIGNED]
        assert deal.step_signed == (signed[0] if signed else None), deal.deal_id
        terminal = [t for t, st in deal.history if st in TERMINAL]
        assert deal.step_closed == (terminal[0] if terminal else None), deal.deal_id
        assert len(terminal) <= 1 and (not terminal or statuses[-1] in TERMINAL)
        reached_terminal += bool(terminal)
    assert reached_terminal, "some deals of the baseline end (completed, renegotiated...)"
    assert book.live() == [d for d in book if d.status not in TERMINAL]
    table = model.compute_tables()["deals"]
    assert sorted(table["deal_id"]) == sorted(d.deal_id for d in book)
    for i, deal_id in enumerate(table["deal_id"]):
        row = {key: column[i] for key, column in table.items()}
        deal = book.get(deal_id)
        assert parse_history(row["history"]) == [(t, st.value) for t, st in deal.history]
        assert row["status"] == deal.status.value


def test_a_lease_charges_only_the_months_of_its_term_inside_the_window() -> None:
    """$12B per GW-year on 2 GW is $2B a month. A term of months 6-29 meets the window
    0-12 in months 6-11 (6 months, $12B), the window 20-40 in months 20-29 (10, $20B), and a
    window after the term not at all."""
    deal = Deal(deal_id="C1", kind=DealKind.CLOUD_CAPACITY, source="Oracle", target="OpenAI",
                status=DealStatus.ACTIVE, gw=2.0, price_usd_b_per_gw=12.0, start_step=6,
                duration_months=24)
    assert deal.compute_lease_usd_b(0, 12) == pytest.approx(12.0)
    assert deal.compute_lease_usd_b(20, 40) == pytest.approx(20.0)
    assert deal.compute_lease_usd_b(30, 42) == 0.0


def test_constructor_follows_the_declared_fields() -> None:
    """`Deal.__init__` is written out by hand: every field not given takes the default the
    dataclass declares (a fresh list for `tranches`; `history` starts with the initial
    status), and every field given is stored as given (a kind or status by name becomes
    the enum member)."""
    import dataclasses

    d = Deal("D-9", "supply", "AMD", "OpenAI")
    assert d.kind is DealKind.SUPPLY and d.status is DealStatus.PROPOSED
    for f in dataclasses.fields(Deal):
        if f.name in ("deal_id", "kind", "source", "target", "history"):
            continue
        want = f.default_factory() if f.default is dataclasses.MISSING else f.default
        assert getattr(d, f.name) == want, f.name
    assert d.history == [(0, DealStatus.PROPOSED)]
    assert Deal("D-8", DealKind.SUPPLY, "AMD", "Oracle").tranches is not d.tranches
    given = {"status": DealStatus.LOI, "step_proposed": 3, "step_signed": None,
             "step_closed": None, "value_usd_b": 1.5, "gw": 2.5, "price_usd_b_per_gw": 0.6,
             "duration_months": 12, "start_step": 4, "equity_pct": 2.0, "voting": False,
             "exclusive": True, "binding": True, "valuation_usd_b": 300.0,
             "tranches": [Tranche(1.0, 0.5)], "parent_id": "P", "origin": "event",
             "surplus_usd_b": 1.0, "disagreement_source_usd_b": 0.2,
             "disagreement_target_usd_b": 0.3, "history": [(1, DealStatus.PROPOSED)]}
    e = Deal("D-7", DealKind.EQUITY, "Nvidia", "OpenAI", **given)
    assert {name: getattr(e, name) for name in given} == given
    assert {f.name for f in dataclasses.fields(Deal)} == {
        "deal_id", "kind", "source", "target", *given}


def test_a_new_deal_counts_as_a_change() -> None:
    """Lists kept while no status or delivery term changes (`Deal.changes`,
    `Deal.term_changes`) must see a new deal."""
    before = (Deal.changes, Deal.term_changes)
    _deal("D-6")
    assert Deal.changes != before[0] and Deal.term_changes != before[1]


def test_deal_init_matches_the_declared_fields() -> None:
    """`Deal.__init__` is written out by hand (one write per field), so its parameters repeat
    the field declarations: the same names in the same order, the same defaults (a field
    with a default factory: None, then a new empty list), and every field set on a new deal."""
    import dataclasses
    import inspect

    fields = dataclasses.fields(Deal)
    params = list(inspect.signature(Deal.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    for f, p in zip(fields, params, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is None, f.name
        else:
            assert p.default is inspect.Parameter.empty, f.name
    deal = Deal("D-1", "supply", "Nvidia", "OpenAI")
    assert all(hasattr(deal, f.name) for f in fields)
    assert deal.tranches == [] and deal.history == [(0, deal.status)]
    assert Deal("D-2", "supply", "Nvidia", "OpenAI").tranches is not deal.tranches
