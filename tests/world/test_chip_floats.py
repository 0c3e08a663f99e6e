"""The accelerator market's month in plain floats: rationing (`compute_rationing_gw`) and the
buyers' non-price utilities (`ChipMarket.compute_nonprice_utilities`) against their rules."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.scenario.loader import load_scenario
from world.chip_market import FRINGE_BUYERS, FRINGE_CHIPS, MERCHANT, OWN_CHIP_BONUS
from world.clearing import compute_rationing_gw
from world.model import ComputeMarketModel

GW = st.floats(0.0, 50.0) | st.sampled_from([0.0, 1e-9, 1e3])
ORDERS = st.integers(1, 9).flatmap(lambda n: st.tuples(
    st.lists(GW, min_size=n, max_size=n), st.lists(GW, min_size=n, max_size=n)))


def _rationing_as_arrays(pri, opn, supply, equal_access):
    """The rule written with numpy arrays (contracts first, then open orders pro rata; all
    pro rata with equal access): numpy sums, numpy products."""
    pri, opn, supply = np.maximum(pri, 0.0), np.maximum(opn, 0.0), max(0.0, supply)
    if equal_access:
        total = pri.sum() + opn.sum()
        scale = min(1.0, supply / total) if total > 0 else 0.0
        return pri * scale, opn * scale
    if pri.sum() >= supply:
        return pri * (supply / pri.sum() if pri.sum() > 0 else 0.0), np.zeros_like(opn)
    scale = min(1.0, (supply - pri.sum()) / opn.sum()) if opn.sum() > 0 else 0.0
    return pri.copy(), opn * scale


@settings(max_examples=300, deadline=None)
@given(orders=ORDERS, supply=GW, equal_access=st.booleans())
def test_rationing_in_floats_is_the_array_rule_bit_for_bit(orders, supply, equal_access) -> None:
    """Plain floats and arrays apply the same IEEE operations in the same order (sums in
    numpy's order), so every delivery is the same double; and the rule's invariants hold:
    nobody gets more than ordered, the total never exceeds supply, and contracts are served
    in full before any open order when there is no equal-access remedy."""
    pri, opn = orders
    got_pri, got_open = compute_rationing_gw(pri, opn, supply, equal_access)
    want_pri, want_open = _rationing_as_arrays(np.array(pri), np.array(opn), supply, equal_access)
    assert np.array(got_pri).tobytes() == want_pri.tobytes()
    assert np.array(got_open).tobytes() == want_open.tobytes()
    assert all(type(v) is float for v in got_pri + got_open)
    assert all(g <= o * (1 + 1e-12) for g, o in zip(got_pri + got_open, pri + opn, strict=True))
    assert math.fsum(got_pri) + math.fsum(got_open) <= supply * (1 + 1e-9) + 1e-12
    if not equal_access and any(got_open):
        assert got_pri == [float(v) for v in pri]


def test_nonprice_utilities_follow_their_rule_for_every_buyer() -> None:
    """Each entry is lock-in + own-chip bonus + relationship bonus - lead-time weight x lead
    time - diversification x 10 x excess share (the rule in `compute_nonprice_utilities`),
    recomputed here term by term for every buyer; captive chips only for their owner, fringe
    chips only for the fringe (-inf otherwise)."""
    model = ComputeMarketModel(load_scenario("baseline", steps=6))
    model.run_steps(6)
    chips, m = model.chips, model.p.market
    deals = model.deals.live_supply()
    table = model.view.compute_nonprice_utilities(deals)
    leads = chips.compute_lead_times(deals)
    lockin = model.policy.compute_lockin_factor()
    assert table.shape == (len(chips.buyers), len(chips.designers))
    for b, buyer in enumerate(chips.buyers):
        firm = model.firms.get(buyer)
        installed = dict(firm.installed_gw) if firm else {}
        total = sum(installed.values())
        partners = {d.source for d in deals if d.target == buyer}
        cap = firm.p.max_supplier_share if firm else 1.0
        for k, d in enumerate(chips.designers):
            open_to = d in MERCHANT or d == buyer or (d == FRINGE_CHIPS and buyer == FRINGE_BUYERS)
            if chips.compute_product(d) is None or not open_to:
                assert table[b, k] == -math.inf
                continue
            share = installed.get(d, 0.0) / total if total > 0 else 0.0
            want = ((m.cuda_lockin * lockin if d == "Nvidia" else 0.0)
                    + (OWN_CHIP_BONUS if d == buyer else 0.0)
                    + (m.relationship_bonus if d in partners else 0.0)
                    - m.lead_time_weight * leads[d]
                    - m.diversification * 10.0 * max(0.0, share - cap))
            assert table[b, k] == want
        row = model.view.compute_nonprice_utility(buyer, deals)
        assert row.tobytes() == table[b].tobytes()


_MARKET: list = []


def _chip_market():
    """A baseline chip market at its opening (built once: the cancellation rule only reads
    its designers, buyers and backlog)."""
    if not _MARKET:
        _MARKET.append(ComputeMarketModel(load_scenario("baseline", steps=1)).chips)
    return _MARKET[0]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_cancellation_in_floats_is_the_array_rule_bit_for_bit(data) -> None:
    """Buyer b keeps min(1, need_b / held_b) of each open order (held_b its open orders over
    designers, summed in designer order), written here with numpy arrays: the backlog left and
    the GW cancelled are the same doubles. When no buyer holds more than it needs nothing is
    cancelled and the backlog arrays are kept as they are (v x 1 = v)."""
    chips = _chip_market()
    n = len(chips.buyers)
    rows = {d: np.array(data.draw(st.lists(GW, min_size=n, max_size=n)))
            for d in chips.designers}
    need = np.array(data.draw(st.lists(GW, min_size=n, max_size=n)))
    for d, row in rows.items():
        chips._set_backlog(d, row.copy())
    before = dict(chips.backlog)
    held = sum(rows[d] for d in chips.designers)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(held > need, np.minimum(need / held, 1.0), 1.0)
    cancelled = 0.0
    for d in chips.designers:
        cancelled += float((rows[d] * (1.0 - keep)).sum())
    chips.update_cancel(need)
    for d in chips.designers:
        assert chips.backlog[d].tobytes() == (rows[d] * keep).tobytes()
        assert not chips.backlog[d].flags.writeable
    assert chips.cancelled_gw == cancelled
    if not (held > need).any():
        assert chips.cancelled_gw == 0.0
        assert all(chips.backlog[d] is before[d] for d in chips.designers)
    else:
        assert chips.cancelled_gw > 0.0 or not any(rows[d].any() for d in chips.designers)
