"""Ledger: money is conserved and every flow moves exactly its amount."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.ledger import FlowKind, Ledger

ACCOUNTS = ["AMD", "Customers", "Investors", "Nvidia", "OpenAI"]


def test_transfer_moves_amount_and_is_recorded() -> None:
    led = Ledger(ACCOUNTS)
    led.transfer(0, "Investors", "OpenAI", 40.0, FlowKind.INITIAL)
    led.transfer(3, "OpenAI", "Nvidia", 10.0, FlowKind.CHIP_PAYMENT, "D1")
    led.transfer(4, "Nvidia", "OpenAI", 10.0, FlowKind.EQUITY_INVESTMENT, "D1")
    led.transfer(5, "OpenAI", "Nvidia", 5.0, FlowKind.CHIP_PAYMENT, "D1")
    assert led.balance("OpenAI") == 35.0
    assert led.balance("Nvidia") == 5.0
    assert led.balance("Investors") == -40.0
    assert led.total() == 0.0
    assert led.compute_cumulative("OpenAI", "Nvidia") == 15.0
    assert led.compute_cumulative("OpenAI", "Nvidia", FlowKind.CHIP_PAYMENT) == 15.0
    assert led.compute_cumulative("OpenAI", "Nvidia", FlowKind.OPEX) == 0.0
    assert led.compute_pair_totals([FlowKind.CHIP_PAYMENT]) == {("OpenAI", "Nvidia"): 15.0}
    cols = led.flows_columns()
    assert set(cols) == {"step", "source", "target", "kind", "amount_usd_b", "deal_id"}
    assert cols["step"] == [0, 3, 4, 5]
    assert cols["kind"][1] == "chip_payment"
    assert cols["deal_id"] == ["", "D1", "D1", "D1"]
    assert len(led) == 4


@pytest.mark.parametrize(
    ("source", "target", "amount"),
    [("AMD", "AMD", 1.0), ("AMD", "Nobody", 1.0), ("AMD", "Nvidia", 0.0),
     ("AMD", "Nvidia", -2.0), ("AMD", "Nvidia", math.nan), ("AMD", "Nvidia", math.inf)],
)
def test_bad_transfers_raise_and_change_nothing(source, target, amount) -> None:
    led = Ledger(ACCOUNTS)
    with pytest.raises(ValueError):
        led.transfer(0, source, target, amount, FlowKind.OPEX)
    assert len(led) == 0 and all(led.balance(a) == 0.0 for a in ACCOUNTS)


def test_duplicate_accounts_rejected() -> None:
    with pytest.raises(ValueError):
        Ledger(["A", "A"])


flows = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
              st.floats(min_value=1e-6, max_value=1e3, allow_nan=False),
              st.sampled_from(sorted(FlowKind))),
    max_size=60,
)


@settings(max_examples=80, deadline=None)
@given(flows)
def test_any_transfers_conserve_money(moves) -> None:
    led = Ledger(ACCOUNTS)
    gross = 0.0
    for k, (src, tgt, amount, kind) in enumerate(moves):
        if src == tgt:
            continue
        before_src, before_tgt = led.balance(src), led.balance(tgt)
        led.transfer(k, src, tgt, amount, kind)
        gross += amount
        assert led.balance(src) == pytest.approx(before_src - amount, abs=1e-9)
        assert led.balance(tgt) == pytest.approx(before_tgt + amount, abs=1e-9)
        assert abs(led.total()) <= 1e-12 * max(1.0, gross) * len(ACCOUNTS)
    cols = led.flows_columns()
    # each account's balance = inflows - outflows as recorded
    for a in ACCOUNTS:
        inflow = math.fsum(x for x, t in zip(cols["amount_usd_b"], cols["target"], strict=True)
                           if t == a)
        outflow = math.fsum(x for x, s in zip(cols["amount_usd_b"], cols["source"], strict=True)
                            if s == a)
        assert led.balance(a) == pytest.approx(inflow - outflow, abs=1e-9)
    for a in ACCOUNTS:
        for b in ACCOUNTS:
            direct = math.fsum(
                x for x, s, t in zip(cols["amount_usd_b"], cols["source"], cols["target"],
                                     strict=True) if s == a and t == b)
            assert led.compute_cumulative(a, b) == pytest.approx(direct, abs=1e-9)


_KINDS = [FlowKind.OPEX, FlowKind.CLOUD_PAYMENT, FlowKind.CHIP_PAYMENT]
_MOVES = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.sampled_from(ACCOUNTS),
        st.floats(1e-6, 1e3, allow_nan=False),
        st.sampled_from(_KINDS),
    ),
    max_size=40,
)
"""Sequences of transfers (source, target, amount USD B, kind); a move to itself is skipped."""


@given(_MOVES)
@settings(max_examples=60, deadline=None)
def test_paid_by_kind_is_the_pair_totals_added_in_key_order(moves) -> None:
    """`compute_paid_usd_b` (kept payee lists) must give the very float of adding up a fresh
    `compute_pair_totals((kind,))` over the payer's pairs in key order, after any transfers:
    the valuation's trailing costs read it and must not move a last bit."""
    led = Ledger(ACCOUNTS)
    for step, (src, tgt, amount, kind) in enumerate(moves):
        if src != tgt:
            led.transfer(step, src, tgt, amount, kind)
        for k in _KINDS:
            want: dict[str, float] = {}
            for (payer, _payee), paid in led.compute_pair_totals((k,)).items():
                want[payer] = want.get(payer, 0.0) + paid
            for account in ACCOUNTS:
                assert led.compute_paid_usd_b(account, k) == want.get(account, 0.0)


