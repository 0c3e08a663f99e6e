"""Columns the recorder computes at the end of a run from what it kept each month: each must
be the float the month-by-month rule gives when evaluated in that month (the same
operations in the same order, so equality is exact, not approximate)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.scenario.loader import load_scenario
from world.chip_market import Delivery
from world.market_power import (
    FRINGE_BUYERS,
    POWER_COLUMNS,
    StakeLinks,
    compute_accelerator_power,
    compute_accelerator_power_path,
    compute_tied_deliveries,
)
from world.model import ComputeMarketModel
from world.params import MARKETS
from world.screens import compute_firms_mhhi, compute_firms_mhhi_path
from world.stakes import CONTROL_STAKE, StakeRegistry

FIRMS = ["N", "O", "M"]


def _run_checking_each_month(name: str, steps: int) -> None:
    """Run `name` and, after every month, evaluate the month-by-month rules on the live model
    (market MHHI through the regulator, the accelerators' market power); the final tables must
    hold exactly those values."""
    model = ComputeMarketModel(load_scenario(name, steps=steps))
    links, cum, want_mhhi, want_power = StakeLinks(model), 0.0, [], []
    for _ in range(steps):
        model.step()
        for market in MARKETS:
            shares = model.view.compute_shares(market)
            hhi = model.view.compute_hhi(market, shares)
            want_mhhi.append(model.regulator.compute_market_mhhi(market, shares, hhi))
        power = compute_accelerator_power(model, cum, links)
        cum = power["fringe_cum_gw"]
        want_power.append([power[k] for k in POWER_COLUMNS])
    markets = model.compute_tables()["markets"]
    assert markets["mhhi"] == want_mhhi
    accel = [k for k, m in enumerate(markets["market"]) if m == "accelerators"]
    got = [[markets[c][k] for c in POWER_COLUMNS] for k in accel]
    assert got == want_power


def test_end_of_run_mhhi_and_power_equal_the_monthly_rules_baseline() -> None:
    """Baseline: the holdings change many times (rounds dilute, warrants vest)."""
    _run_checking_each_month("baseline", 40)


def test_end_of_run_mhhi_and_power_equal_the_monthly_rules_divestiture() -> None:
    """A divestiture order removes a stake mid-run: the months after it read the holdings
    without it, the months before with it."""
    _run_checking_each_month("what_if/microsoft_divests_2026", 30)


def test_registry_version_moves_with_every_change_and_snapshots_stay() -> None:
    """Every change of the holdings bumps `version`; a snapshot keeps the holdings it saw."""
    stakes = StakeRegistry(FIRMS)
    snap = stakes.compute_snapshot()
    versions = [stakes.version]
    stakes.update_grant("N", "O", 0.2, True)
    versions.append(stakes.version)
    stakes.update_dilute("O", 0.1)
    versions.append(stakes.version)
    stakes.update_set("M", "N", 0.3, False)
    versions.append(stakes.version)
    stakes.update_divest("N", "O")
    versions.append(stakes.version)
    assert versions == sorted(set(versions))  # strictly increasing
    assert snap.compute_stake("N", "O") == 0.0 and snap.compute_stake("M", "N") == 0.0
    assert snap.compute_ownership_control()[0][0, 0] == 1.0


def test_holdings_key_names_these_holdings_only() -> None:
    """`is_holdings_key` holds for the key just taken and fails after any change through the
    update methods, after arrays are assigned past them, for another registry sharing the
    same arrays (a snapshot), and for no key at all: values kept under it are dropped."""
    stakes = StakeRegistry(FIRMS)
    assert not stakes.is_holdings_key(())
    key = stakes.compute_holdings_key()
    assert stakes.is_holdings_key(key)
    assert not stakes.compute_snapshot().is_holdings_key(key)
    stakes.update_grant("N", "O", 0.2, True)
    assert not stakes.is_holdings_key(key)
    key = stakes.compute_holdings_key()
    stakes.owned = stakes.owned.copy()  # past the update methods: other arrays
    assert not stakes.is_holdings_key(key)


stake_ops = st.lists(
    st.tuples(st.sampled_from(["grant", "divest", "dilute", "same"]), st.sampled_from(FIRMS),
              st.sampled_from(FIRMS), st.floats(0.0, 0.7), st.booleans(),
              st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5)),
    min_size=1, max_size=15,
)


@settings(max_examples=60, deadline=None)
@given(ops=stake_ops)
def test_mhhi_path_equals_the_mhhi_of_each_month(ops) -> None:
    """`compute_firms_mhhi_path` over months of changing holdings and shares (a fringe firm
    'F' outside the registry, zero shares allowed) equals `compute_firms_mhhi` month by month,
    whether the weights were rebuilt or kept (a change elsewhere keeps them)."""
    stakes = StakeRegistry(FIRMS)
    shares_by_month, regs, hhis = [], [], []
    for op, owner, firm, frac, voting, raw in ops:
        if op == "grant" and owner != firm:
            stakes.update_grant(owner, firm, frac, voting)
        elif op == "divest" and owner != firm:
            stakes.update_divest(owner, firm)
        elif op == "dilute":
            stakes.update_dilute(firm, frac)
        names = ["N", "O", "F", "M", "G"][: 2 + int(raw[0] * 3.999)]
        total = sum(raw[: len(names)]) or 1.0
        shares_by_month.append({n: x / total for n, x in zip(names, raw, strict=False)})
        regs.append(stakes.compute_snapshot())
        hhis.append(1e4 * raw[4])
    want = [compute_firms_mhhi(s, r, h) for s, r, h in zip(shares_by_month, regs, hhis,
                                                           strict=True)]
    assert compute_firms_mhhi_path(shares_by_month, regs, hhis) == want


def test_full_control_found_for_all_firms_at_once() -> None:
    """A voting stake of at least `CONTROL_STAKE` gives full control (control column 1 for
    the holder, 0 elsewhere); a silent one of the same size, or a voting one just below, gives
    none beyond proportional control (O'Brien and Salop 2000 as `compute_ownership_control`
    states it)."""
    stakes = StakeRegistry(FIRMS)
    stakes.update_set("N", "O", CONTROL_STAKE, True)  # controls O
    stakes.update_set("O", "M", CONTROL_STAKE, False)  # silent: no control
    stakes.update_set("M", "N", CONTROL_STAKE - 0.01, True)  # just below
    _, control = stakes.compute_ownership_control()
    assert control[:, 1].tolist() == [1.0, 0.0, 0.0]
    assert control[:, 2].tolist() == [0.0, 0.0, 1.0 - CONTROL_STAKE]
    assert control[:, 0].tolist() == [1.0 - (CONTROL_STAKE - 0.01), 0.0, CONTROL_STAKE - 0.01]


# ----------------------------------------------------------------- accelerator power, synthetic
DESIGNERS = ["N", "A", "Z"]  # Z is outside the stake registry
BUYERS = ["N", "O", "M", FRINGE_BUYERS, "Q"]
deliveries = st.lists(
    st.tuples(st.sampled_from(DESIGNERS), st.sampled_from(BUYERS),
              st.sampled_from(["", "S1", "S2", "S3"]), st.floats(1e-6, 5.0),
              st.sampled_from([0.0, 7.5, 21.0, math.inf]), st.booleans()),
    max_size=12,
)


PRODUCTS = {k: SimpleNamespace(name=f"P{k}", kw_per_unit=1.0 + k, pflops_dense=2.0)
            for k in range(3)}
CATALOG = SimpleNamespace(latest=lambda d, m: None if d == "Z" and m < 2 else PRODUCTS[m % 3])
"""Each month's newest product (designer Z has none in months 0 and 1)."""


def _fake_model(stakes: StakeRegistry, exclusive: dict[str, bool], month: int) -> SimpleNamespace:
    """The parts of the model `compute_accelerator_power` reads."""
    deals = {d: SimpleNamespace(deal_id=d, exclusive=x, source="N", target="O", parent_id="")
             for d, x in exclusive.items()}
    return SimpleNamespace(stakes=stakes, deals=SimpleNamespace(get=deals.__getitem__),
                           now_idx=month, chips=SimpleNamespace(deliveries=[]), catalog=CATALOG)


@settings(max_examples=60, deadline=None)
@given(months=st.lists(st.tuples(deliveries, st.floats(0.0, 0.6), st.booleans()),
                       min_size=1, max_size=6))
def test_accelerator_power_path_equals_the_monthly_loop(months) -> None:
    """Repeated keys (summed in delivery order), a designer's chips for itself (left out),
    prices that are not finite (nothing paid), buyers outside the registry, a designer
    without a product yet, stakes that change between months and exclusive contracts: the
    path gives the loop's floats."""
    stakes = StakeRegistry(["N", "O", "M", "A"])
    recorded, want, cum = [], [], 0.0
    for k, (items, frac, excl) in enumerate(months):
        if frac > 0:
            stakes.update_grant("N", "O" if k % 2 else "M", frac, True)
        model = _fake_model(stakes, {"S1": excl, "S2": False, "S3": not excl}, k)
        model.chips.deliveries = [Delivery(d, b, np.float64(g) if f else g, p, i)
                                  for d, b, i, g, p, f in items]
        links = StakeLinks(model)
        recorded.append((k, tuple(model.chips.deliveries),
                         compute_tied_deliveries(model, links), stakes.compute_snapshot()))
        power = compute_accelerator_power(model, cum, links)
        cum = power["fringe_cum_gw"]
        want.append([power[c] for c in POWER_COLUMNS])
    got = compute_accelerator_power_path(recorded, CATALOG)
    assert [[got[c][k] for c in POWER_COLUMNS] for k in range(len(months))] == want


def test_circularity_by_hand() -> None:
    """Circular money per buyer is min(invested, paid back) (module rule of
    `world.market_power`): N invested 10 in O and got 4 back of its 6 of sales -> 4 and 4/6;
    M's only investment was before the start (5 in O) and O paid it 2 of its 3 -> 2 and 2/3;
    A invested nothing, so none of its 8 of sales is circular."""
    from world.ledger import FlowKind, Ledger
    from world.market_power import compute_circularity

    ledger = Ledger(["N", "O", "M", "A", "Customers"])
    ledger.transfer(0, "N", "O", 10.0, FlowKind.EQUITY_INVESTMENT)
    ledger.transfer(0, "O", "N", 4.0, FlowKind.CHIP_PAYMENT)
    ledger.transfer(0, "Customers", "N", 2.0, FlowKind.CHIP_PAYMENT)
    ledger.transfer(1, "O", "M", 2.0, FlowKind.CLOUD_PAYMENT)
    ledger.transfer(1, "O", "A", 8.0, FlowKind.CHIP_PAYMENT)
    model = SimpleNamespace(ledger=ledger, firm_names=["N", "O", "M", "A"])
    pre = {("M", "O"): 5.0}
    assert compute_circularity(model, "N", pre, 0.0) == (4.0, 4.0 / 6.0)
    assert compute_circularity(model, "M", pre, 1.0) == (2.0, 2.0 / 3.0)
    assert compute_circularity(model, "A", pre, 0.0) == (0.0, 0.0)
    assert compute_circularity(model, "O", pre, 0.0) == (0.0, 0.0)


def _circularity_over_every_firm(model, seller, pre, other_sales):
    """The rule of `compute_circularity` read pair by pair over every other firm (each firm's
    cumulative equity from the seller plus the pre-start money; min with what it paid back)."""
    from world.ledger import FlowKind
    from world.market_power import SALES

    ledger = model.ledger
    invested_any = ledger.compute_paid_usd_b(seller, FlowKind.EQUITY_INVESTMENT) > 0
    if not invested_any and not any(investor == seller for investor, _ in pre):
        return 0.0, 0.0
    sales = other_sales + ledger.compute_received_usd_b(seller, SALES)
    circular = 0.0
    for buyer in model.firm_names:
        if buyer == seller:
            continue
        invested = ledger.compute_cumulative(seller, buyer, FlowKind.EQUITY_INVESTMENT) + pre.get(
            (seller, buyer), 0.0)
        if invested > 0:
            circular += min(invested, sum(ledger.compute_cumulative(buyer, seller, k)
                                          for k in SALES))
    return circular, (circular / sales if sales > 0 else 0.0)


_CIRC_FIRMS = ["N", "O", "M", "A"]


@given(
    st.lists(st.tuples(st.sampled_from([*_CIRC_FIRMS, "Customers"]),
                       st.sampled_from([*_CIRC_FIRMS, "Customers"]),
                       st.floats(1e-6, 1e3, allow_nan=False),
                       st.sampled_from(["equity_investment", "chip_payment", "cloud_payment",
                                        "revenue"])), max_size=30),
    st.dictionaries(st.tuples(st.sampled_from(_CIRC_FIRMS), st.sampled_from(_CIRC_FIRMS)),
                    st.floats(0.0, 50.0), max_size=3),
    st.floats(0.0, 10.0),
)
@settings(max_examples=80, deadline=None)
def test_circularity_reads_only_the_sellers_investees(moves, pre, other) -> None:
    """`compute_circularity` visits only the firms the seller invested in (the ledger's payee
    list and the pre-start money): a firm it never invested in adds min(0, ...) = nothing, so
    the result must be the very floats of the rule read over every firm."""
    from world.ledger import FlowKind, Ledger
    from world.market_power import compute_circularity

    ledger = Ledger([*_CIRC_FIRMS, "Customers"])
    for step, (src, tgt, amount, kind) in enumerate(moves):
        if src != tgt:
            ledger.transfer(step, src, tgt, amount, FlowKind(kind))
    model = SimpleNamespace(ledger=ledger, firm_names=_CIRC_FIRMS)
    for seller in _CIRC_FIRMS:
        assert compute_circularity(model, seller, pre, other) == _circularity_over_every_firm(
            model, seller, pre, other)
