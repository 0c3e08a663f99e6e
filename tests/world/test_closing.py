"""Tests of `world.closing.DealClosing`: how signed deals and remedies are carried out.

Real components (deal book, network, stake registry, ledger, capital market, policy); the view
is a hand-built stand-in giving valuations, deployed GW and list prices the test controls.
Expected values follow from the rules by hand (primary-round arithmetic, milestone counting,
the capital market's finite pool), not from the code's own output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.capital import CapitalMarket
from world.closing import WARRANT_STRIKE_USD_B, DealClosing
from world.contracts import Deal, DealBook, DealStatus, Tranche
from world.ledger import FlowKind, Ledger
from world.network import DealNetwork
from world.params import CapitalParams, DealKind, InterventionKind, InterventionParams
from world.policy import Policy, compute_capped_amount
from world.stakes import StakeRegistry

FIRMS = ["Nvidia", "AMD", "OpenAI", "Oracle"]
ROLES = {"Nvidia": "vendor", "AMD": "vendor", "OpenAI": "lab", "Oracle": "cloud"}


@dataclass
class _View:
    """What closing reads: the step, valuations, deployed GW by designer, list prices, roles."""

    t: int = 0
    valuation: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FIRMS, 100.0))
    deployed: dict[tuple[str, str], float] = field(default_factory=dict)
    price: dict[str, float] = field(default_factory=lambda: {"Nvidia": 30.0})

    def compute_valuation_usd_b(self, firm: str) -> float:
        return self.valuation[firm]

    def compute_deployed_gw_of(self, firm: str, designer: str) -> float:
        return self.deployed.get((firm, designer), 0.0)

    def compute_list_price_usd_b_per_gw(self, firm: str) -> float:
        return self.price.get(firm, 0.0)

    def compute_role(self, firm: str) -> str:
        return ROLES.get(firm, "")


@dataclass
class _Firm:
    """The part of a firm the closing talks to: its month tallies (`agents.firm.Firm`)."""

    month_revenue_usd_b: float = 0.0
    month_cost_usd_b: float = 0.0

    def update_count_revenue(self, amount_usd_b: float) -> None:
        self.month_revenue_usd_b += amount_usd_b

    def update_count_cost(self, amount_usd_b: float) -> None:
        self.month_cost_usd_b += amount_usd_b


def _closing(cash: float = 1_000.0, cap_pct: float | None = None,
             pool_usd_b: float = 0.0) -> DealClosing:
    ledger = Ledger([*FIRMS, "Investors"])
    for name in FIRMS:
        ledger.transfer(0, "Investors", name, cash, FlowKind.INITIAL)
    ivs = ([] if cap_pct is None else
           [InterventionParams(kind=InterventionKind.CAP_EQUITY, max_equity_pct=cap_pct)])
    capital = CapitalMarket(CapitalParams(), FIRMS, np.random.default_rng(0))
    capital.equity_pool_usd_b = pool_usd_b
    return DealClosing(DealBook(), DealNetwork(FIRMS), StakeRegistry(FIRMS), ledger, capital,
                       Policy(ivs, 0, ROLES), _View(), {n: _Firm() for n in FIRMS})


def _equity(closing: DealClosing, value: float, valuation: float = 0.0,
            tranches: list[Tranche] | None = None, gw: float = 0.0) -> Deal:
    return closing.update_open(DealKind.EQUITY, "Nvidia", "OpenAI", DealStatus.ACTIVE,
                               value_usd_b=value, valuation_usd_b=valuation, gw=gw,
                               tranches=tranches or [], voting=False)


def test_one_off_equity_moves_value_to_the_investee_and_sets_the_stake() -> None:
    """10 USD B at 200 post-money: the investor pays 10 to the investee and holds 10/200 = 5%;
    the deal completes and leaves the network; the firms' month tallies are untouched (an
    investment is neither revenue nor an operating cost)."""
    closing = _closing()
    deal = _equity(closing, 10.0, valuation=200.0)
    closing.update_execute(deal)
    assert closing.ledger.balance("Nvidia") == pytest.approx(990.0)
    assert closing.ledger.balance("OpenAI") == pytest.approx(1_010.0)
    assert closing.stakes.compute_stake("Nvidia", "OpenAI") == pytest.approx(0.05)
    assert deal.status is DealStatus.COMPLETED
    assert closing.network.compute_partners("Nvidia") == []
    assert closing.firms["OpenAI"].month_revenue_usd_b == 0.0
    assert closing.firms["Nvidia"].month_cost_usd_b == 0.0


def test_equity_above_the_cap_goes_to_outside_investors_within_the_pool() -> None:
    """Under a 20% cap a 100 USD B stake at 200 post-money (50%) is cut to 0.2 x 200 = 40;
    outside investors take the other 60 but their pool holds only 25: the lab gets 40 + 25."""
    closing = _closing(cap_pct=20.0, pool_usd_b=25.0)
    deal = _equity(closing, 100.0, valuation=200.0)
    closing.update_execute(deal)
    assert closing.ledger.compute_cumulative("Nvidia", "OpenAI") == pytest.approx(40.0)
    assert closing.ledger.compute_cumulative("Investors", "OpenAI",
                                             FlowKind.FUNDING_ROUND) == pytest.approx(25.0)
    assert closing.capital.equity_pool_usd_b == pytest.approx(0.0)
    # 20% issued, then outside investors' 25/200 dilutes it by (1 - 0.125)
    assert closing.stakes.compute_stake("Nvidia", "OpenAI") == pytest.approx(0.2 * 0.875)


def test_a_tranche_is_paid_only_when_its_milestone_is_reached() -> None:
    """Two tranches of 10 USD B at 1 and 2 GW of Nvidia systems deployed since the first
    execution: nothing at 0.9 GW of progress, tranche 1 at 1 GW, both at 2 GW, then complete.
    The linked supply deal opens at the first execution: 2 GW at the 30 USD B/GW list price."""
    closing = _closing()
    view = closing.view
    view.deployed[("OpenAI", "Nvidia")] = 5.0  # deployed before: the baseline
    deal = _equity(closing, 20.0, gw=2.0,
                   tranches=[Tranche(1.0, 10.0, None), Tranche(2.0, 10.0, None)])
    closing.update_execute(deal)
    supply = [d for d in closing.deals if d.kind is DealKind.SUPPLY]
    assert len(supply) == 1 and supply[0].parent_id == deal.deal_id
    assert supply[0].value_usd_b == pytest.approx(60.0) and supply[0].binding
    view.t, view.deployed[("OpenAI", "Nvidia")] = 1, 5.9
    closing.update_execute(deal)
    assert closing.ledger.compute_cumulative("Nvidia", "OpenAI") == 0.0
    view.t, view.deployed[("OpenAI", "Nvidia")] = 2, 6.0
    closing.update_execute(deal)
    assert closing.ledger.compute_cumulative("Nvidia", "OpenAI") == pytest.approx(10.0)
    assert [t.paid_step for t in deal.tranches] == [2, None]
    assert deal.status is DealStatus.ACTIVE
    view.t, view.deployed[("OpenAI", "Nvidia")] = 3, 7.5
    closing.update_execute(deal)
    assert closing.ledger.compute_cumulative("Nvidia", "OpenAI") == pytest.approx(20.0)
    assert deal.status is DealStatus.COMPLETED
    assert len([d for d in closing.deals if d.kind is DealKind.SUPPLY]) == 1  # opened once


def test_warrant_vests_pro_rata_and_the_holder_pays_the_strike() -> None:
    """A warrant for 10% in two tranches vests 5% per milestone to the holder (the target) in
    the issuer (the source); the holder pays half the nominal strike each time. With no other
    holder, 5% then 5% of the post-issue shares: 0.05 x (1 - 0.05) + 0.05 = 0.0975."""
    closing = _closing()
    deal = closing.update_open(DealKind.WARRANT, "AMD", "OpenAI", DealStatus.ACTIVE,
                               equity_pct=10.0, voting=False,
                               tranches=[Tranche(1.0, 0.0, None), Tranche(2.0, 0.0, None)])
    closing.update_execute(deal)
    closing.view.deployed[("OpenAI", "AMD")] = 2.0
    closing.update_execute(deal)
    assert closing.stakes.compute_stake("OpenAI", "AMD") == pytest.approx(0.0975)
    assert closing.ledger.compute_cumulative("OpenAI", "AMD", FlowKind.WARRANT) == \
        pytest.approx(WARRANT_STRIKE_USD_B)
    assert deal.status is DealStatus.COMPLETED


def test_conditions_drop_exclusivity_and_grant_equal_access() -> None:
    """A conditioned exclusive lease is no longer exclusive on the network either, and the
    named supplier must serve rivals on equal terms; no upstream, no equal access."""
    closing = _closing()
    deal = closing.update_open(DealKind.CLOUD_CAPACITY, "Oracle", "OpenAI", DealStatus.ACTIVE,
                               exclusive=True, gw=1.0, duration_months=12)
    assert closing.network.compute_bound_to("OpenAI", DealKind.CLOUD_CAPACITY) == ["Oracle"]
    closing.update_apply_conditions(deal, "Nvidia")
    assert not deal.exclusive and closing.equal_access == {"Nvidia"}
    assert closing.network.compute_bound_to("OpenAI", DealKind.CLOUD_CAPACITY) == []
    closing.update_apply_conditions(deal, "")
    assert closing.equal_access == {"Nvidia"}


def test_a_block_is_remembered_and_the_round_refilled() -> None:
    """A blocked one-off investment in a lab: blocked, off the network, the parties remember
    it, and outside investors put the deal's value into the lab (pool 50 >= 30)."""
    closing = _closing(pool_usd_b=50.0)
    deal = closing.update_open(DealKind.EQUITY, "Nvidia", "OpenAI", DealStatus.UNDER_REVIEW,
                               value_usd_b=30.0, valuation_usd_b=300.0)
    closing.update_block(deal)
    assert deal.status is DealStatus.BLOCKED
    assert closing.network.compute_partners("OpenAI") == []
    assert (DealKind.EQUITY, "Nvidia", "OpenAI") in closing.policy.decided_blocks
    assert closing.ledger.compute_cumulative("Investors", "OpenAI",
                                             FlowKind.FUNDING_ROUND) == pytest.approx(30.0)
    assert closing.capital.equity_pool_usd_b == pytest.approx(20.0)


