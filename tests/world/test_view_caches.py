"""Answers the components keep for the view between calls (the typical new build, capex
outstanding per owner, the month's supply deals and supply partners, the month's market
quantities): each must equal a recomputation from the state it derives from, after any
sequence of changes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.chip_market import active_supply_deals, compute_partners_by_buyer
from world.contracts import TRANSITIONS, Deal, DealBook, DealStatus
from world.datacenters import Fleet
from world.network import DealNetwork
from world.params import DealKind, Distribution, SitesParams
from world.sites import generate_sites


def _typical_from_scratch(pool) -> tuple[float, float | None]:
    """Medians over the 20 best free sites, ranked afresh by score (ties to the lower index)."""
    remaining = pool.grid_power_gw - pool.used_gw
    free = [i for i in np.argsort(pool.compute_score_usd_b_per_gw(), kind="stable")
            if pool.owner[i] == -1 and remaining[i] > 0][:20]
    if not free:
        return float(np.median(pool.capex_usd_b_per_gw)), None
    return (float(np.median(pool.capex_usd_b_per_gw[free])),
            float(np.median(pool.compute_time_to_power_months()[free])))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(1, 40),
       ops=st.lists(st.tuples(st.sampled_from(["acquire", "plan", "legacy", "write"]),
                              st.integers(0, 39), st.integers(0, 2), st.floats(0.05, 1.0)),
                    max_size=25))
def test_typical_build_follows_every_change_of_the_sites(seed, n_sites, ops) -> None:
    """The median capex and time to power of the best free sites, kept while owners and used
    power are unchanged, equal a fresh ranking after each acquisition, plan, legacy site and
    even a direct write of the owner column (the key is the columns' bytes)."""
    params = SitesParams(n_sites=n_sites,
                         interconnect_wait_months=Distribution(mean=8, low=0, high=20))
    pool = generate_sites(params, np.random.default_rng(seed))
    fleet = Fleet(capacity=2)
    for op, site, owner, frac in ops:
        site %= len(pool)
        if op == "acquire" and pool.owner[site] in (-1, owner):
            pool.acquire(site, owner)
        elif op == "plan" and pool.owner[site] == owner:
            gw = frac * float(pool.grid_power_gw[site] - pool.used_gw[site])
            if gw > 1e-6:
                fleet.plan(site, owner, gw, 0, pool)
        elif op == "legacy":
            pool.add_existing(owner, frac)
        elif op == "write":
            pool.owner[site] = owner
        for _ in range(2):  # the second call is answered from what was kept
            capex, ttp = _typical_from_scratch(pool)
            assert pool.compute_typical_capex_usd_b_per_gw() == capex
            assert pool.compute_typical_time_to_power_months() == ttp


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       plans=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2), st.integers(0, 29),
                                st.floats(0.05, 1.0), st.integers(0, 6)), max_size=20))
def test_fleet_capex_outstanding_and_capacity_follow_every_change(seed, plans) -> None:
    """Capex outstanding per owner and
    powered plus pipeline GW per owner equal a sum over that owner's datacenters after each
    plan, deferral, stage update and capex payment; a payment returns exactly what was due."""
    params = SitesParams(n_sites=30, interconnect_wait_months=Distribution(mean=8, low=0, high=20))
    pool = generate_sites(params, np.random.default_rng(seed))
    fleet = Fleet(capacity=2)
    n = 3

    def check() -> None:
        for owner in range(n):
            mine = fleet.owner == owner
            capex = fleet.column("capex_usd_b")[mine] - fleet.column("capex_paid_usd_b")[mine]
            assert fleet.compute_capex_outstanding_usd_b(owner) == float(capex.sum())
            assert fleet.compute_capex_outstanding_usd_b(owner) >= -1e-9
            want = float(sum(float(g) for g, o in zip(fleet.gw, fleet.owner, strict=True)
                             if o == owner))
            got = fleet.compute_powered_and_pipeline_gw(n, owner)
            assert abs(got - want) <= 1e-12 * max(1.0, want)

    for step in range(40):
        for s, owner, site, frac, defer in plans:
            if s == step and pool.owner[site] in (-1, owner):
                pool.acquire(site, owner)
                gw = frac * pool.compute_remaining_gw()[site]
                if gw > 1e-6:
                    fleet.plan(site, owner, gw, step, pool)
                    check()
            if s == step and defer:
                fleet.update_defer(owner, defer, step)
                check()
        fleet.update(step)
        check()
        owed = fleet.compute_capex_due(step, n)
        assert np.array_equal(fleet.update_capex_paid(step, n), owed)  # what the model books
        check()


