"""Deal network: edges follow live deals, exclusivity binds, circular money is found."""

from __future__ import annotations

import pytest

from world.contracts import Deal, DealStatus
from world.network import DealNetwork
from world.params import DealKind

FIRMS = ["AMD", "Amazon", "Microsoft", "Nvidia", "OpenAI", "Oracle"]


def _deal(deal_id, kind, source, target, value=1.0, status=DealStatus.ACTIVE, exclusive=False):
    return Deal(deal_id=deal_id, kind=kind, source=source, target=target, status=status,
                value_usd_b=value, exclusive=exclusive)


def test_add_refresh_and_remove_edges() -> None:
    net = DealNetwork(FIRMS)
    d = _deal("D1", DealKind.EQUITY, "Nvidia", "OpenAI", 100.0, DealStatus.LOI)
    net.update_add_deal(d)
    net.update_add_deal(_deal("S1", DealKind.SUPPLY, "Nvidia", "OpenAI", 20.0))
    assert [e["deal_id"] for e in net.edges_of("OpenAI")] == ["D1", "S1"]
    assert [e["deal_id"] for e in net.edges_of("Nvidia", DealKind.SUPPLY)] == ["S1"]
    assert net.compute_partners("OpenAI") == ["Nvidia"]
    d.update_status(DealStatus.STALLED, 3)
    net.update_add_deal(d)  # refresh
    assert net.edges_of("OpenAI", DealKind.EQUITY)[0]["status"] is DealStatus.STALLED
    assert net.graph.number_of_edges() == 2
    d.update_status(DealStatus.ABANDONED, 9)
    net.update_add_deal(d)  # terminal -> removed
    assert [e["deal_id"] for e in net.edges_of("OpenAI")] == ["S1"]
    net.update_remove_deal("S1")
    net.update_remove_deal("S1")  # idempotent
    assert net.edges_of("OpenAI") == [] and net.compute_partners("OpenAI") == []


def test_exclusive_deal_binds_target_to_source() -> None:
    net = DealNetwork(FIRMS)
    values = {"Amazon": 3.0, "Microsoft": 1.0, "Oracle": 2.0, "OpenAI": 9.0}
    clouds = ["Amazon", "Microsoft", "Oracle", "OpenAI"]
    free = net.compute_outside_options("OpenAI", clouds, DealKind.CLOUD_CAPACITY, values)
    assert free == [("Amazon", 3.0), ("Oracle", 2.0), ("Microsoft", 1.0)]
    net.update_add_deal(_deal("MS", DealKind.CLOUD_CAPACITY, "Microsoft", "OpenAI",
                              exclusive=True))
    bound = net.compute_outside_options("OpenAI", clouds, DealKind.CLOUD_CAPACITY, values)
    assert bound == [("Microsoft", 1.0)]
    # Amazon, looking for cloud buyers, cannot count on OpenAI
    buyers = net.compute_outside_options("Amazon", ["OpenAI", "Oracle"],
                                         DealKind.CLOUD_CAPACITY, values)
    assert buyers == [("Oracle", 2.0)]
    # exclusivity binds only within its kind
    assert net.compute_outside_options("OpenAI", ["AMD", "Nvidia"], DealKind.SUPPLY,
                                       {"AMD": 1.0, "Nvidia": 1.0}) == [("AMD", 1.0),
                                                                         ("Nvidia", 1.0)]


def test_centrality_is_value_weighted_and_normalised() -> None:
    net = DealNetwork(FIRMS)
    net.update_add_deal(_deal("A", DealKind.SUPPLY, "Nvidia", "OpenAI", 30.0))
    net.update_add_deal(_deal("B", DealKind.CLOUD_CAPACITY, "Oracle", "OpenAI", 10.0))
    c = net.compute_centrality()
    assert list(c) == sorted(FIRMS)
    assert sum(c.values()) == pytest.approx(1.0)
    # strengths: OpenAI 40, Nvidia 30, Oracle 10 -> total 80
    assert c["OpenAI"] == pytest.approx(0.5)
    assert c["Nvidia"] == pytest.approx(0.375)
    assert c["AMD"] == 0.0
    assert DealNetwork(FIRMS).compute_centrality()["AMD"] == 0.0


def test_circular_vendor_financing_is_found() -> None:
    net = DealNetwork(FIRMS)
    net.update_add_deal(_deal("D1", DealKind.EQUITY, "Nvidia", "OpenAI", 100.0, DealStatus.LOI))
    paid = {("OpenAI", "Nvidia"): 35.0, ("OpenAI", "Oracle"): 5.0}
    rows = net.compute_money_cycles(paid)
    assert rows[0]["cycle"] == ("Nvidia", "OpenAI")
    assert rows[0]["invested_usd_b"] == 100.0
    assert rows[0]["paid_back_usd_b"] == 35.0
    assert rows[0]["circular_usd_b"] == 35.0
    # with money actually invested passed in, circular = min(invested, paid back)
    rows = net.compute_money_cycles(paid, invested={("Nvidia", "OpenAI"): 10.0})
    assert rows[0]["circular_usd_b"] == 10.0


def test_no_cycle_when_money_flows_one_way() -> None:
    net = DealNetwork(FIRMS)
    net.update_add_deal(_deal("D1", DealKind.EQUITY, "Nvidia", "OpenAI", 100.0))
    assert net.compute_money_cycles({("OpenAI", "Oracle"): 50.0, ("Oracle", "AMD"): 5.0}) == []
    # payments in a loop without any investment are trade, not circular financing
    trade = {("OpenAI", "Oracle"): 5.0, ("Oracle", "AMD"): 5.0, ("AMD", "OpenAI"): 5.0}
    assert DealNetwork(FIRMS).compute_money_cycles(trade) == []


def test_three_firm_cycle_through_an_investment() -> None:
    # Nvidia invests in a neocloud, the neocloud leases to a lab, the lab buys Nvidia chips
    net = DealNetwork([*FIRMS, "CoreWeave"])
    net.update_add_deal(_deal("N", DealKind.EQUITY, "Nvidia", "CoreWeave", 6.0))
    paid = {("OpenAI", "CoreWeave"): 4.0, ("CoreWeave", "OpenAI"): 0.0,
            ("OpenAI", "Nvidia"): 9.0, ("Nvidia", "CoreWeave"): 0.0}
    # money direction: Nvidia -> CoreWeave (6), OpenAI -> CoreWeave (4), OpenAI -> Nvidia (9):
    # no loop back to Nvidia yet
    assert net.compute_money_cycles(paid) == []
    paid[("CoreWeave", "OpenAI")] = 3.0  # CoreWeave pays OpenAI (say, for models)
    rows = net.compute_money_cycles(paid)
    assert [r["cycle"] for r in rows] == [("CoreWeave", "OpenAI", "Nvidia")]
    assert rows[0]["circular_usd_b"] == 3.0  # the thinnest link of the loop
    assert rows[0]["invested_usd_b"] == 6.0