def test_book_keeps_the_month_tallies_only_when_asked() -> None:
    """`_book` is the one path for money: the ledger always, the payee's revenue and the
    payer's cost only when flagged; a zero amount books nothing."""
    closing = _closing()
    closing._book("Oracle", "Nvidia", 2.0, FlowKind.CHIP_PAYMENT, revenue=True, cost=True)
    closing._book("Oracle", "Nvidia", 3.0, FlowKind.CHIP_PAYMENT)
    closing._book("Oracle", "Nvidia", 0.0, FlowKind.CHIP_PAYMENT, revenue=True, cost=True)
    assert closing.firms["Nvidia"].month_revenue_usd_b == pytest.approx(2.0)
    assert closing.firms["Oracle"].month_cost_usd_b == pytest.approx(2.0)
    assert closing.ledger.compute_cumulative("Oracle", "Nvidia") == pytest.approx(5.0)
    assert len(closing.ledger) == len(FIRMS) + 2


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 200.0), st.floats(0.0, 200.0), st.floats(1.0, 500.0),
       st.sampled_from([None, 5.0, 20.0, 60.0]))
def test_a_refilled_round_never_exceeds_the_pool(pool: float, ask: float, post: float,
                                                 cap: float | None) -> None:
    """Invariant: outside investors put in min(ask, pool): never more than the pool held, and
    the pool falls by exactly what went in; the lab's cash rises by the same amount."""
    closing = _closing(pool_usd_b=pool, cap_pct=cap)
    deal = closing.update_open(DealKind.EQUITY, "Nvidia", "OpenAI", DealStatus.ACTIVE,
                               value_usd_b=ask, valuation_usd_b=post)
    before = closing.ledger.balance("OpenAI")
    filled = closing.update_refill_round(deal)
    assert filled == pytest.approx(min(ask, pool)) and filled <= pool + 1e-12
    assert closing.capital.equity_pool_usd_b == pytest.approx(pool - filled)
    assert closing.ledger.balance("OpenAI") - before == pytest.approx(filled)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 80.0), st.floats(0.0, 400.0)), min_size=1,
                max_size=6),
       st.sampled_from([None, 10.0, 30.0]), st.floats(0.0, 100.0))