@settings(max_examples=80, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["add", "move", "set"]), st.integers(0, 30),
                              st.sampled_from(list(DealKind)), st.sampled_from(list(DealStatus))),
                    max_size=40))
def test_live_supply_follows_every_deal_and_status_change(ops) -> None:
    """The live deals and the active supply contracts kept by the book equal a fresh filter
    of all deals (`active_supply_deals` of the live ones) after each new deal, each allowed
    status move and even a status or kind set directly on a live deal."""
    book = DealBook()
    for op, k, kind, status in ops:
        deals = list(book)
        if op == "add":
            book.update_open(kind, "A", "B", status, 0, "endogenous", {})
        elif deals and op == "move":
            deal = deals[k % len(deals)]
            if status in TRANSITIONS[deal.status]:
                deal.update_status(status, 1)
        elif deals and deals[k % len(deals)].is_live:  # ended deals stay ended
            deal = deals[k % len(deals)]
            deal.status, deal.kind = status, kind
        for _ in range(2):  # the second call is answered from what was kept
            assert book.live() == [d for d in book if d.is_live]
            assert list(book.live_supply()) == active_supply_deals(book.live())


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from("ABCD"), st.sampled_from("ABCDE")), max_size=20))
def test_partners_by_buyer_equal_the_scan_per_buyer(pairs) -> None:
    """The supply partners of every buyer, taken in one pass, equal the sources of the deals
    whose target is that buyer (the scan the non-price utility made per buyer)."""
    deals = [Deal(f"SUP-{k:04d}", DealKind.SUPPLY, s, t) for k, (s, t) in enumerate(pairs)]
    partners = compute_partners_by_buyer(deals)
    for buyer in "ABCDEF":
        assert partners.get(buyer, set()) == {d.source for d in deals if d.target == buyer}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       plans=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 2), st.integers(0, 29),
                                st.floats(0.05, 1.0), st.booleans()), max_size=25))
def test_fleet_gw_by_owner_kept_through_new_datacenters_is_bit_identical(seed, plans) -> None:
    """Powered, pipeline and expected GW per owner, kept and topped up as datacenters are
    planned or added powered (not recomputed), equal bit for bit a sum over the rows in row
    order (what `np.bincount` does), right after every new datacenter."""
    params = SitesParams(n_sites=30, interconnect_wait_months=Distribution(mean=8, low=0, high=20))
    pool = generate_sites(params, np.random.default_rng(seed))
    fleet = Fleet(capacity=2)
    n = 3

    def by_owner(mask) -> np.ndarray:
        out = np.zeros(n)
        for owner, gw, keep in zip(fleet.owner, fleet.gw, mask, strict=True):
            out[owner] += gw if keep else 0.0
        return out

    for step in range(24):
        fleet.update(step)
        for horizon in (0, 6, 12):  # ask first, so the answers are kept
            fleet.expected_powered_gw(n, step + horizon)
        fleet.powered_gw(n), fleet.pipeline_gw(n)
        for s, owner, site, frac, legacy in plans:
            if s != step or pool.owner[site] not in (-1, owner):
                continue
            pool.acquire(site, owner)
            gw = frac * pool.compute_remaining_gw()[site]
            if gw <= 1e-6:
                continue
            if legacy:
                fleet.add_powered(site, owner, gw, step, pool)
            else:
                fleet.plan(site, owner, gw, step, pool)
            status = fleet.status
            exp_step = np.where(status == 3, fleet.column("powered_step"),
                                fleet.column("announced_powered_step"))
            assert np.array_equal(fleet.powered_gw(n), by_owner(status == 3))
            assert np.array_equal(fleet.pipeline_gw(n), by_owner(status < 3))
            for horizon in (0, 6, 12):
                assert np.array_equal(fleet.expected_powered_gw(n, step + horizon),
                                      by_owner(exp_step <= step + horizon))


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 15), st.sampled_from("ABCD"),
                              st.sampled_from("ABCD"), st.sampled_from(list(DealKind))),
                    max_size=25))