def test_flows_store_plain_kind_strings_and_integer_steps() -> None:
    """The flows table holds each kind as its plain string (not the enum member) and each
    step as a Python int, whatever integer type the caller passed, whether the kind was given
    as a member or as its string."""
    import numpy as np

    led = Ledger(ACCOUNTS)
    led.transfer(np.int64(2), "Investors", "OpenAI", 1.0, FlowKind.FUNDING_ROUND)
    led.transfer(3, "OpenAI", "Nvidia", 0.5, "chip_payment")
    cols = led.flows_columns()
    assert cols["kind"] == ["funding_round", "chip_payment"]
    assert all(type(k) is str for k in cols["kind"])
    assert cols["step"] == [2, 3] and all(type(s) is int for s in cols["step"])


@given(_MOVES)
@settings(max_examples=60, deadline=None)
def test_payees_are_the_accounts_paid_something_of_a_kind(moves) -> None:
    """`compute_payees(source, kind)` must be exactly the accounts `source` has paid a positive
    amount of `kind`, sorted, after any transfers (readers skip every other account as
    adding nothing, so a missing payee would drop money)."""
    led = Ledger(ACCOUNTS)
    for step, (src, tgt, amount, kind) in enumerate(moves):
        if src != tgt:
            led.transfer(step, src, tgt, amount, kind)
        for k in _KINDS:
            for account in ACCOUNTS:
                want = sorted(b for b in ACCOUNTS if led.compute_cumulative(account, b, k) > 0)
                assert list(led.compute_payees(account, k)) == want


@given(_MOVES)
@settings(max_examples=60, deadline=None)
def test_all_kinds_totals_are_running_sums_in_booking_order(moves) -> None:
    """A pair's total over all kinds (added up from the flows when asked) must be the very
    float of a running total kept transfer by transfer, and the payers behind
    `compute_received_usd_b` every account that ever paid: the totals are not kept per
    transfer any more, so this pins that nothing moved."""
    led = Ledger(ACCOUNTS)
    running: dict[tuple[str, str], float] = {}
    for step, (src, tgt, amount, kind) in enumerate(moves):
        if src == tgt:
            continue
        led.transfer(step, src, tgt, amount, kind)
        running[(src, tgt)] = running[(src, tgt)] + amount if (src, tgt) in running else amount
    assert led.compute_pair_totals() == dict(sorted(running.items()))
    for a in ACCOUNTS:
        for b in ACCOUNTS:
            assert led.compute_cumulative(a, b) == running.get((a, b), 0.0)
        want = sum([led.compute_cumulative(p, a, k) for p in ACCOUNTS for k in _KINDS])
        assert led.compute_received_usd_b(a, _KINDS) == want