def test_money_is_conserved_and_the_cap_holds(deals: list[tuple[float, float]],
                                              cap: float | None, pool: float) -> None:
    """Conservation: however many investments (capped, refilled) are executed, the ledger's
    balances sum to what they summed to before; the investor's stake never exceeds the cap."""
    closing = _closing(cap_pct=cap, pool_usd_b=pool)
    total = closing.ledger.total()
    for value, valuation in deals:
        closing.update_execute(_equity(closing, value, valuation=valuation))
    assert closing.ledger.total() == pytest.approx(total, abs=1e-9)
    limit = 1.0 if cap is None else cap / 100.0
    assert closing.stakes.compute_stake("Nvidia", "OpenAI") <= limit + 1e-9


def test_capped_amount_closed_form() -> None:
    """Allowed fraction 1/9 of 90 post-money is 10: a 25 investment is cut to 10, a 4 passes
    whole, nothing for a zero amount or post-money."""
    assert compute_capped_amount(1 / 9, 25.0, 90.0) == pytest.approx(10.0)
    assert compute_capped_amount(1 / 9, 4.0, 90.0) == pytest.approx(4.0)
    assert compute_capped_amount(1 / 9, 0.0, 90.0) == 0.0
    assert compute_capped_amount(1 / 9, 5.0, 0.0) == 0.0