def test_partners_read_from_the_graph_equal_the_edge_rows(ops) -> None:
    """A firm's partners (read from the graph's edge ends) equal the counterparties of its
    edge rows (`edges_of`), for every kind and for all kinds, after deals come and go
    (self-deals included)."""
    net = DealNetwork(list("ABCD"))
    for add, k, source, target, kind in ops:
        if add and (source != target or kind is DealKind.SUPPLY):
            net.update_add_deal(Deal(f"D-{k:04d}", kind, source, target))
        elif not add:
            net.update_remove_deal(f"D-{k:04d}")
        for firm in "ABCDE":
            for kind_ in (None, *DealKind):
                rows = net.edges_of(firm, kind_)
                want = sorted({e["target"] if e["source"] == firm else e["source"] for e in rows})
                assert net.compute_partners(firm, kind_) == want


def test_held_shares_are_read_once_until_released() -> None:
    """`MarketView.update_hold_shares`: while held, a market's shares are computed at the
    first reading (q / total) and kept though the quantities change; released, the next
    reading follows the quantities again."""
    from types import SimpleNamespace

    from world.view import MarketView

    quantities = {"A": (3.0, 3.0), "B": (1.0, 1.0)}
    book = SimpleNamespace(markets={"x"}, compute_quantities=lambda market: dict(quantities))
    view = MarketView(SimpleNamespace(textbook=book))
    view.update_hold_shares(True)
    assert view.compute_shares("x") == {"A": 0.75, "B": 0.25}
    quantities["B"] = (3.0, 3.0)
    assert view.compute_shares("x") == {"A": 0.75, "B": 0.25}
    assert view.compute_shares("x", dict(quantities)) == {"A": 0.5, "B": 0.5}  # given: used
    view.update_hold_shares(False)
    assert view.compute_shares("x") == {"A": 0.5, "B": 0.5}


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["deliver", "new month", "read"]),
                              st.sampled_from(["AMD", "Nvidia"]),
                              st.sampled_from(["AMD", "OpenAI", "Oracle"]),
                              st.floats(0.0, 2.0), st.floats(1.0, 40.0)), max_size=30))
def test_accelerator_rows_follow_every_delivery(ops) -> None:
    """The accelerators' rows kept with the month's deliveries equal a fresh count (GW by
    designer; USD B paid, in-house deliveries unpaid) after every delivery appended and
    every new month's list."""
    from types import SimpleNamespace

    from world.chip_market import Delivery
    from world.view import MarketView

    chips = SimpleNamespace(deliveries=[])
    model = SimpleNamespace(textbook=None, chips=chips, designers=["AMD", "Nvidia"],
                            fringe={"accelerators": SimpleNamespace(remainder="Other chips")},
                            has_fringe=False)
    view = MarketView(model)
    for op, designer, buyer, gw, price in ops:
        if op == "deliver":
            chips.deliveries.append(Delivery(designer, buyer, gw, price, ""))
        elif op == "new month":
            chips.deliveries = []
        want = {d: (sum(i.gw for i in chips.deliveries if i.designer == d),
                    sum(i.gw * i.price_usd_b_per_gw for i in chips.deliveries
                        if i.designer == d and i.buyer != d)) for d in ("AMD", "Nvidia")}
        for _ in range(2):  # the second read is answered from what was kept
            got = view.compute_quantities("accelerators")
            assert got.keys() == want.keys()
            for d, (q, v) in want.items():
                assert got[d][0] == pytest.approx(q) and got[d][1] == pytest.approx(v)