def _allowed_by_hand(cap: float, stake: float) -> float:
    """New fraction of post-issue shares an owner holding `stake` may take under a `cap`:
    stake (1 - f) + f <= cap, so f <= (cap - stake) / (1 - stake); 0 at or above the cap."""
    if stake >= cap:
        return 0.0
    return (cap - stake) / (1.0 - stake)


def test_capped_amount_under_a_cap_held_in_part() -> None:
    """Holding 10% under a 20% cap, the new fraction may be (0.2 - 0.1)/(1 - 0.1) = 1/9 of
    post-money: at 90 USD B that is 10 USD B; an owner at the cap may add nothing."""
    closing = _closing(cap_pct=20.0)
    closing.stakes.update_set("Nvidia", "OpenAI", 0.1, False)
    assert closing.compute_capped_amount("Nvidia", "OpenAI", 25.0, 90.0) == pytest.approx(10.0)
    closing.stakes.update_set("Nvidia", "OpenAI", 0.25, False)
    assert closing.compute_capped_amount("Nvidia", "OpenAI", 5.0, 50.0) == 0.0
    assert closing.compute_capped_fraction("Nvidia", "OpenAI", 0.1) == 0.0


@given(st.floats(5.0, 95.0), st.floats(0.0, 0.99), st.floats(0.0, 1.0))
def test_capped_fraction_keeps_the_stake_within_the_cap(cap_pct: float, stake: float,
                                                        frac: float) -> None:
    """Invariant: after taking the capped fraction f, the stake stake (1 - f) + f never
    exceeds the cap unless it already did; f never exceeds what was asked for and equals
    min(frac, the hand formula)."""
    closing = _closing(cap_pct=cap_pct)
    closing.stakes.update_set("Nvidia", "OpenAI", stake, False)
    f = closing.compute_capped_fraction("Nvidia", "OpenAI", frac)
    assert 0.0 <= f <= frac
    assert f == pytest.approx(min(frac, _allowed_by_hand(cap_pct / 100.0, stake)), abs=1e-12)
    assert stake * (1.0 - f) + f <= max(cap_pct / 100.0, stake) + 1e-9
